"""The OpenBLAS that NumPy loaded, reached directly: its thread-count switch and its GEMMs.

NumPy's wheels ship OpenBLAS under several symbol names (``cblas_sgemm``; ``scipy_cblas_sgemm64_`` in the
64-bit-integer build NumPy 2 uses). It is found among the process's loaded libraries (``/proc/self/maps``),
so nothing is loaded twice: the GEMMs called from here are the very ones ``numpy.matmul`` calls, with the same
results. Elsewhere (MKL, Accelerate, no ``/proc``) every lookup gives None and callers keep to NumPy.

Why call it directly: a Numba kernel can call these GEMMs without the GIL (as first-class function
arguments), so a thread of ``threadpool`` can run a whole share of a convolution in one call.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

_found: list[Any] = []  # [(library, symbol prefix, symbol suffix, integer type)] once looked up; [None] if none
_SUFFIXES = (("", "", ctypes.c_int), ("scipy_", "64_", ctypes.c_int64), ("", "64_", ctypes.c_int64))


def _library() -> Any:
    """(the OpenBLAS library NumPy loaded, its symbols' prefix and suffix, the ctypes integer type of its
    interface), or None."""
    if not _found:
        found = None
        try:
            with open("/proc/self/maps") as f:
                paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
        except OSError:
            paths = []
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix, suffix, integer in _SUFFIXES:
                if hasattr(lib, f"{prefix}openblas_set_num_threads{suffix}"):
                    found = (lib, prefix, suffix, integer)
                    break
            if found is not None:
                break
        _found.append(found)
    return _found[0]


def _function(name: str) -> Any:
    """OpenBLAS's function ``name`` (as spelled in its plain build), or None."""
    found = _library()
    if found is None:
        return None
    lib, prefix, suffix, _ = found
    return getattr(lib, f"{prefix}{name}{suffix}", None)


def thread_switch() -> tuple[Any, Any] | None:
    """(set_num_threads(n), get_num_threads()) of NumPy's OpenBLAS, or None."""
    setter, getter = _function("openblas_set_num_threads"), _function("openblas_get_num_threads")
    if setter is None or getter is None:
        return None
    setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
    return setter, getter


def integer() -> Any:
    """The ctypes integer type of NumPy's OpenBLAS interface (c_int64 in the 64-bit-integer build), or None."""
    found = _library()
    return None if found is None else found[3]


ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS's enums


def gemm(dtype: Any) -> Any:
    """cblas_sgemm (float32) or cblas_dgemm (float64) as a ctypes function, or None.

    Arguments: (order, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), A, B and C as
    addresses (``arr.ctypes.data``): C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C.
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        return None
    fn = _function("cblas_sgemm" if dtype == np.float32 else "cblas_dgemm")
    if fn is None:
        return None
    real = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    ptr = ctypes.c_void_p
    fn.restype = None
    i = integer()
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, real, ptr, i, ptr, i, real, ptr, i]
    return fn
