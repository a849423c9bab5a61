"""erf of float32 arrays in float32 arithmetic: the loop of ``erf_numba`` (fdlibm's ``s_erf.c`` regions turned into
selects, exp written out) with every constant and every operation in float32, so that LLVM runs 16 lanes (AVX-512)
or 8 (AVX2) where the float64 loop runs 8 or 4, on two float32 divisions: 1/|x| (clamped to the third region,
squared for 1/x², multiplied for the /|x|) and the rational's.
Multiply-adds are fused (``fastmath={"contract"}``, nothing else). ``gelu_flat`` is GELU's forward on the same erf in
one pass, ``gelu_backward_flat`` its backward (with the same exp, taken over the whole of [-104, 0]). Imported on
first use only, so importing the package never loads Numba.

    |x| < 0.84375          erf x = x + x·pp(x²)/qq(x²)
    0.84375 <= |x| < 1.25  erf x = sign(x) (erx + pa(s)/qa(s)),  s = |x| - 1
    1.25 <= |x| < 4        erf x = sign(x) (1 - exp(-x² - 0.5625 + R(1/x²)/S(1/x²)) / |x|)   (R/S: ra/sa below
                           1/0.35, rb/sb above)
    |x| >= 4               erf x = sign(x) (erfc 4 = 1.5e-8 is below half an ulp of 1);   NaN stays NaN

The coefficients are fdlibm's double ones rounded to float32 (as fdlibm's own ``s_erff.c`` does); the rational
forms then err by about 1e-8 relative, below float32's half ulp (3e-8). Without fdlibm's trick of cutting x to a
few bits, -x² in float32 carries up to x²·2⁻²⁴ absolute error into the exponent, i.e. that relative error into
erfc x, which is below 0.16·1.6·6e-8 = 1.5e-8 absolute in erf over the third region. exp(y) for y in [-17, -2]:
y = n ln2 + r (Cody-Waite in float32, |r| <= ln2/2), eʳ by its Taylor series to r⁸/8! (remainder below 1e-9
relative), 2ⁿ (n in [-25, -2]) as the product of 2^(-2ʲ) over the bits of -n.

The coefficients are fdlibm's (``s_erf.c``): Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
Developed at SunSoft, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute this
software is freely granted, provided that this notice is preserved.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import erf_numba as f64

_f = np.float32
_ERX = _f(f64._ERX)
_PP, _QQ, _PA, _QA = (tuple(_f(c) for c in cs) for cs in (f64._PP, f64._QQ, f64._PA, f64._QA))
_RA, _SA, _RB, _SB = (tuple(_f(c) for c in cs) for cs in (f64._RA, f64._SA, f64._RB, f64._SB))
_INV_LN2 = _f(1.4426950408889634)
_LN2_HI = _f(0.693145751953125)  # 12 significant bits: n·_LN2_HI is exact for |n| < 2¹²
_LN2_LO = _f(1.4286067653e-06)
_ROUND = _f(12582912.0)  # 1.5·2²³: adding and subtracting it rounds to an integer
_ONE, _HALF, _MINUS_HALF, _ZERO = _f(1.0), _f(0.5), _f(-0.5), _f(0.0)
_LOW, _MIDDLE, _HIGH, _CUT = _f(0.84375), _f(1.25), _f(1 / 0.35), _f(4.0)
_W_LOW, _W_HIGH, _SHIFT = _f(1.5625), _f(16.0), _f(0.5625)
_SQRT_HALF = _f(0.7071067811865476)
_INV_SQRT_2PI = _f(0.3989422804014327)
_EXP_FLOOR = _f(-104.0)  # e^-104 is below half the least float32 subnormal: 0 from here down
_TAYLOR = tuple(_f(1 / c) for c in (1, 1, 2, 6, 24, 120, 720, 5040, 40320))


_FLAGS = {"contract"}  # multiply-adds fused (one rounding instead of two): the polynomials in half the instructions


@njit(inline="always", error_model="numpy", fastmath=_FLAGS)
def _exp_negative(y, bits):  # pragma: no cover - compiled
    """eʸ for float32 y in [-(2^bits - 1) ln2, 0], within 2 ulp, without a call (bits is a constant at each use)."""
    n = (y * _INV_LN2 + _ROUND) - _ROUND
    r = (y - n * _LN2_HI) - n * _LN2_LO
    e = f64._poly(r, _TAYLOR)
    m = int(-n)
    scale = _ONE
    factor = _HALF
    for j in range(bits):  # 2⁻ᵐ = Π 2^(-2ʲ) over the bits j of m (powers of two, exact down to 2⁻¹⁴⁹)
        scale *= factor if (m >> j) & 1 else _ONE
        factor *= factor
    return e * scale


@njit(inline="always", error_model="numpy", fastmath=_FLAGS)
def _erf(x):  # pragma: no cover - compiled
    ax = abs(x)
    sign = _ONE if x > _ZERO else -_ONE
    z = x * x
    s = ax - _ONE
    inv = _ONE / min(max(ax, _MIDDLE), _CUT)  # 1/|x| over the third region, where it is read
    w = inv * inv
    if ax < _LOW:
        num, den = f64._poly(z, _PP), _ONE + z * f64._poly(z, _QQ)
    elif ax < _MIDDLE:
        num, den = f64._poly(s, _PA), _ONE + s * f64._poly(s, _QA)
    elif ax < _HIGH:
        num, den = f64._poly(w, _RA), _ONE + w * f64._poly(w, _SA)
    else:
        num, den = f64._poly(w, _RB), _ONE + w * f64._poly(w, _SB)
    ratio = num / den
    small = x + x * ratio
    middle = sign * (_ERX + ratio)
    large = sign * (_ONE - _exp_negative(-min(z, _W_HIGH) - _SHIFT + ratio, 5) * inv)
    tail = sign if ax >= _CUT else x  # NaN stays
    return small if ax < _LOW else (middle if ax < _MIDDLE else (large if ax < _CUT else tail))


@njit(cache=True, error_model="numpy", fastmath=_FLAGS)
def erf_flat(x, out):  # pragma: no cover - compiled
    """out[i] = erf(x[i]) over flat float32 arrays, in float32."""
    for i in range(np.uint64(x.size)):  # unsigned: a signed index is wrapped per element and not vectorised
        out[i] = _erf(x[i])


@njit(cache=True, error_model="numpy", fastmath=_FLAGS)
def gelu_flat(x, y, cdf):  # pragma: no cover - compiled
    """GELU's forward in one pass over flat float32 arrays: cdf[i] = ½ (1 + erf(x[i]/√2)), y[i] = x[i] cdf[i]."""
    for i in range(np.uint64(x.size)):
        c = _HALF * (_ONE + _erf(x[i] * _SQRT_HALF))
        cdf[i] = c
        y[i] = x[i] * c


@njit(cache=True, error_model="numpy", fastmath=_FLAGS)
def gelu_backward_flat(g, x, cdf, out):  # pragma: no cover - compiled
    """GELU's backward in one pass over flat float32 arrays: out[i] = g[i] (cdf[i] + x[i] φ(x[i])),
    φ(x) = e^(-x²/2) / √(2π), e^-x²/2 with the exponent floored at -104 (0 beyond; NaN stays NaN)."""
    for i in range(np.uint64(x.size)):
        xi = x[i]
        pdf = _INV_SQRT_2PI * _exp_negative(max(_MINUS_HALF * xi * xi, _EXP_FLOOR), 8)
        out[i] = g[i] * (cdf[i] + xi * pdf)
