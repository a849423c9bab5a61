"""mt.linalg.householder_product against torch.linalg.householder_product: Q and the gradients of A and tau under
a random upstream gradient (float64, batched, fewer reflections than columns), second order, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close

RNG = np.random.default_rng(37)


@pytest.mark.parametrize(("shape", "k"), [((5, 3), 3), ((5, 3), 2), ((4, 4), 4), ((2, 6, 4), 3)])
def test_matches_torch(shape: tuple, k: int) -> None:
    a, t, g = RNG.standard_normal(shape), RNG.standard_normal((*shape[:-2], k)), RNG.standard_normal(shape)
    x, tau = mt.tensor(a, requires_grad=True), mt.tensor(t, requires_grad=True)
    tx, ttau = torch.tensor(a, requires_grad=True), torch.tensor(t, requires_grad=True)
    q, tq = mt.linalg.householder_product(x, tau), torch.linalg.householder_product(tx, ttau)
    assert_close(q, tq, np.float64, what="Q")
    q.backward(mt.tensor(g))
    tq.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad, np.float64, what="grad A")
    assert_close(tau.grad, ttau.grad, np.float64, what="grad tau")


def test_geqrf_reflections_rebuild_q() -> None:
    a = RNG.standard_normal((6, 4))
    h, tau = torch.geqrf(torch.tensor(a))
    q = mt.linalg.householder_product(mt.tensor(h.numpy()), mt.tensor(tau.numpy()))
    assert_close(q, torch.linalg.qr(torch.tensor(a)).Q, np.float64, what="Q of QR")


def test_second_order_matches_torch() -> None:
    a, t, g, h = RNG.standard_normal((4, 3)), RNG.standard_normal(3), RNG.standard_normal((4, 3)), \
        RNG.standard_normal((4, 3))
    x, tx = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (gx,) = mt.autograd.grad(mt.linalg.householder_product(x, mt.tensor(t)), x, mt.tensor(g), create_graph=True)
    (tgx,) = torch.autograd.grad(torch.linalg.householder_product(tx, torch.tensor(t)), tx, torch.tensor(g),
                                 create_graph=True)
    (ggx,) = mt.autograd.grad(gx, x, mt.tensor(h))
    (tggx,) = torch.autograd.grad(tgx, tx, torch.tensor(h))
    assert_close(ggx, tggx, np.float64, what="second order")


@pytest.mark.parametrize(("shape", "tau_shape", "match"), [
    ((3,), (1,), "input must have at least 2 dimensions"),
    ((3, 5), (2,), r"input.shape\[-2\] must be greater than or equal to input.shape\[-1\]"),
    ((5, 3), (4,), r"input.shape\[-1\] must be greater than or equal to tau.shape\[-1\]"),
    ((2, 5, 3), (3, 2), r"Expected batch dimensions of tau to be equal to input.shape\[:-2\], but got \[3\]"),
])
def test_bad_input_as_torch(shape: tuple, tau_shape: tuple, match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        torch.linalg.householder_product(torch.ones(shape), torch.ones(tau_shape))
    with pytest.raises(RuntimeError, match=match):
        mt.linalg.householder_product(mt.ones(*shape), mt.ones(*tau_shape))
