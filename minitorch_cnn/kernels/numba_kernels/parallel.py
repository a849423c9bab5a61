"""Threaded or not: Numba's threading layer, each kernel's single-threaded twin, and splitting a range of
channels, planes or elements over ``threadpool``'s threads.

Small kernels run on the calling thread because waking Numba's threads costs more than they save; the pool's
threads run only the twins, because Numba's workqueue layer must not be entered from two threads at once.
"""

from __future__ import annotations

import os
import types
from typing import Any

import numba
from numba import njit

from .. import threadpool, threads
from ..threadpool import NOT_READY, in_worker

if "NUMBA_THREADING_LAYER" not in os.environ:
    # OpenMP worker threads spin after each kernel and fight OpenBLAS's threads (and torch's) for the cores;
    # workqueue's threads sleep. workqueue must not be entered from two Python threads at once; set the
    # variable to choose another.
    numba.config.THREADING_LAYER = "workqueue"
threads.apply_numba()  # the package's thread count (``threads``), whatever NUMBA_NUM_THREADS says

# Below this many elements of work a kernel runs on the calling thread: waking Numba's workqueue threads costs
# more than a pass over fewer elements (benchmarks/results/NOTES.md).
PARALLEL_MIN_WORK = 1 << 22
# From this many elements of work a kernel run through ``run_over_range`` splits over ``threadpool``'s threads
# (when it has more than one): below it the hand-off costs as much as the pass.
SPLIT_MIN_WORK = 1 << 18
_serial: dict[Any, Any] = {}


def serial_twin(kernel: Any) -> Any:
    """The single-threaded twin of ``kernel``, compiled on first use.

    It is the same Python loops compiled without ``parallel`` (``prange`` then runs as ``range``), so both
    give the same bits. It is a copy of the function under another name: Numba's disk cache tells functions
    apart by name, not by compile options. The twin releases the GIL, and is the only one a thread of
    ``threadpool`` runs (Numba's workqueue layer must not be entered from two threads at once).
    """
    twin = _serial.get(kernel)
    if twin is None:
        f = kernel.py_func
        copy = types.FunctionType(f.__code__, f.__globals__, f"{f.__name__}_serial", f.__defaults__, f.__closure__)
        copy.__qualname__ = f"{f.__qualname__}_serial"
        twin = _serial[kernel] = njit(cache=True, nogil=True)(copy)
    return twin


def threaded_or_serial(kernel: Any, work: int) -> Any:
    """``kernel`` (threaded) for ``work`` elements or more, else its single-threaded twin."""
    if work >= PARALLEL_MIN_WORK and not in_worker():
        return kernel
    return serial_twin(kernel)


def run_over_range(kernel: Any, work: int, n: int, head: tuple, tail: tuple = ()) -> None:
    """``kernel(*head, lo, hi, *tail, ready, ready_value)`` over ranges [lo, hi) that cover range(n) (channels,
    planes, elements): split over ``threadpool``'s threads when ``work`` (elements) reaches ``SPLIT_MIN_WORK``,
    each running the single-threaded twin, the first signalling the others from its kernel; else in one call,
    threaded or not as ``threaded_or_serial`` chooses, signalling nothing."""
    parts = threadpool.split(n, threadpool.workers()) if work >= SPLIT_MIN_WORK else [(0, n)]
    if len(parts) == 1:
        threaded_or_serial(kernel, work)(*head, 0, n, *tail, NOT_READY, 0)
    else:
        threadpool.run(serial_twin(kernel), [(*head, lo, hi, *tail) for lo, hi in parts], signal=True)
