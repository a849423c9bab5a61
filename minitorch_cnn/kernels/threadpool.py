"""Splitting a batch over Python threads, each running its share with a single-threaded BLAS.

Why: OpenBLAS splits one GEMM over its threads poorly when one side is small. The CIFAR CNN's second conv,
(12, 300) @ (300, 50176), ran at 44 GFLOP/s on two threads, no faster than one thread on one sample; and the
60 MB of columns it reads went through memory, not cache. Two Python threads that each run im2col and a
one-thread GEMM on their half of the batch, a few samples at a time, keep both cores busy on data in cache.
Measured forward-only, the configurations interleaved in one process: that layer 11.0 -> 8.7 ms (torch: 6 ms),
the CIFAR CNN's 24→24 5×5 layer 7.6 -> 5.0 ms, a 16→16 3×3 one on 32×32 7.0 -> 5.3 ms, ResNet-18's 64→64 layer
49.5 -> 45.5 ms. NumPy's GEMMs and our Numba kernels (compiled ``nogil``) release the GIL, so the
threads really run at once; a thread working on a share (the calling thread runs the first) only calls the
single-threaded Numba twins, because Numba's workqueue layer must not be entered from two threads at once.

The number of threads is the package's (``threads``: ``mt.set_num_threads``), whose policy keeps NumPy's
OpenBLAS at one thread; should anything have raised OpenBLAS's count since, ``run`` lowers it to one while the
pool works and restores it after (its count is process-wide in the pthreads build NumPy's wheels use). Where
NumPy's OpenBLAS is not found (MKL, Accelerate: no way to make its GEMMs single-threaded), ``workers()`` is 1 and
callers run the batch whole on the calling thread. Not for two user threads at once: the pool is one.

Hand-offs: waking a sleeping thread costs ~50 µs on the 2-core VM, and a hand-off took two or three of them
(submit, then the result), ~0.15 ms a conv: LeNet-5's step makes four. So a pool thread, its share done, watches
for the next one for a while (``SPIN`` polls, ~1 ms, each a ``sched_yield`` so anything else runnable goes
first) before it sleeps, and the calling thread waits for the shares the same way: both watch a flag in a
compiled loop that holds no GIL. Training steps, the two pools interleaved in one process: small ResNet 63.2 ->
57.8 ms, CIFAR CNN 42.8 -> 42.1, LeNet-5 5.63 -> 5.28 and 6.17 -> 5.88 (two more LeNet-5 runs: -2%, +1%). Where
Numba or ``sched_yield`` is missing, threads sleep and wake as before. OpenMP runtimes (torch's) spin the same
way, for longer.

Posting from inside the first share (``run(..., signal=True)``): a pool thread that sees its flag must take the
GIL to start its share, and the calling thread held it until its own share reached compiled code (~30-50 µs of
Python: buffers, checks, unboxing). The pool thread then slept on the GIL and woke ~50 µs after it was released:
its share started ~0.1 ms after the caller's, measured, and the caller waited that long at the end of every
hand-off (LeNet-5: 0.45 ms of a 5.3 ms step; small ResNet: 3.1 of 53). With ``signal``, each share gets two more
arguments, ``go`` and ``go_value``: the first share's kernel writes ``go[:] = go_value`` (the pool threads'
flags) once it runs without the GIL, so the pool threads find the GIL free; the others get an empty ``go``.
The same at the end: a pool thread writes its "done" flag from its next compiled wait, having let go of the
GIL, so the caller watching that flag does not wake only to sleep on the GIL the pool thread still holds.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import blas, threads

_state = threading.local()  # .worker: True on the pool's threads
_blas: list[Any] = []  # [(set_num_threads, get_num_threads)] once looked up; [None] when unavailable
_pool: list[Any] = []  # the _Worker threads, started as needed
_spin: list[Any] = []  # [the compiled wait loop] once built; [None] when it cannot be
SPIN = 2000  # polls a thread makes before it sleeps (each a sched_yield: ~1 ms in all on the 2-core VM)
_override: list[int | None] = [None]  # set_workers(): a fixed count instead of the package's
MAX_THREADS = 1024
_flags = np.zeros(MAX_THREADS, np.int64)  # _flags[k]: the number of the last job posted to pool thread k
NO_GO = np.zeros(0, np.int64)  # the ``go`` of a share that posts nothing
_jobs = [0]  # jobs numbered across the pool, so that one value posts to all a run's threads


def _openblas() -> Any:
    """(set_num_threads, get_num_threads) of the OpenBLAS NumPy loaded, or None."""
    if not _blas:
        _blas.append(blas.thread_switch())
    return _blas[0]


def workers() -> int:
    """How many threads a batch is split over: the package's count (``threads.get_num_threads``); 1 when NumPy's
    BLAS cannot be made single-threaded (then nothing is split) or when called from a pool thread."""
    if getattr(_state, "worker", False):
        return 1
    if _override[0] is not None:
        return _override[0]
    return 1 if _openblas() is None else threads.get_num_threads()


def in_worker() -> bool:
    """True on a pool thread: kernels must run single-threaded there."""
    return getattr(_state, "worker", False)


def _wait_loop() -> Any:
    """``wait(flag, value, polls, done=NO_GO, done_value=0) -> bool``: whether flag[0] reached value within
    ``polls`` polls, compiled without the GIL (``numba_kernels.wait_flag``, each poll a sched_yield), having first
    written ``done[:] = done_value`` there; None without Numba or sched_yield. Looked up on first use: importing
    the package loads no Numba."""
    if not _spin:
        try:
            from . import numba_kernels

            pause = ctypes.CDLL(None).sched_yield
        except (ImportError, OSError, AttributeError):
            _spin.append(None)
            return None
        pause.argtypes, pause.restype = [], ctypes.c_int
        _spin.append(lambda flag, value, polls, done=NO_GO, done_value=0: numba_kernels.wait_flag(
            flag, value, polls, pause, done, done_value))
    return _spin[0]


class _Worker:
    """Pool thread ``k``: runs the job posted to it (``post``, then ``result``) once ``_flags[k]`` reaches its
    number, watching the flag for ``SPIN`` polls before it sleeps."""

    def __init__(self, k: int) -> None:
        self.posted, self.done = _flags[k : k + 1], np.zeros(1, np.int64)  # the flags watched
        self.done[0] = self.posted[0]  # read here, not on the new thread: a job may be posted before it runs
        self.job: Any = None
        self.number = 0
        self.outcome: Any = None
        self.wake = threading.Event()
        threading.Thread(target=self._serve, name="minitorch-batch", daemon=True).start()

    def _serve(self) -> None:
        _state.worker = True
        wait, seen = _wait_loop(), int(self.done[0])
        finished = NO_GO  # the done flag, until the wait below has written it without the GIL
        while True:
            if wait is None or not wait(self.posted, seen + 1, SPIN, finished, seen):
                finished = NO_GO
                if wait is not None and self.number > seen:
                    continue  # a job is posted and its flag about to be written: keep watching, never sleep
                self.wake.wait()  # set after ``number`` (and, without the compiled wait, after the flag too)
                self.wake.clear()
                if self.posted[0] <= seen:
                    continue
            seen = int(self.posted[0])
            fn, args = self.job
            try:
                self.outcome = (True, fn(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                self.outcome = (False, exc)
            if wait is None:
                self.done[0] = seen
            else:  # written by the next wait, once this thread has let go of the GIL: see the module docstring
                finished = self.done

    def post(self, fn: Callable[..., Any], args: tuple, number: int) -> None:
        """Hand over job ``number``; it starts once ``self.posted`` reaches the number (written by the caller, who
        then sets ``wake`` should the thread sleep)."""
        self.job, self.number = (fn, args), number

    def result(self) -> Any:
        wait = _wait_loop()
        while self.done[0] < self.number:  # the caller has nothing else to do: watch ~100 ms, then poll slowly
            if wait is None or not wait(self.done, self.number, 100 * SPIN):
                time.sleep(1e-4)
        ok, value = self.outcome
        if not ok:
            raise value
        return value


def run(fn: Callable[..., Any], parts: Sequence[tuple], signal: bool = False) -> list:
    """``[fn(*p) for p in parts]``, the parts on the pool's threads at once, each GEMM on one BLAS thread;
    exceptions propagate. With ``signal``, each part gets ``go, go_value`` appended, and the first part (run on the
    calling thread) must write ``go[:] = go_value`` once it no longer holds the GIL (see the module docstring);
    the pool threads start then (or, should it not, when it returns)."""
    if len(parts) == 1:
        return [fn(*parts[0], NO_GO, 0)] if signal else [fn(*parts[0])]
    if len(parts) > MAX_THREADS:
        raise ValueError(f"threadpool.run: {len(parts)} parts, at most {MAX_THREADS} threads")
    while len(_pool) < len(parts) - 1:
        _pool.append(_Worker(len(_pool)))
    blas = _openblas()
    prev = blas[1]() if blas is not None else 1
    if prev != 1:  # the policy keeps it at 1; someone raised it since
        blas[0](1)
    try:
        # the calling thread runs the first share itself (as a worker: single-threaded kernels), so only the
        # others pay a hand-off to the pool
        workers = _pool[: len(parts) - 1]
        _jobs[0] += 1
        number, go = _jobs[0], _flags[: len(workers)]
        for worker, p in zip(workers, parts[1:]):
            worker.post(fn, (*p, NO_GO, 0) if signal else p, number)
        if not signal:
            go[:] = number
        for worker in workers:
            worker.wake.set()
        _state.worker = True
        try:
            first = fn(*parts[0], go, number) if signal else fn(*parts[0])
        finally:
            _state.worker = False
            go[:] = number  # posted here if the first share did not (it raised before its kernel ran)
            if _wait_loop() is None:
                for worker in workers:  # they sleep on the event: wake them now that the flag is written
                    worker.wake.set()
        return [first] + [worker.result() for worker in workers]
    finally:
        if prev != 1:
            blas[0](prev)


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """[a, b) ranges that split range(n) into ``min(parts, n)`` near-equal contiguous pieces."""
    parts = max(1, min(parts, n))
    return [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]


@contextmanager
def set_workers(n: int | None) -> Iterator[None]:
    """Split batches over ``n`` threads (1: never split; None: the package's count) inside the block."""
    prev = _override[0]
    _override[0] = n
    try:
        yield
    finally:
        _override[0] = prev


def _after_fork() -> None:
    # a forked child (a DataLoader worker) has none of the parent's threads: start a fresh pool if it needs one
    _pool.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
