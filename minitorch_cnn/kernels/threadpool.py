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

It needs the OpenBLAS NumPy ships with, found among the loaded libraries, to set its thread count: while the
pool works, OpenBLAS runs one thread per call (its count is process-wide in the pthreads build NumPy's wheels
use; ``openblas_set_num_threads_local`` changes it for every thread there too), and the count is restored
after. Where OpenBLAS is not found (MKL, Accelerate), or it runs one thread, ``workers()`` is 1 and callers run
the batch whole on the calling thread, as before. The number of threads is the BLAS thread count
(``OPENBLAS_NUM_THREADS``), the same knob as for the GEMMs. Not for two user threads at once: the pool's
batches would share the BLAS setting.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from . import blas

_state = threading.local()  # .worker: True on the pool's threads
_blas: list[Any] = []  # [(set_num_threads, get_num_threads)] once looked up; [None] when unavailable
_pool: list[Any] = [None, 0]  # the executor and its thread count
_override: list[int | None] = [None]  # set_workers(): a fixed count instead of BLAS's


def _openblas() -> Any:
    """(set_num_threads, get_num_threads) of the OpenBLAS NumPy loaded, or None."""
    if not _blas:
        _blas.append(blas.thread_switch())
    return _blas[0]


def workers() -> int:
    """How many threads a batch is split over: the BLAS thread count, 1 when BLAS cannot be made
    single-threaded per thread (then nothing is split) or when called from a pool thread."""
    if getattr(_state, "worker", False):
        return 1
    if _override[0] is not None:
        return _override[0]
    blas = _openblas()
    if blas is None:
        return 1
    return max(1, blas[1]())


def in_worker() -> bool:
    """True on a pool thread: kernels must run single-threaded there."""
    return getattr(_state, "worker", False)


def _init_worker() -> None:
    _state.worker = True


def run(fn: Callable[..., Any], parts: Sequence[tuple]) -> list:
    """``[fn(*p) for p in parts]``, the parts on the pool's threads at once, each GEMM on one BLAS thread;
    exceptions propagate."""
    if len(parts) == 1:
        return [fn(*parts[0])]
    n = len(parts)
    if _pool[0] is None or _pool[1] < n - 1:
        if _pool[0] is not None:
            _pool[0].shutdown(wait=False)
        _pool[0], _pool[1] = ThreadPoolExecutor(n - 1, "minitorch-batch", initializer=_init_worker), n - 1
    blas = _openblas()
    prev = blas[1]() if blas is not None else 1
    if blas is not None:
        blas[0](1)
    try:
        # the calling thread runs the first share itself (as a worker: single-threaded kernels), so only the
        # others pay a hand-off to the pool
        futures = [_pool[0].submit(fn, *p) for p in parts[1:]]
        _state.worker = True
        try:
            first = fn(*parts[0])
        finally:
            _state.worker = False
        return [first] + [f.result() for f in futures]
    finally:
        if blas is not None:
            blas[0](prev)


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """[a, b) ranges that split range(n) into ``min(parts, n)`` near-equal contiguous pieces."""
    parts = max(1, min(parts, n))
    return [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]


@contextmanager
def set_workers(n: int | None) -> Iterator[None]:
    """Split batches over ``n`` threads (1: never split; None: the BLAS thread count) inside the block."""
    prev = _override[0]
    _override[0] = n
    try:
        yield
    finally:
        _override[0] = prev


def _after_fork() -> None:
    # a forked child (a DataLoader worker) has none of the parent's threads: start a fresh pool if it needs one
    _pool[0], _pool[1] = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
