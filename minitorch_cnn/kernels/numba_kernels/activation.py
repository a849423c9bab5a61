"""ReLU compiled: one fused, branch-free pass each way (NumPy's maximum checks for NaN and its masks branch on
every element), the range split over ``threadpool``'s threads from ``SPLIT_MIN_WORK`` elements."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from .. import numpy_kernels
from ..handoff import signal
from .layout import flat, unsigned
from .parallel import run_over_range

_RELU_DTYPES = (np.float32, np.float64)


@njit(parallel=True, cache=True)
def _relu_forward(x, y, lo, hi, ready, ready_value):  # pragma: no cover - compiled
    # x, y flat; elements [lo, hi). offsets unsigned: a signed range loses vectorisation
    signal(ready, ready_value)
    zero, start = x.dtype.type(0), unsigned(lo)
    for k in prange(unsigned(hi - lo)):
        v = x[start + k]
        y[start + k] = zero if v <= zero else v  # NaN <= 0 is false: NaN stays


@njit(parallel=True, cache=True)
def _relu_backward(g, out, dx, lo, hi, ready, ready_value):  # pragma: no cover - compiled
    # g, out, dx flat; elements [lo, hi)
    signal(ready, ready_value)
    zero, start = g.dtype.type(0), unsigned(lo)
    for k in prange(unsigned(hi - lo)):
        dx[start + k] = zero if out[start + k] <= zero else g[start + k]


def relu_forward(x: Any) -> Any:
    """x (any shape) → max(x, 0), as the reference (other dtypes than float32/float64 run it)."""
    if x.dtype.type not in _RELU_DTYPES:
        return numpy_kernels.relu_forward(x)
    y = np.empty(x.shape, dtype=x.dtype)
    run_over_range(_relu_forward, x.size, x.size, (flat(x), y.reshape(-1)))
    return y


def relu_backward(g: Any, out: Any) -> Any:
    """g, out (same shape) → dx = 0 where out <= 0, else g, as the reference."""
    if g.dtype.type not in _RELU_DTYPES or out.dtype != g.dtype:
        return numpy_kernels.relu_backward(g, out)
    dx = np.empty(g.shape, dtype=g.dtype)
    run_over_range(_relu_backward, g.size, g.size, (flat(g), flat(out), dx.reshape(-1)))
    return dx

