"""The scalar algorithms of ``incomplete_gamma.py`` as Numba functions and ufuncs: compiled at this module's import,
which ``incomplete_gamma.apply`` does on first use only."""

from __future__ import annotations

import math

from numba import njit, vectorize

_MACHEP = 1.11022302462515654042e-16
_BIG = 4.503599627370496e15
_BIGINV = 2.22044604925031308085e-16
_MAXITER = 2000


@njit(cache=True)
def _fac(a: float, x: float) -> float:  # pragma: no cover - compiled
    return math.exp(a * math.log(x) - x - math.lgamma(a))


@njit(cache=True)
def _p_series(a: float, x: float) -> float:  # pragma: no cover - compiled
    ax = _fac(a, x)
    if ax == 0.0:
        return 0.0
    r, c, ans = a, 1.0, 1.0
    for _ in range(_MAXITER):
        r += 1.0
        c *= x / r
        ans += c
        if c <= _MACHEP * ans:
            break
    return ans * ax / a


@njit(cache=True)
def _q_series(a: float, x: float) -> float:  # pragma: no cover - compiled
    fac, total = 1.0, 0.0
    for n in range(1, _MAXITER):
        fac *= -x / n
        term = fac / (a + n)
        total += term
        if abs(term) <= _MACHEP * abs(total):
            break
    logx = math.log(x)
    return -math.expm1(a * logx - math.lgamma(1.0 + a)) - math.exp(a * logx - math.lgamma(a)) * total


@njit(cache=True)
def _q_fraction(a: float, x: float) -> float:  # pragma: no cover - compiled
    ax = _fac(a, x)
    if ax == 0.0:
        return 0.0
    y, z, c = 1.0 - a, x + 2.0 - a, 0.0
    pkm2, qkm2, pkm1, qkm1 = 1.0, x, x + 1.0, (x + 2.0 - a) * x
    ans = pkm1 / qkm1
    for _ in range(_MAXITER):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk, qk = pkm1 * z - pkm2 * yc, qkm1 * z - qkm2 * yc
        t = 1.0
        if qk != 0.0:
            r = pk / qk
            t = abs((ans - r) / r)
            ans = r
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        if abs(pk) > _BIG:
            pkm2, pkm1, qkm2, qkm1 = pkm2 * _BIGINV, pkm1 * _BIGINV, qkm2 * _BIGINV, qkm1 * _BIGINV
        if t <= _MACHEP:
            break
    return ans * ax


@njit(cache=True)
def _igammac_scalar(a: float, x: float) -> float:  # pragma: no cover - compiled
    if x < 0.0 or a < 0.0 or a != a or x != x:
        return math.nan
    if a == 0.0:
        return 0.0 if x > 0.0 else math.nan
    if x == 0.0:
        return 1.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else 1.0
    if math.isinf(x):
        return 0.0
    if x > 1.1:
        return 1.0 - _p_series(a, x) if x < a else _q_fraction(a, x)
    if x <= 0.5:
        return 1.0 - _p_series(a, x) if -0.4 / math.log(x) < a else _q_series(a, x)
    return 1.0 - _p_series(a, x) if x * 1.1 < a else _q_series(a, x)


@njit(cache=True)
def _igamma_scalar(a: float, x: float) -> float:  # pragma: no cover - compiled
    if x < 0.0 or a < 0.0 or a != a or x != x:
        return math.nan
    if a == 0.0:
        return 1.0 if x > 0.0 else math.nan
    if x == 0.0:
        return 0.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else 0.0
    if math.isinf(x):
        return 1.0
    if x > 1.0 and x > a:
        return 1.0 - _igammac_scalar(a, x)
    return _p_series(a, x)


igamma = vectorize(["float64(float64, float64)"], nopython=True, cache=True)(_igamma_scalar.py_func)
igammac = vectorize(["float64(float64, float64)"], nopython=True, cache=True)(_igammac_scalar.py_func)
