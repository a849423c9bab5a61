"""Gather and scatter-add along one dim, compiled: ``out[p] = x[p | dim ← index[p]]`` and
``target[p | dim ← index[p]] += values[p]`` for p in the index's C order, and the scatter-add at flat offsets
(``target[offsets[i]] += values[i]``, i = 0, 1, ...) for the other shapes.

The reference is NumPy's fancy indexing and ``np.add.at``, which adds in the same order (the index's C order), so
every place gets t + v₁ + v₂ + ... rounded after each add, bit for bit; add.at pays generic iteration machinery
per element (the gradient of gather ran 4x torch's time in it). The ``_along`` loops take arrays as
(outer, n, inner) around dim, where the index matches x in every other dim (the common case: gather's indices
from argmax/topk/argsort, one-hot scatters); they read the index once, with no offsets array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from .layout import flat, unsigned


@njit(cache=True)
def _add_at(target, offsets, values):  # pragma: no cover - compiled
    for i in range(unsigned(offsets.size)):
        target[unsigned(offsets[i])] += values[i]


@njit(cache=True)
def _gather(x, index, out, outer, n, m, inner):  # pragma: no cover - compiled
    # flat: x (outer, n, inner), index and out (outer, m, inner); unsigned offsets (no wrap-around test)
    p = unsigned(0)
    for o in range(unsigned(outer)):
        base = o * unsigned(n) * unsigned(inner)
        for _ in range(unsigned(m)):
            for k in range(unsigned(inner)):
                out[p] = x[base + unsigned(index[p]) * unsigned(inner) + k]
                p += unsigned(1)


@njit(cache=True)
def _scatter_add(target, index, values, outer, n, m, inner):  # pragma: no cover - compiled
    p = unsigned(0)
    for o in range(unsigned(outer)):
        base = o * unsigned(n) * unsigned(inner)
        for _ in range(unsigned(m)):
            for k in range(unsigned(inner)):
                target[base + unsigned(index[p]) * unsigned(inner) + k] += values[p]
                p += unsigned(1)


def scatter_add_flat(target: Any, offsets: Any, values: Any) -> bool:
    """``target[offsets] += values`` in add.at's order for a 1-d float target, int64 offsets (in range) and values
    of the target's dtype and the offsets' shape; False (nothing done) for other operands."""
    if not (target.ndim == 1 and target.dtype in (np.float32, np.float64) and values.dtype == target.dtype
            and offsets.dtype == np.int64 and values.shape == offsets.shape and target.flags.c_contiguous):
        return False
    _add_at(target, flat(offsets), flat(values))
    return True


def _fits(x: Any, dim: int, index: Any) -> bool:
    return (isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64) and x.ndim == index.ndim > dim
            and index.dtype == np.int64 and index.size > 0
            and all(n == m for i, (n, m) in enumerate(zip(index.shape, x.shape)) if i != dim))


def _around(shape: tuple, dim: int) -> tuple[int, int, int]:
    return int(np.prod(shape[:dim], dtype=np.int64)), shape[dim], int(np.prod(shape[dim + 1:], dtype=np.int64))


def gather_along(x: Any, dim: int, index: Any) -> Any:
    """``x[p | dim ← index[p]]`` (index in range) for a float NumPy x whose other dims are index's, else None."""
    if not _fits(x, dim, index):
        return None
    out = np.empty(index.shape, dtype=x.dtype)
    outer, m, inner = _around(index.shape, dim)
    _gather(flat(x), flat(index), out.reshape(-1), outer, x.shape[dim], m, inner)
    return out


def scatter_add_along(target: Any, dim: int, index: Any, values: Any) -> bool:
    """``target[p | dim ← index[p]] += values[p]`` in add.at's order for a C-contiguous float target whose other
    dims are index's (values: index's shape, target's dtype); False (nothing done) for other operands."""
    if not (_fits(target, dim, index) and target.flags.c_contiguous and values.dtype == target.dtype
            and values.shape == index.shape):
        return False
    outer, m, inner = _around(index.shape, dim)
    _scatter_add(target.reshape(-1), flat(index), flat(values), outer, target.shape[dim], m, inner)
    return True
