"""mt.linalg.matrix_exp against torch.linalg.matrix_exp: forward and gradient under a random upstream gradient for
norms that pick every Padé degree and scalings, batched, float64 to 1e-10 (1e-13 seen; a large norm's squarings
amplify rounding, hence its looser bound) and float32 against the float64 truth; second order; errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close

RNG = np.random.default_rng(31)


@pytest.mark.parametrize("scale", [1e-3, 0.05, 0.2, 0.6, 1.5, 6.0, 40.0])
def test_forward_and_gradient_match_torch(scale: float) -> None:
    a, g = RNG.standard_normal((2, 4, 4)) * scale, RNG.standard_normal((2, 4, 4))
    x, tx = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = mt.linalg.matrix_exp(x), torch.linalg.matrix_exp(tx)
    tol = 1e-10 if scale < 10 else 1e-8  # ~2^s squarings multiply the rounding of the scaled exponential
    assert_close(y, ty, np.float64, tol=tol, what="exp")
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad, np.float64, tol=tol, what="grad")
    assert y.grad_fn.name() == ty.grad_fn.name()


def test_float32_against_the_float64_truth() -> None:
    a = RNG.standard_normal((3, 3)).astype(np.float32)
    ours = mt.matrix_exp(mt.tensor(a))
    assert ours.dtype == mt.float32
    truth = torch.linalg.matrix_exp(torch.tensor(a, dtype=torch.float64))
    assert_f32_close(ours, truth, torch32=torch.linalg.matrix_exp(torch.tensor(a)), what="float32 exp")


def test_second_order_matches_torch() -> None:
    a, g, h = (RNG.standard_normal((3, 3)) * 0.7 for _ in range(3))
    x, tx = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (gx,) = mt.autograd.grad(x.matrix_exp(), x, mt.tensor(g), create_graph=True)
    (tgx,) = torch.autograd.grad(tx.matrix_exp(), tx, torch.tensor(g), create_graph=True)
    assert_close(gx, tgx, np.float64, what="first order")
    (ggx,) = mt.autograd.grad(gx, x, mt.tensor(h))
    (tggx,) = torch.autograd.grad(tgx, tx, torch.tensor(h))
    assert_close(ggx, tggx, np.float64, what="second order")


def test_known_values_and_empty() -> None:
    np.testing.assert_allclose(mt.matrix_exp(mt.zeros(3, 3, dtype=mt.float64)).numpy(), np.eye(3))
    rot = mt.tensor([[0.0, -np.pi / 2], [np.pi / 2, 0.0]], dtype=mt.float64)
    np.testing.assert_allclose(mt.linalg.matrix_exp(rot).numpy(), [[0, -1], [1, 0]], atol=1e-15)
    assert tuple(mt.linalg.matrix_exp(mt.ones(0, 0)).shape) == (0, 0)


@pytest.mark.parametrize(("shape", "dtype", "match"), [
    ((2, 3), mt.float32, "A must be batches of square matrices, but they are 2 by 3 matrices"),
    ((3,), mt.float32, "The input tensor A must have at least 2 dimensions"),
    ((2, 2), mt.int64, "Expected a floating point or complex tensor as input. Got "),
])
def test_bad_input_as_torch(shape: tuple, dtype: object, match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        torch.linalg.matrix_exp(torch.ones(shape, dtype=torch.int64 if dtype == mt.int64 else torch.float32))
    with pytest.raises(RuntimeError, match=match):
        mt.linalg.matrix_exp(mt.ones(*shape, dtype=dtype))
