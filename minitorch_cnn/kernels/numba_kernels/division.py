"""fmod, remainder and the floor quotient of floating arrays compiled, vectorised loops (the reference is NumPy's
formulas in ``ops/division.py``).

NumPy's fmod is glibc's (2.36 here), which shifts the dividend's mantissa a bit at a time: 13 ns an element
against torch's 1.5 (SLEEF). fmod is exact (its result is representable), and so is this one, in float64:

    q = trunc(a / b),   r = fma(-q, b, a)        for |q| < 2⁵² and b finite

The rounded quotient a / b can reach the next integer up but never skip one, so q is the true truncated quotient
Q or Q + 1 in magnitude; a - q·b is then R or R ∓ |b|, both representable (multiples of the smaller of a's and
b's ulps, below |b| in magnitude; when a's ulp is the smaller, |a| < |b| and q = Q = 0), so the fused
multiply-add gives it exactly. An r whose sign is not a's is the Q + 1 case, and r ± |b| (toward a's sign) is
exact again. A zero result takes a's sign. The other elements (b = 0 or infinite, a infinite or NaN, quotients of
2⁵² or more) take libm's fmod in a second loop that runs only when there are some. Float32 inputs are exact in
float64, and so is their fmod in float32.

remainder and the floor quotient follow torch's CPU kernels on that fmod, in the inputs' dtype: remainder is
fmod + b where fmod is non-zero with the sign opposite to b's; the quotient is ``div_floor_floating``
(``ATen/native/BinaryOps.h``), the formula ``ops/division.floor_div`` writes in NumPy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..fma_numba import _fma

_EXACT_QUOTIENT = 4503599627370496.0  # 2⁵²


@njit(inline="always", error_model="numpy")
def _fast(a, b):  # pragma: no cover - compiled
    """fmod(a, b) in float64 when ``_fits(a, b)``."""
    q = np.trunc(a / b)
    r = _fma(-q, b, a)
    overshot = (r < 0.0 < a) or (a < 0.0 < r)
    r = r + math.copysign(abs(b), a) if overshot else r
    return math.copysign(abs(r), a)


@njit(inline="always", error_model="numpy")
def _fits(a, b):  # pragma: no cover - compiled
    return abs(np.trunc(a / b)) < _EXACT_QUOTIENT and abs(b) < np.inf


# Each loop comes twice, for b of a's size and for a single divisor: indexing b at i·step stops vectorisation.


@njit(cache=True, error_model="numpy")
def _fmod(a, b, out):  # pragma: no cover - compiled
    # a, b, out flat (n); returns how many elements need libm
    slow = 0
    for i in range(np.uint64(a.size)):
        av, bv = np.float64(a[i]), np.float64(b[i])
        out[i] = _fast(av, bv)
        slow += not _fits(av, bv)
    return slow


@njit(cache=True, error_model="numpy")
def _fmod_by(a, divisor, out):  # pragma: no cover - compiled
    slow = 0
    bv = np.float64(divisor)
    for i in range(np.uint64(a.size)):
        av = np.float64(a[i])
        out[i] = _fast(av, bv)
        slow += not _fits(av, bv)
    return slow


@njit(inline="always", error_model="numpy")
def _libm(av, bv):  # pragma: no cover - compiled
    if av != av or bv != bv or abs(av) == np.inf or bv == 0.0:
        return np.nan
    return av if abs(bv) == np.inf else np.fmod(av, bv)


@njit(cache=True, error_model="numpy")
def _fmod_libm(a, b, out, step):  # pragma: no cover - compiled
    for i in range(a.size):
        av, bv = np.float64(a[i]), np.float64(b[i * step])
        if not _fits(av, bv):
            out[i] = _libm(av, bv)


@njit(inline="always", error_model="numpy")
def _remainder_one(bv, f):  # pragma: no cover - compiled
    return f + bv if f != 0 and (bv < 0) != (f < 0) else f


@njit(cache=True, error_model="numpy")
def _remainder(b, out):  # pragma: no cover - compiled
    # out holds fmod(a, b); in place: torch's remainder
    for i in range(np.uint64(out.size)):
        out[i] = _remainder_one(b[i], out[i])


@njit(cache=True, error_model="numpy")
def _remainder_by(divisor, out):  # pragma: no cover - compiled
    for i in range(np.uint64(out.size)):
        out[i] = _remainder_one(divisor, out[i])


@njit(inline="always", error_model="numpy")
def _floor_one(av, bv, mod, zero, one, half):  # pragma: no cover - compiled
    # torch's div_floor_floating, in the dtype of its arguments
    div = (av - mod) / bv
    div = div - one if mod != zero and (bv < zero) != (mod < zero) else div
    fl = np.floor(div)
    fl = fl + one if div - fl > half else fl
    q = av / bv
    return q if bv == zero else (fl if div != zero else math.copysign(zero, q))


@njit(cache=True, error_model="numpy")
def _floor_quotient(a, b, out):  # pragma: no cover - compiled
    # out holds fmod(a, b); in place: the floor quotient
    zero, one, half = out.dtype.type(0), out.dtype.type(1), out.dtype.type(0.5)
    for i in range(np.uint64(out.size)):
        out[i] = _floor_one(a[i], b[i], out[i], zero, one, half)


@njit(cache=True, error_model="numpy")
def _floor_quotient_by(a, divisor, out):  # pragma: no cover - compiled
    zero, one, half = out.dtype.type(0), out.dtype.type(1), out.dtype.type(0.5)
    for i in range(np.uint64(out.size)):
        out[i] = _floor_one(a[i], divisor, out[i], zero, one, half)


def fmod_family(op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``op`` ("fmod", "remainder" or "floor_divide") of a (any shape) and b (a's shape, or one element of at
    most a's dimensions), both float32 or both float64, as a new array of a's shape."""
    flat_a = np.ascontiguousarray(a).reshape(-1)
    flat_b = np.ascontiguousarray(b).reshape(-1)
    out = np.empty(flat_a.shape, a.dtype)
    whole = flat_b.size == flat_a.size
    if _fmod(flat_a, flat_b, out) if whole else _fmod_by(flat_a, flat_b[0], out):
        _fmod_libm(flat_a, flat_b, out, 1 if whole else 0)
    if op == "remainder":
        _remainder(flat_b, out) if whole else _remainder_by(flat_b[0], out)
    elif op == "floor_divide":
        _floor_quotient(flat_a, flat_b, out) if whole else _floor_quotient_by(flat_a, flat_b[0], out)
    return out.reshape(a.shape)
