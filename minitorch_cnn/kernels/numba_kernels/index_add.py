"""Scatter-add at flat offsets, compiled: ``target[offsets[i]] += values[i]`` for i = 0, 1, ... in turn.

The reference is ``np.add.at(target, offsets, values)`` on the flat target, which adds in the same order (the
index's C order), so every place gets t + v₁ + v₂ + ... rounded after each add, bit for bit; add.at pays a
Python-level iteration per element (the gradient of gather ran 4x torch's time in it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)
def _add_at(target, offsets, values):  # pragma: no cover - compiled
    for i in range(offsets.size):
        target[offsets[i]] += values[i]


def scatter_add_flat(target: Any, offsets: Any, values: Any) -> bool:
    """``target[offsets] += values`` in add.at's order for a 1-d float target, int64 offsets (in range) and values
    of the target's dtype and the offsets' shape; False (nothing done) for other operands."""
    if not (target.ndim == 1 and target.dtype in (np.float32, np.float64) and values.dtype == target.dtype
            and offsets.dtype == np.int64 and values.shape == offsets.shape and target.flags.c_contiguous):
        return False
    _add_at(target, np.ascontiguousarray(offsets).reshape(-1), np.ascontiguousarray(values).reshape(-1))
    return True
