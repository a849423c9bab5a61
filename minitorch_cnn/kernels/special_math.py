"""Special functions elementwise: erf, erfc, erfinv, lgamma, digamma, trigamma, the Hurwitz zeta and the Bessel
functions I₀, I₁ and their scaled forms (``bessel``).

NumPy has none of them; on the CPU erf is a vectorised Numba loop (``erf_numba``, fdlibm's algorithm; libm's
erf through ``math.erf`` is a call per element, 4-8x slower), the others Numba ufuncs (compiled on first use) over
``math.erfc`` and ``math.lgamma`` and over torch's own algorithms (``ATen/native/Math.h``, derived from the Cephes
Math Library, 3-clause BSD, Copyright (c) 2018 Steven Moshier): ``calc_erfinv`` (a rational first guess and two
Newton steps), ``calc_digamma`` (reflection, recurrence to x >= 10, asymptotic series), ``trigamma`` and
``zeta`` (Euler-Maclaurin). Following torch's algorithms rather than more accurate ones keeps us equal to torch
where torch itself is approximate (its trigamma's series stops at x⁻⁷, about 1e-9 relative).

Every function but erf on float32 (computed in float32, ``erf32_numba``) computes in float64 and returns the
input's dtype. CuPy arrays go to ``cupyx.scipy.special``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np


def _erfinv(y: float) -> float:  # pragma: no cover - compiled
    a0, a1, a2, a3 = 0.886226899, -1.645349621, 0.914624893, -0.140543331
    b0, b1, b2, b3 = -2.118377725, 1.442710462, -0.329097515, 0.012229801
    c0, c1, c2, c3 = -1.970840454, -1.624906493, 3.429567803, 1.641345311
    d0, d1 = 3.543889200, 1.637067800
    y_abs = abs(y)
    if y_abs > 1.0 or y != y:
        return math.nan
    if y_abs == 1.0:
        return math.copysign(math.inf, y)
    if y_abs <= 0.7:
        z = y * y
        x = y * (((a3 * z + a2) * z + a1) * z + a0) / ((((b3 * z + b2) * z + b1) * z + b0) * z + 1.0)
    else:
        z = math.sqrt(-math.log((1.0 - y_abs) / 2.0))
        x = math.copysign(((c3 * z + c2) * z + c1) * z + c0, y) / ((d1 * z + d0) * z + 1.0)
    two_over_sqrt_pi = 2.0 / math.sqrt(math.pi)
    x = x - (math.erf(x) - y) / (two_over_sqrt_pi * math.exp(-x * x))
    return x - (math.erf(x) - y) / (two_over_sqrt_pi * math.exp(-x * x))


def _digamma(x: float) -> float:  # pragma: no cover - compiled
    if x == 0:
        return math.copysign(math.inf, -x)
    result = 0.0
    if x < 0:
        if x == math.trunc(x):
            return math.nan
        r = x - math.trunc(x)  # tan(pi r) is more accurate than tan(pi x)
        result = -math.pi / math.tan(math.pi * r)
        x = 1 - x
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + 2.25175258906672110764
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        p = 8.33333333333333333333e-2
        for c in (-2.10927960927960927961e-2, 7.57575757575757575758e-3, -4.16666666666666666667e-3,
                  3.96825396825396825397e-3, -8.33333333333333333333e-3, 8.33333333333333333333e-2):
            p = p * z + c
        y = z * p
    return result + math.log(x) - (0.5 / x) - y


def _trigamma(x: float) -> float:  # pragma: no cover - compiled
    sign = 1.0
    result = 0.0
    if x < 0.5:
        sign = -1.0
        s = math.sin(math.pi * x)
        result -= (math.pi * math.pi) / (s * s)
        x = 1 - x
    for _ in range(6):
        result += 1 / (x * x)
        x += 1
    ixx = 1 / (x * x)
    result += (1 + 1 / (2 * x) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / x
    return sign * result


_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)


def _zeta(x: float, q: float) -> float:  # pragma: no cover - compiled
    machep = 1.11022302462515654042e-16
    if x == 1.0:
        return math.inf
    if x < 1.0:
        return math.nan
    if q <= 0.0:
        if q == math.floor(q):
            return math.inf
        if x != math.floor(x):
            return math.nan
    s = q ** -x
    a = q
    i = 0
    b = 0.0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a ** -x
        s += b
        if -machep * s < b < machep * s:
            return s
    w = a
    s += b * w / (x - 1.0)
    s -= 0.5 * b
    a = 1.0
    k = 0.0
    for j in range(12):
        a *= x + k
        b /= w
        t = a * b / _ZETA_A[j]
        s = s + t
        if abs(t / s) < machep:
            return s
        k += 1.0
        a *= x + k
        b /= w
        k += 1.0
    return s


def _erfc(x: float) -> float:  # pragma: no cover - compiled
    return math.erfc(x)


def _lgamma(x: float) -> float:  # pragma: no cover - compiled
    return math.lgamma(x)


_SOURCES = {
    "erfc": (_erfc, 1), "lgamma": (_lgamma, 1),
    "erfinv": (_erfinv, 1), "digamma": (_digamma, 1), "trigamma": (_trigamma, 1), "zeta": (_zeta, 2),
}
_CUPY_NAMES = {"lgamma": "gammaln"}  # cupyx.scipy.special's name where it is not ours


@functools.cache
def _ufunc(name: str) -> Any:
    """The Numba ufunc for ``name``, compiled the first time it is asked for (and cached on disk)."""
    from numba import vectorize

    if name in ("i0", "i1", "i0e", "i1e"):
        from . import bessel  # Numba-compiled at its import: loaded only when asked for

        fn, arity = getattr(bessel, name), 1
    else:
        fn, arity = _SOURCES[name]
    return vectorize([f"float64({', '.join(['float64'] * arity)})"], nopython=True, cache=True)(fn)


def erf(x: Any) -> Any:
    """erf elementwise on a NumPy array or scalar of a floating dtype, in that dtype (float32 and float64 directly,
    other dtypes through float64); float32 is computed in float32 (``erf32_numba``), the others in float64."""
    dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if dtype == np.float32:  # compiled on first use, never at package import
        from .erf32_numba import erf_flat
    else:
        from .erf_numba import erf_flat
    src = np.asarray(x, dtype=dtype)
    src = src if src.flags.c_contiguous else np.ascontiguousarray(src)
    out = np.empty(src.shape, dtype)
    erf_flat(src.reshape(-1), out.reshape(-1))
    return out.astype(x.dtype, copy=False)


def gelu_float32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GELU's forward on a float32 NumPy array in one pass: (x Φ(x), Φ(x)), Φ(x) = ½ (1 + erf(x/√2)) in float32."""
    from .erf32_numba import gelu_flat  # compiled on first use, never at package import

    src = x if x.flags.c_contiguous else np.ascontiguousarray(x)
    y, cdf = np.empty(src.shape, np.float32), np.empty(src.shape, np.float32)
    gelu_flat(src.reshape(-1), y.reshape(-1), cdf.reshape(-1))
    return y, cdf


def gelu_backward_float32(g: np.ndarray, x: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """GELU's backward on float32 NumPy arrays of one shape in one pass: g (Φ(x) + x φ(x)), ``cdf`` = Φ(x)."""
    from .erf32_numba import gelu_backward_flat  # compiled on first use, never at package import

    g, x, cdf = (np.asarray(a, dtype=np.float32, order="C") for a in (g, x, cdf))  # 0-d stays 0-d
    out = np.empty(x.shape, np.float32)
    gelu_backward_flat(g.reshape(-1), x.reshape(-1), cdf.reshape(-1), out.reshape(-1))
    return out


def _cupy(name: str, *arrays: Any) -> Any:
    from cupyx.scipy import special  # a CuPy array implies CuPy is installed

    if name == "trigamma":
        return special.polygamma(1, arrays[0])
    return getattr(special, _CUPY_NAMES.get(name, name))(*arrays)


def apply(name: str, *arrays: Any) -> Any:
    """``name`` (a key of the table above) elementwise on floating arrays (NumPy scalars allowed beside them); the
    result has the arrays' dtype."""
    dtype = next((a.dtype for a in arrays if not isinstance(a, np.generic)), arrays[0].dtype)
    with np.errstate(all="ignore"):  # poles and NaN inputs give inf and NaN, as torch's
        if all(isinstance(a, (np.ndarray, np.generic)) for a in arrays):
            if name == "erf":
                return erf(arrays[0])
            return np.asarray(_ufunc(name)(*(np.asarray(a, dtype=np.float64) for a in arrays)), dtype=dtype)
        return _cupy(name, *(a.astype(np.float64) for a in arrays)).astype(dtype)
