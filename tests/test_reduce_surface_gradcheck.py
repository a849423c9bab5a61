"""Finite differences (``mt.autograd.gradcheck``, float64, central) against the backward of the reduction-surface
ops, independent of torch; inputs have distinct values (no ties) and no zero (cumprod's zeros: the parity tests)."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch_cnn as mt
from minitorch_cnn.autograd import gradcheck

RNG = np.random.default_rng(7)

OPS = {
    "sort": lambda x: mt.sort(x, 1, descending=True).values,
    "cumsum": lambda x: mt.cumsum(x, 0),
    "cumprod": lambda x: mt.cumprod(x, 1),
    "logcumsumexp": lambda x: mt.logcumsumexp(x, 1),
    "logsumexp": lambda x: mt.logsumexp(x, (0, 1)),
    "cummax": lambda x: mt.cummax(x, 1).values,
    "median": lambda x: mt.median(x, 0).values,
    "median_all": mt.median,
    "kthvalue": lambda x: mt.kthvalue(x, 2).values,
    "quantile": lambda x: mt.quantile(x, mt.tensor([0.1, 0.75], dtype=mt.float64), 1),
    "nanmean": lambda x: mt.nanmean(x, 0),
    "std_mean": lambda x: mt.std_mean(x, 1)[0] * mt.std_mean(x, 1)[1],
    "cov": mt.cov,
    "corrcoef": mt.corrcoef,
    "trace": mt.trace,
    "kron": lambda x: mt.kron(x, x),
    "tensordot": lambda x: mt.tensordot(x, x.T, 1),
    "cross": lambda x: mt.linalg.cross(x[:, :3], x[:, 1:]),
    "dist": lambda x: mt.dist(x, x.flip([0]), 3),
    "renorm": lambda x: mt.renorm(x, 2, 0, 1.0),
    "diff": lambda x: mt.diff(x, 2),
    "trapezoid": lambda x: mt.trapezoid(x, x[0]),
    "cumulative_trapezoid": lambda x: mt.cumulative_trapezoid(x, dx=0.3),
}


@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck(name: str) -> None:
    a = RNG.permutation(np.linspace(0.3, 1.9, 12)).reshape(3, 4) * RNG.choice([-1.0, 1.0], (3, 4))
    assert gradcheck(OPS[name], [mt.tensor(a, requires_grad=True)])
