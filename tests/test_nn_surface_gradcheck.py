"""Finite differences (``mt.autograd.gradcheck`` / ``gradgradcheck``, float64, central) against the new ops'
backwards, independent of torch; inputs away from kinks. CTC's gradient is checked behind a log_softmax: torch's
(and our) gradient with respect to the log-probabilities is the logits' gradient, exact only there."""

from __future__ import annotations

import numpy as np
import pytest

import minitorch_cnn as mt
import minitorch_cnn.nn.functional as F
from minitorch_cnn.autograd import gradcheck, gradgradcheck

rng = np.random.default_rng(0)
SIGNS = mt.tensor(rng.choice([-1.0, 1.0], (3, 4)))


def _leaf(*shape: int, low: float = -2.0, high: float = 2.0) -> mt.Tensor:
    return mt.tensor(rng.uniform(low, high, shape), requires_grad=True)


def _away(*shape: int) -> mt.Tensor:
    """|x| in [0.2, 2]: no kink of a hinge or an abs within the step."""
    return mt.tensor(rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape), requires_grad=True)


CASES = {
    "elu": (lambda x: F.elu(x, 0.8), lambda: [_away(3, 4)]),
    "softsign": (F.softsign, lambda: [_away(3, 4)]),
    "rms_norm": (lambda x, w: F.rms_norm(x, [4], w, 1e-3), lambda: [_leaf(3, 4), _leaf(4)]),
    "pdist_2": (lambda x: F.pdist(x), lambda: [_leaf(5, 3)]),
    "pdist_3": (lambda x: F.pdist(x, 3.0), lambda: [_leaf(5, 3)]),
    "pdist_1.5": (lambda x: F.pdist(x, 1.5), lambda: [_leaf(5, 3)]),
    "soft_margin": (lambda x: F.soft_margin_loss(x, SIGNS), lambda: [_leaf(3, 4)]),
    "multi_margin_p2": (lambda x: F.multi_margin_loss(x, mt.tensor(np.array([0, 2, 1])), p=2, margin=0.5),
                        lambda: [mt.tensor(np.array([[0.1, 0.9, -1.3, 2.0], [1.7, -0.4, 0.3, 0.0],
                                                     [-2.0, 1.1, 0.6, 0.75]]), requires_grad=True)]),
    "conv_transpose1d": (lambda x, w: F.conv_transpose1d(x, w, stride=2, padding=1, output_padding=1),
                         lambda: [_leaf(2, 3, 4), _leaf(3, 2, 3)]),
    "lp_pool1d": (lambda x: F.lp_pool1d(x, 2.5, 2), lambda: [_leaf(2, 3, 6, low=0.3, high=2.0)]),
    "ctc_after_log_softmax": (
        lambda x: F.ctc_loss(F.log_softmax(x, 2), mt.tensor(np.array([[1, 2, 2], [3, 1, 0]])), [7, 6], [3, 2]),
        lambda: [_leaf(7, 2, 4)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_finite_differences(name: str) -> None:
    fn, make = CASES[name]
    assert gradcheck(fn, make())


@pytest.mark.parametrize("name", ["elu", "softsign", "rms_norm", "pdist_2", "pdist_3", "soft_margin",
                                  "conv_transpose1d"])
def test_second_derivative_matches_finite_differences(name: str) -> None:
    fn, make = CASES[name]
    assert gradgradcheck(fn, make())
