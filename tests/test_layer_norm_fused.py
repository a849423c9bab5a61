"""layer_norm as one node (``ops/sample_norm.LayerNorm``): forward, the three gradients with a random upstream
gradient and the second order against torch, with and without the affine parameters, over one and two normalised
axes; float32 against the float64 truth; torch's grad_fn name; empty batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

CASES = [((4, 7, 16), (16,)), ((3, 5, 4, 6), (4, 6)), ((2, 3, 2), (3, 2))]


def _pair(shape: tuple, norm: tuple, affine: bool, dtype: type, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) * 3 + 1] + ([rng.standard_normal(norm), rng.standard_normal(norm)]
                                                    if affine else [])
    arrays = [a.astype(dtype) for a in arrays]
    ours = [mt.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    return ours, theirs, rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize(("shape", "norm"), CASES)
def test_float64_forward_and_gradients_match_torch(shape: tuple, norm: tuple, affine: bool) -> None:
    ours, theirs, g = _pair(shape, norm, affine, np.float64)
    y = mt.nn.functional.layer_norm(ours[0], norm, *ours[1:], eps=1e-5)
    yt = torch.nn.functional.layer_norm(theirs[0], norm, *theirs[1:], eps=1e-5)
    assert y.grad_fn.name() == yt.grad_fn.name() == "NativeLayerNormBackward0"
    assert_close(y, yt, np.float64, what="y")
    y.backward(mt.tensor(g))
    yt.backward(torch.from_numpy(g))
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad, np.float64, what="grad")


def test_float32_against_the_float64_truth() -> None:
    ours, theirs, g = _pair((8, 33, 64), (64,), True, np.float32)
    y = mt.nn.functional.layer_norm(ours[0], (64,), *ours[1:])
    yt = torch.nn.functional.layer_norm(theirs[0], (64,), *theirs[1:])
    assert y.dtype == mt.float32
    assert_f32_close(y, yt, what="y")
    y.backward(mt.tensor(g))
    yt.backward(torch.from_numpy(g.astype(np.float64)))
    for a, t in zip(ours, theirs):
        assert_f32_close(a.grad, t.grad, cond=None, rtol=1e-4, what="grad")  # sums over 264 rows in float32


@pytest.mark.parametrize("affine", [True, False])
def test_second_order_matches_torch(affine: bool) -> None:
    ours, theirs, g = _pair((3, 4, 5), (5,), affine, np.float64, seed=1)
    v = np.random.default_rng(2).standard_normal((3, 4, 5))
    grads = mt.autograd.grad(mt.nn.functional.layer_norm(ours[0], (5,), *ours[1:]), ours, mt.tensor(g),
                             create_graph=True)
    grads_t = torch.autograd.grad(torch.nn.functional.layer_norm(theirs[0], (5,), *theirs[1:]), theirs,
                                  torch.from_numpy(g), create_graph=True)
    second = mt.autograd.grad((grads[0] * mt.tensor(v)).sum(), ours[:2])  # dx does not depend on the bias
    second_t = torch.autograd.grad((grads_t[0] * torch.from_numpy(v)).sum(), theirs[:2])
    for a, t in zip(second, second_t):
        assert_close(a, t, np.float64, what="second order")


def test_an_empty_batch_gives_an_empty_result() -> None:
    x = mt.zeros((0, 6), requires_grad=True)
    y = mt.nn.functional.layer_norm(x, (6,))
    assert tuple(y.shape) == (0, 6)
    y.backward(mt.zeros((0, 6)))
    assert tuple(x.grad.shape) == (0, 6)
