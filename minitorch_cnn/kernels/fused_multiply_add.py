"""fma(a, b, c) = a·b + c rounded once, elementwise. NumPy has no fused multiply-add; torch's CPU loops use one (its
``linspace`` is ``start + step·i`` fused), so results that must equal torch's bit for bit need it. The loop is
compiled (``fma_numba``) on the first call, never at package import."""

from __future__ import annotations

import numpy as np


def fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``a * b + c`` with one rounding, for 1-D arrays of one float dtype (float32 or float64)."""
    from .fma_numba import fma_arrays  # Numba loads here, on first use

    out = np.empty_like(a)
    fma_arrays(a, b, c, out)
    return out


def arange_values(start: float, step: float, n: int, dtype: np.dtype) -> np.ndarray:
    """torch's CPU ``arange`` of ``n`` float32 or float64 values (see ``ops.factories.torch_arange``), one
    compiled pass."""
    from .fma_numba import arange_lanes  # Numba loads here, on first use

    dtype = np.dtype(dtype)
    out = np.empty(n, dtype)
    arange_lanes(float(start), float(step), 32 // dtype.itemsize, dtype == np.float32, out)
    return out
