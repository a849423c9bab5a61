"""σ in place (``kernels/logistic.py``) behind sigmoid and SiLU: torch's formula 1 / (1 + e⁻ˣ) to the tails (float64
elementwise, float32 against the float64 truth), where e⁻ˣ overflows, 0-d inputs, and the gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close, to_np

import minitorch_cnn as mt

X = np.concatenate([np.linspace(-120, 120, 4801), [0.0, -0.0, -800.0, 800.0, np.inf, -np.inf, np.nan]])


@pytest.mark.parametrize("op", ["sigmoid", "silu"])
def test_float64_matches_torch_elementwise_into_both_tails(op: str) -> None:
    fn = {"sigmoid": (mt.sigmoid, torch.sigmoid), "silu": (mt.nn.functional.silu, torch.nn.functional.silu)}[op]
    ours, theirs = to_np(fn[0](mt.tensor(X))), fn[1](torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)  # each side's exp within an ulp


@pytest.mark.parametrize("op", ["sigmoid", "silu"])
def test_float32_against_the_float64_truth(op: str) -> None:
    fn = {"sigmoid": (mt.sigmoid, torch.sigmoid), "silu": (mt.nn.functional.silu, torch.nn.functional.silu)}[op]
    x = X[np.abs(X) < 80].astype(np.float32)  # where float32's σ is a normal number
    assert_f32_close(fn[0](mt.tensor(x)), fn[1](torch.from_numpy(x).double()), rtol=1e-6, what=op)


def test_sigmoid_of_a_0d_tensor_is_a_0d_tensor() -> None:
    y = mt.sigmoid(mt.tensor(-2.0, dtype=mt.float64))
    assert y.shape == () and y.item() == pytest.approx(torch.sigmoid(torch.tensor(-2.0, dtype=torch.float64)).item(),
                                                        rel=1e-15)


@pytest.mark.parametrize("op", ["sigmoid", "silu"])
def test_gradients_match_torch_with_a_random_upstream_gradient(op: str) -> None:
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((32, 17)) * 6, rng.standard_normal((32, 17))
    fn = {"sigmoid": (mt.sigmoid, torch.sigmoid), "silu": (mt.nn.functional.silu, torch.nn.functional.silu)}[op]
    a, t = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    fn[0](a).backward(mt.tensor(g))
    fn[1](t).backward(torch.from_numpy(g))
    assert_close(a.grad, t.grad, np.float64, what=op)  # SiLU's 1 + x(1 - σ) cancels for x < 0
