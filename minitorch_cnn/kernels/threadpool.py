"""Splitting a batch over Python threads, each running its share with a single-threaded BLAS.

Why: OpenBLAS splits one GEMM over its threads poorly when one side is small, and the columns it reads then go
through memory, not cache; threads that each run im2col and a one-thread GEMM on their part of the batch, a few
samples at a time, keep every core busy on data in cache (benchmarks/results/NOTES.md). NumPy's GEMMs and our
Numba kernels (compiled ``nogil``) release the GIL, so the threads really run at once; a thread working on a
share (the calling thread runs the first) only calls the single-threaded Numba twins, because Numba's workqueue
layer must not be entered from two threads at once.

The number of threads is the package's (``threads``: ``mt.set_num_threads``), whose policy keeps NumPy's
OpenBLAS at one thread; should anything have raised OpenBLAS's count since, ``run`` lowers it to one while the
pool works and restores it after (its count is process-wide in the pthreads build NumPy's wheels use). Where
NumPy's OpenBLAS is not found (MKL, Accelerate: no way to make its GEMMs single-threaded), ``workers()`` is 1 and
callers run the batch whole on the calling thread. Not for two user threads at once: the pool is one.

Hand-offs: waking a sleeping thread costs more than a small share's work, so a pool thread, its share done,
watches for the next one for a while (``SPIN`` polls, each a ``sched_yield`` so anything else runnable goes
first) before it sleeps, and the calling thread waits for the shares the same way: both watch a flag in a
compiled loop that holds no GIL (``handoff.wait_flag``). Where Numba or ``sched_yield`` is missing, threads sleep
and wake on an event. OpenMP runtimes (torch's) spin the same way, for longer.

Signalling from inside the first share (``run(..., signal=True)``): a pool thread that sees its flag must take
the GIL to start its share, and the calling thread holds it until its own share reaches compiled code. So each
share gets two more arguments, ``ready`` and ``ready_value``: the first share's kernel writes
``ready[:] = ready_value`` (the pool threads' flags, ``handoff.signal``) once it runs without the GIL, so the pool
threads find the GIL free; the others get ``NOT_READY`` (empty). The same at the end: a pool thread writes its
"done" flag from its next compiled wait, having let go of the GIL, so the caller watching that flag does not wake
only to sleep on the GIL the pool thread still holds.
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

SPIN = 2000  # polls a thread makes before it sleeps (each a sched_yield: ~1 ms in all on the 2-core VM)
MAX_THREADS = 1024
NOT_READY = np.zeros(0, np.int64)  # the ``ready`` of a share that signals nothing
_UNSET: Any = object()  # a lazily looked-up value not looked up yet


class _Pool:
    """The pool's state between calls, in one object."""

    def __init__(self) -> None:
        self.workers: list[_Worker] = []  # the pool threads, started as needed
        self.ready_flags = np.zeros(MAX_THREADS, np.int64)  # [k]: the number of the last job posted to thread k
        self.jobs = 0  # jobs numbered across the pool, so that one value signals all a run's threads
        self.fixed_count: int | None = None  # set_workers(): a fixed count instead of the package's
        self.blas_switch: Any = _UNSET  # (set_num_threads, get_num_threads) of NumPy's OpenBLAS, or None
        self.wait: Any = _UNSET  # the compiled wait loop, or None where it cannot be built


_pool = _Pool()
_thread = threading.local()  # .worker: True on the pool's threads


def _openblas() -> Any:
    """(set_num_threads, get_num_threads) of the OpenBLAS NumPy loaded, or None."""
    if _pool.blas_switch is _UNSET:
        _pool.blas_switch = blas.thread_switch()
    return _pool.blas_switch


def workers() -> int:
    """How many threads a batch is split over: the package's count (``threads.get_num_threads``); 1 when NumPy's
    BLAS cannot be made single-threaded (then nothing is split) or when called from a pool thread."""
    if getattr(_thread, "worker", False):
        return 1
    if _pool.fixed_count is not None:
        return _pool.fixed_count
    return 1 if _openblas() is None else threads.get_num_threads()


def in_worker() -> bool:
    """True on a pool thread: kernels must run single-threaded there."""
    return getattr(_thread, "worker", False)


def _wait_loop() -> Any:
    """``wait(flag, value, polls, done=NOT_READY, done_value=0) -> bool``: whether flag[0] reached value within
    ``polls`` polls, compiled without the GIL (``handoff.wait_flag``, each poll a sched_yield), having first
    written ``done[:] = done_value`` there; None without Numba or sched_yield. Looked up on first use: importing
    the package loads no Numba."""
    if _pool.wait is _UNSET:
        try:
            from .handoff import wait_flag

            pause = ctypes.CDLL(None).sched_yield
        except (ImportError, OSError, AttributeError):
            _pool.wait = None
            return None
        pause.argtypes, pause.restype = [], ctypes.c_int
        _pool.wait = lambda flag, value, polls, done=NOT_READY, done_value=0: wait_flag(
            flag, value, polls, pause, done, done_value)
    return _pool.wait


class _Worker:
    """Pool thread ``k``: runs the job posted to it (``post``, then ``result``) once ``_pool.ready_flags[k]``
    reaches its number, watching the flag for ``SPIN`` polls before it sleeps."""

    def __init__(self, k: int) -> None:
        self.posted, self.done = _pool.ready_flags[k : k + 1], np.zeros(1, np.int64)  # the flags watched
        self.done[0] = self.posted[0]  # read here, not on the new thread: a job may be posted before it runs
        self.job: Any = None
        self.number = 0
        self.outcome: Any = None
        self.wake = threading.Event()
        threading.Thread(target=self._serve, name="minitorch-batch", daemon=True).start()

    def _serve(self) -> None:
        _thread.worker = True
        wait, seen = _wait_loop(), int(self.done[0])
        finished = NOT_READY  # the done flag, until the wait below has written it without the GIL
        while True:
            if wait is None or not wait(self.posted, seen + 1, SPIN, finished, seen):
                finished = NOT_READY
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
    exceptions propagate. With ``signal``, each part gets ``ready, ready_value`` appended, and the first part (run
    on the calling thread) must write ``ready[:] = ready_value`` once it no longer holds the GIL (see the module
    docstring); the pool threads start then (or, should it not, when it returns)."""
    if len(parts) == 1:
        return [fn(*parts[0], NOT_READY, 0)] if signal else [fn(*parts[0])]
    if len(parts) > MAX_THREADS:
        raise ValueError(f"threadpool.run: {len(parts)} parts, at most {MAX_THREADS} threads")
    while len(_pool.workers) < len(parts) - 1:
        _pool.workers.append(_Worker(len(_pool.workers)))
    blas = _openblas()
    prev = blas[1]() if blas is not None else 1
    if prev != 1:  # the policy keeps it at 1; someone raised it since
        blas[0](1)
    try:
        # the calling thread runs the first share itself (as a worker: single-threaded kernels), so only the
        # others pay a hand-off to the pool
        workers = _pool.workers[: len(parts) - 1]
        _pool.jobs += 1
        number, ready = _pool.jobs, _pool.ready_flags[: len(workers)]
        for worker, p in zip(workers, parts[1:]):
            worker.post(fn, (*p, NOT_READY, 0) if signal else p, number)
        if not signal:
            ready[:] = number
        for worker in workers:
            worker.wake.set()
        _thread.worker = True
        try:
            first = fn(*parts[0], ready, number) if signal else fn(*parts[0])
        finally:
            _thread.worker = False
            ready[:] = number  # posted here if the first share did not (it raised before its kernel ran)
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
    prev = _pool.fixed_count
    _pool.fixed_count = n
    try:
        yield
    finally:
        _pool.fixed_count = prev


def _after_fork() -> None:
    # a forked child (a DataLoader worker) has none of the parent's threads: start a fresh pool if it needs one
    _pool.workers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
