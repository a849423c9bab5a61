"""The running sum along one axis, compiled, forward or from the end (cumsum's gradient).

The reference is NumPy's ``cumsum`` (``flip(cumsum(flip(.)))`` from the end): y₀ = x₀, yᵢ = yᵢ₋₁ + xᵢ in the
input's dtype, the same adds in the same order here, bit for bit. NumPy's loop along a contiguous axis waits on
each add (one chain per row); here four rows run side by side, so four chains overlap. Along an inner axis the
loop over the trailing elements is vectorised.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)
def _rows(x, out, reverse):  # pragma: no cover - compiled
    # x, out (m, n), n > 0, C-contiguous: the running sum of each row
    m, n = x.shape
    first, step = (n - 1, -1) if reverse else (0, 1)
    r = 0
    while r + 4 <= m:
        j = first
        a0, a1, a2, a3 = x[r, j], x[r + 1, j], x[r + 2, j], x[r + 3, j]
        out[r, j], out[r + 1, j], out[r + 2, j], out[r + 3, j] = a0, a1, a2, a3
        for _ in range(1, n):
            j += step
            a0 += x[r, j]
            a1 += x[r + 1, j]
            a2 += x[r + 2, j]
            a3 += x[r + 3, j]
            out[r, j], out[r + 1, j], out[r + 2, j], out[r + 3, j] = a0, a1, a2, a3
        r += 4
    for q in range(r, m):
        j = first
        a = x[q, j]
        out[q, j] = a
        for _ in range(1, n):
            j += step
            a += x[q, j]
            out[q, j] = a


@njit(cache=True)
def _planes(x, out, reverse):  # pragma: no cover - compiled
    # x, out (outer, n, inner), n > 0, C-contiguous: the running sum along the middle axis
    outer, n, inner = x.shape
    first, step = (n - 1, -1) if reverse else (0, 1)
    for o in range(outer):
        j = first
        for k in range(inner):
            out[o, j, k] = x[o, j, k]
        for _ in range(1, n):
            prev = j
            j += step
            for k in range(inner):
                out[o, j, k] = out[o, prev, k] + x[o, j, k]


def cumsum_along(x: Any, dim: int, reverse: bool) -> Any:
    """The running sum of a float32/float64 NumPy array along ``dim`` (from the end when ``reverse``), or None
    for other arrays (the reference runs)."""
    if not (isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64) and x.size):
        return None
    n = x.shape[dim]
    outer, inner = int(np.prod(x.shape[:dim])), int(np.prod(x.shape[dim + 1:]))
    src = np.ascontiguousarray(x)
    out = np.empty(x.shape, dtype=x.dtype)
    if inner == 1:
        _rows(src.reshape(outer, n), out.reshape(outer, n), reverse)
    else:
        _planes(src.reshape(outer, n, inner), out.reshape(outer, n, inner), reverse)
    return out
