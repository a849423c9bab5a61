"""Finite differences (``mt.autograd.gradcheck``, float64, central) against the backward of the math-surface ops,
independent of torch, and ``gradgradcheck`` for their second order; inputs sit inside each op's smooth domain."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch_cnn as mt
from minitorch_cnn.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(11)
POS = RNG.uniform(0.3, 3.0, (3, 4))  # positive, away from the poles of lgamma/digamma
PROB = RNG.uniform(0.1, 0.9, (3, 4))
ANY = RNG.uniform(0.2, 2.0, (3, 4)) * RNG.choice([-1.0, 1.0], (3, 4))  # away from 0 (copysign, sinc's limit)
OTHER = RNG.uniform(0.4, 2.5, (4,)) * RNG.choice([-1.0, 1.0], 4)

UNARY = {
    "log1p": (mt.log1p, POS), "expm1": (mt.expm1, ANY), "log2": (mt.log2, POS), "log10": (mt.log10, POS),
    "exp2": (mt.exp2, ANY), "rsqrt": (mt.rsqrt, POS), "reciprocal": (mt.reciprocal, ANY), "asinh": (mt.asinh, ANY),
    "acosh": (mt.acosh, POS + 1.1), "atanh": (mt.atanh, PROB - 0.5), "sinc": (mt.sinc, ANY),
    "erf": (mt.erf, ANY), "erfc": (mt.erfc, ANY), "erfinv": (mt.erfinv, PROB - 0.5), "lgamma": (mt.lgamma, POS),
    "digamma": (mt.digamma, POS), "polygamma3": (lambda x: mt.polygamma(3, x), POS), "logit": (mt.logit, PROB),
    "logit_eps": (lambda x: mt.logit(x, 0.05), PROB), "i0": (mt.i0, ANY), "i1": (mt.special.i1, ANY),
    "i0e": (mt.special.i0e, ANY), "i1e": (mt.special.i1e, ANY), "entr": (mt.special.entr, POS),
    "ndtr": (mt.special.ndtr, ANY), "frac": (mt.frac, ANY * 3.3), "deg2rad": (mt.deg2rad, ANY),
    "nan_to_num": (mt.nan_to_num, ANY), "multigammaln": (lambda x: mt.special.multigammaln(x + 1.5, 3), POS),
}
BINARY = {
    "atan2": mt.atan2, "hypot": mt.hypot, "xlogy": lambda a, b: mt.xlogy(a, b.abs()),
    "xlog1py": lambda a, b: mt.special.xlog1py(a, b.abs()), "logaddexp": mt.logaddexp,
    "logaddexp2": mt.logaddexp2, "copysign": mt.copysign, "fmax": mt.fmax, "fmin": mt.fmin, "ldexp": mt.ldexp,
    "fmod": mt.fmod, "remainder": mt.remainder, "lerp": lambda a, b: mt.lerp(a, b, 0.3),
    "lerp_tensor": lambda a, b: mt.lerp(a, b, b.sigmoid()), "float_power": lambda a, b: mt.float_power(a.abs(), b),
    "addcmul": lambda a, b: mt.addcmul(a, a, b, value=0.7), "addcdiv": lambda a, b: mt.addcdiv(b, a, b, value=-1.5),
    "clamp_min": mt.clamp_min, "clamp_max": mt.clamp_max,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck_and_gradgradcheck(name: str) -> None:
    fn, x = UNARY[name]
    assert gradcheck(fn, [mt.tensor(x, requires_grad=True)])
    assert gradgradcheck(fn, [mt.tensor(x, requires_grad=True)])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck_and_gradgradcheck(name: str) -> None:
    ins = [mt.tensor(ANY, requires_grad=True), mt.tensor(OTHER, requires_grad=True)]
    assert gradcheck(BINARY[name], ins)
    assert gradgradcheck(BINARY[name], ins)
