"""erf compiled as one loop that LLVM vectorises: no call in its body, the branches of the classic algorithm turned
into selects, its exp written out. Imported on first use only, so importing the package never loads Numba.

libm's erf, which Numba's ``math.erf`` calls, is a function call per element (12 ns); torch's runs 8 or 16 lanes at
a time (SLEEF). This loop computes fdlibm's ``s_erf.c`` in float64 for every element, whatever its dtype:

    |x| < 0.84375          erf x = x + x·pp(x²)/qq(x²)
    0.84375 <= |x| < 1.25  erf x = sign(x) (erx + pa(s)/qa(s)),  s = |x| - 1
    1.25 <= |x| < 6        erf x = sign(x) (1 - exp(-x² - 0.5625 + R(1/x²)/S(1/x²)) / |x|)   (R/S: ra/sa below
                           1/0.35, rb/sb above)
    |x| >= 6               erf x = sign(x);   NaN stays NaN

fdlibm takes exp(-z² - 0.5625)·exp((z - x)(z + x) + R/S) with z = x cut to 21 bits, so that -z² is exact; one exp
of the rounded sum loses x²·2⁻⁵³ relative of a term below 0.08·|x|⁻¹, about 1e-16 of erf. exp(y) for y in
[-37, -2]: y = n ln2 + r (Cody-Waite, |r| <= ln2/2), eʳ by its Taylor series to r¹³/13! (below 2e-16), 2ⁿ
(n in [-54, -3]) as the product of 2^(-2ʲ) over the bits of -n. Float32 inputs are rounded from the float64 result.

The coefficients are fdlibm's (``s_erf.c``): Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
Developed at SunSoft, a Sun Microsystems, Inc. business. Permission to use, copy, modify, and distribute this
software is freely granted, provided that this notice is preserved.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_ERX = 8.45062911510467529297e-01
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01,
       -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02,
       -8.12874355063065934246e+01, -9.81432934416914548592e+00)
_SA = (1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02,
       6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02,
       6.57024977031928170135e+00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01,
       -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03,
       -4.83519191608651397019e+02)
_SB = (3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03,
       3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02,
       -2.24409524465858183362e+01)
_INV_LN2 = 1.44269504088896338700e+00
_LN2_HI = 6.93147180369123816490e-01  # trailing zeros: n·_LN2_HI is exact for |n| < 2¹¹
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0  # 1.5·2⁵²: adding and subtracting it rounds to an integer


@njit(inline="always", error_model="numpy")
def _poly(t, c):  # pragma: no cover - compiled
    """c[0] + c[1] t + c[2] t² + ... (Horner)."""
    acc = c[len(c) - 1]
    for k in range(len(c) - 2, -1, -1):
        acc = acc * t + c[k]
    return acc


@njit(inline="always", error_model="numpy")
def _exp_negative(y):  # pragma: no cover - compiled
    """eʸ for y in [-37, -2], within 2 ulp, without a call."""
    n = (y * _INV_LN2 + _ROUND) - _ROUND
    r = (y - n * _LN2_HI) - n * _LN2_LO
    e = 1.0 + r * (1.0 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (
        1 / 5040 + r * (1 / 40320 + r * (1 / 362880 + r * (1 / 3628800 + r * (1 / 39916800 + r * (
            1 / 479001600 + r / 6227020800))))))))))))
    m = int(-n)
    scale = 1.0
    factor = 0.5
    for j in range(6):  # 2⁻ᵐ = Π 2^(-2ʲ) over the bits j of m
        scale *= factor if (m >> j) & 1 else 1.0
        factor *= factor
    return e * scale


@njit(inline="always", error_model="numpy")
def _erf(x):  # pragma: no cover - compiled
    # every region's numerator and denominator for every element, the lane's pair selected, one division: a body
    # without branches vectorises, and divisions (not the polynomials) bound its speed
    ax = abs(x)
    sign = 1.0 if x > 0 else -1.0
    z = x * x
    s = ax - 1.0
    w = 1.0 / min(max(z, 1.5625), 36.0)
    if ax < 0.84375:
        num, den = _poly(z, _PP), 1.0 + z * _poly(z, _QQ)
    elif ax < 1.25:
        num, den = _poly(s, _PA), 1.0 + s * _poly(s, _QA)
    elif ax < 1 / 0.35:
        num, den = _poly(w, _RA), 1.0 + w * _poly(w, _SA)
    else:
        num, den = _poly(w, _RB), 1.0 + w * _poly(w, _SB)
    ratio = num / den
    small = x + x * ratio
    middle = sign * (_ERX + ratio)
    large = sign * (1.0 - _exp_negative(-z - 0.5625 + ratio) / ax)
    tail = sign if ax >= 6.0 else x  # NaN stays
    return small if ax < 0.84375 else (middle if ax < 1.25 else (large if ax < 6.0 else tail))


@njit(cache=True, error_model="numpy")
def erf_flat(x, out):  # pragma: no cover - compiled
    """out[i] = erf(x[i]) over flat arrays (float32 or float64; the sum in float64, rounded to out's dtype)."""
    for i in range(np.uint64(x.size)):  # unsigned: a signed index is wrapped per element and not vectorised
        out[i] = _erf(np.float64(x[i]))
