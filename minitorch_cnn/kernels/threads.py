"""The package's thread policy: who runs in parallel on the CPU, and how many threads (``mt.set_num_threads``).

One count, n, and one rule for who uses it:

- our pool (``threadpool``) splits convolutions, pooling, batch norm and big matrix products into n shares, one
  thread each, every share running single-threaded kernels and GEMMs;
- NumPy's OpenBLAS runs one thread, always;
- Numba's threaded kernels (only called outside the pool, on big arrays) run n threads.

Why OpenBLAS never runs threads of its own: after each multi-threaded GEMM its idle workers spin for ~2^28 cycles
(``OPENBLAS_THREAD_TIMEOUT``, read once when the library loads, so nothing can change it once NumPy is
imported) before they sleep, and while they spin they hold the cores our pool's threads need: counted per thread,
an OpenBLAS worker with no work of its own burned more CPU time per LeNet-5 step than the step's whole work, and
the calling thread's time grew threefold waiting for a starved pool thread; with OpenBLAS at one thread, no thread
of OpenBLAS runs at all. The options and their figures: ``python -m benchmarks.threads``
(``benchmarks/results/threads.md``).

The policy is set through the libraries' own functions (OpenBLAS's ``openblas_set_num_threads``, Numba's
``set_num_threads``), not through environment variables that count only before NumPy loads, so it holds whatever
was imported first (NumPy, torch) and whatever the environment says: once when the package is imported, again at
every ``set_num_threads``. Calling OpenBLAS's own setter later (threadpoolctl, say) changes its count for NumPy
calls outside ours; the pool's shares still run one BLAS thread each (``threadpool.run`` sees to it). OpenBLAS's
count is process-wide: a script's own NumPy products run on one thread too (``threadpoolctl.threadpool_limits``
raises it for a block).
"""

from __future__ import annotations

import os
import sys

from . import blas

ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")  # read in this order for the default
_count = [1]  # n: set when ``kernels`` is imported (``kernels/__init__.py``), and by set_num_threads


def _from_env() -> int | None:
    """The first of ``ENV_VARS`` set to a positive integer (torch reads OMP_NUM_THREADS the same way), or None."""
    for var in ENV_VARS:
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def default_threads() -> int:
    """The thread count the package starts with: the environment's (``ENV_VARS``), else the cores this process may
    run on."""
    from_env = _from_env()
    if from_env is not None:
        return from_env
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def set_num_threads(n: int) -> None:
    """Run the CPU kernels on ``n`` threads: our pool's shares, Numba's threaded kernels; NumPy's OpenBLAS on one.
    torch's ``set_num_threads``; a non-positive or non-integer ``n`` raises as torch does."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _count[0] = n
    switch = blas.thread_switch()
    if switch is not None:
        switch[0](1)
    if "minitorch_cnn.kernels.numba_kernels" in sys.modules:  # else it calls apply_numba when it loads
        apply_numba()


def get_num_threads() -> int:
    """The thread count of the CPU kernels (``set_num_threads``)."""
    return _count[0]


def apply_numba() -> None:
    """Numba's threaded kernels get the package's count (at most ``NUMBA_NUM_THREADS``, Numba's fixed ceiling).
    Numba keeps the count per calling thread: this sets the calling thread's."""
    import numba

    numba.set_num_threads(max(1, min(get_num_threads(), numba.config.NUMBA_NUM_THREADS)))
