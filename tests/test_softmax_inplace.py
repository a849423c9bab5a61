"""softmax and log_softmax written in place: bit for bit the out-of-place formulas they replaced (same operations in
the same order), torch's values, 0-d inputs and an upstream gradient that is a broadcast view."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_bit_for_bit_the_out_of_place_formulas(dim: int) -> None:
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((6, 7, 8)) * 4, rng.standard_normal((6, 7, 8))
    a, b = mt.tensor(x, requires_grad=True), mt.tensor(x, requires_grad=True)
    y, z = mt.softmax(a, dim), mt.log_softmax(b, dim)
    y.backward(mt.tensor(g))
    z.backward(mt.tensor(g))
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    sm = e / e.sum(axis=dim, keepdims=True)
    shifted = x - x.max(axis=dim, keepdims=True)
    lsm = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    assert np.array_equal(y.detach().numpy(), sm) and np.array_equal(z.detach().numpy(), lsm)
    assert np.array_equal(a.grad.numpy(), sm * (g - (g * sm).sum(axis=dim, keepdims=True)))
    assert np.array_equal(b.grad.numpy(), g - np.exp(lsm) * g.sum(axis=dim, keepdims=True))
    assert_close(y, torch.softmax(torch.from_numpy(x), dim), np.float64)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_0d_input_and_a_broadcast_upstream_gradient(op: str) -> None:
    y = getattr(mt, op)(mt.tensor(1.5, dtype=mt.float64), 0)
    assert y.shape == () and y.item() == getattr(torch, op)(torch.tensor(1.5, dtype=torch.float64), 0).item()
    x = np.random.default_rng(1).standard_normal((4, 5))
    a, t = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = np.random.default_rng(2).standard_normal(5)
    (getattr(mt, op)(a, 1).sum(0) * mt.tensor(w)).sum().backward()  # the gradient arrives as w expanded over rows
    (getattr(torch, op)(t, 1).sum(0) * torch.from_numpy(w)).sum().backward()
    assert_close(a.grad, t.grad, np.float64, what=op)
