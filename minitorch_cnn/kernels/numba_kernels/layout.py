"""How the compiled loops address memory: flat C-ordered arrays, unsigned offsets, valid ranges of taps.

Numba wraps negative indices, so an index it cannot prove non-negative (any ``base + b``) costs a test per
element that also stops LLVM vectorising; offsets cast to ``unsigned`` skip it. The valid output range of each
tap (``valid_range``) is computed once per row, so inner loops run without bounds tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

Pair = tuple[int, int]
unsigned = np.uint64  # an offset known to be non-negative


@njit(cache=True, inline="always")
def valid_range(out_len: int, offset: int, stride: int, size: int) -> tuple:
    """[lo, hi): the outputs o whose tap o·stride + offset lies inside [0, size)."""
    lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    hi = 0 if offset >= size else (size - 1 - offset) // stride + 1
    return lo, max(lo, min(hi, out_len))


def flat(a: Any) -> Any:
    """``a`` as a flat C-ordered array (a view when it already is one)."""
    return np.ascontiguousarray(a).reshape(-1)

