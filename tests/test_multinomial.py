"""mt.distributions.Multinomial against torch's (d2l's probability chapter draws dice with it): log_prob, entropy,
mean and variance with gradients for random upstream gradients, float64 to 1e-10 and float32 against the float64
truth; draws (our RNG: the same law, other numbers) by shape, dtype, totals and statistics; validation errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

RNG = np.random.default_rng(3)
PROBS = RNG.random((2, 4)) + 0.1
LOGITS = RNG.standard_normal((2, 4))
VALUE = np.array([[1.0, 0.0, 3.0, 2.0], [0.0, 6.0, 0.0, 0.0]])

QUANTITIES: dict[str, Callable] = {
    "log_prob": lambda m, L: m.log_prob(L.tensor(VALUE, dtype=m.probs.dtype)),
    "entropy": lambda m, L: m.entropy(),
    "mean": lambda m, L: m.mean,
    "variance": lambda m, L: m.variance,
    "stddev": lambda m, L: m.stddev,
}


def _run(lib: object, param: str, what: str, dtype: type, count: int = 6) -> tuple:
    arr = PROBS if param == "probs" else LOGITS
    p = lib.tensor(arr.astype(dtype), requires_grad=True)
    out = QUANTITIES[what](lib.distributions.multinomial.Multinomial(count, **{param: p}), lib)
    g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
    out.backward(lib.tensor(g))
    return out, p.grad


@pytest.mark.parametrize("what", list(QUANTITIES))
@pytest.mark.parametrize("param", ["probs", "logits"])
def test_multinomial_matches_torch(param: str, what: str) -> None:
    out_m, grad_m = _run(mt, param, what, np.float64)
    out_t, grad_t = _run(torch, param, what, np.float64)
    assert_close(out_m, out_t, np.float64, what="value")
    assert_close(grad_m, grad_t, np.float64, what="grad")
    out_m32, grad_m32 = _run(mt, param, what, np.float32)
    out_t32, grad_t32 = _run(torch, param, what, np.float32)
    assert_f32_close(out_m32, out_t, torch32=out_t32, what="float32 value")
    assert_f32_close(grad_m32, grad_t, torch32=grad_t32, what="float32 grad")


def test_multinomial_with_impossible_class_and_total_count_one() -> None:
    logits = np.array([0.3, -np.inf, 1.2])
    for count in (1, 4):
        res = []
        for L in (torch, mt):
            m = L.distributions.Multinomial(count, logits=L.tensor(logits))
            res.append((m.log_prob(L.tensor([count - 1.0, 0.0, 1.0])), m.entropy(), m.mean))
        for ours, theirs in zip(res[1], res[0]):
            assert_close(ours, theirs, np.float64)


def test_multinomial_samples_count_draws_per_class() -> None:
    mt.manual_seed(0)
    fair = mt.ones([6]) / 6
    one = mt.distributions.multinomial.Multinomial(1, fair).sample()
    assert tuple(one.shape) == (6,) and one.dtype == mt.float32 and one.sum().item() == 1
    m = mt.distributions.Multinomial(10, probs=mt.tensor(PROBS))
    draws = m.sample((4000,))
    assert tuple(draws.shape) == (4000, 2, 4) and draws.dtype == mt.float64
    assert (draws.sum(-1) == 10).all() and (draws >= 0).all()
    freq = draws.mean(0).numpy() / 10
    expected = PROBS / PROBS.sum(-1, keepdims=True)
    assert np.abs(freq - expected).max() < 0.02
    cum = mt.distributions.multinomial.Multinomial(10, fair).sample((500,)).cumsum(dim=0)
    estimates = cum / cum.sum(dim=1, keepdims=True)
    assert tuple(estimates.shape) == (500, 6) and abs(estimates[-1].sum().item() - 1) < 1e-6
    assert m.batch_shape == mt.Size([2]) and m.event_shape == mt.Size([4]) and m.param_shape == mt.Size([2, 4])


@pytest.mark.parametrize("make, err, match", [
    (lambda L: L.distributions.Multinomial(2.5, L.tensor([0.5, 0.5])), NotImplementedError,
     "inhomogeneous total_count is not supported"),
    (lambda L: L.distributions.Multinomial(2, L.tensor([0.5, 0.5])).log_prob(L.tensor([3.0, 0.0])), ValueError,
     "to be within the support"),
    (lambda L: L.distributions.Multinomial(2, L.tensor([0.5, 0.5])).log_prob(L.tensor([-1.0, 1.0])), ValueError,
     "to be within the support"),
    (lambda L: L.distributions.Multinomial(2, L.tensor([0.5, -0.5])), ValueError, "Expected parameter probs"),
    (lambda L: L.distributions.Multinomial(2), ValueError, "Either `probs` or `logits` must be specified"),
], ids=["float_count", "over_total", "negative_count", "bad_probs", "neither"])
def test_multinomial_errors_as_torch(make: Callable, err: type, match: str) -> None:
    with pytest.raises(err, match=match):
        make(torch)
    with pytest.raises(err, match=match):
        make(mt)
