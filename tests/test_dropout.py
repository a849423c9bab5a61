"""Dropout and Dropout2d: mask statistics and 1/(1-p) scaling, whole-channel zeroing, gradients through the
same mask, identity in eval, reproducibility under mt.manual_seed, and the argument errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn import nn
from minitorch_cnn.nn import functional as F

DTYPES = [np.float64, np.float32]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_one_minus_p_and_scales_survivors(p, dtype):
    mt.manual_seed(0)
    n = 200_000
    x = mt.tensor(np.random.default_rng(0).random(n).astype(dtype) + 0.5)
    y = F.dropout(x, p).numpy()
    kept = y != 0
    # the kept fraction is Binomial(n, 1-p)/n: within 5 standard deviations
    assert abs(kept.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)
    scale = dtype(1) / dtype(1 - p)
    np.testing.assert_array_equal(y[kept], x.numpy()[kept] * scale)  # exactly x / (1-p), as torch
    assert y.dtype == dtype


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_dropout_mean_is_preserved(p):
    mt.manual_seed(1)
    y = F.dropout(mt.ones(400_000, dtype=mt.float64), p)
    assert abs(y.numpy().mean() - 1) < 5 * np.sqrt(p / (1 - p) / 400_000)


def test_dropout_gradient_goes_through_the_same_mask():
    mt.manual_seed(2)
    x = mt.randn(50, 40, dtype=mt.float64, requires_grad=True)
    y = F.dropout(x, 0.5)
    g = np.random.default_rng(2).standard_normal((50, 40))
    y.backward(mt.tensor(g))
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), g * mask, rtol=1e-14)
    assert set(np.unique(np.round(mask, 12))) <= {0.0, 2.0}


@pytest.mark.filterwarnings("ignore:.*Received a 3D input to dropout2d")  # torch's warning, tested below
@pytest.mark.parametrize("shape", [(8, 16, 5, 5), (8, 16, 7)])
def test_dropout2d_zeroes_whole_channels(shape):
    mt.manual_seed(3)
    x = mt.tensor(np.random.default_rng(3).random(shape) + 0.5, requires_grad=True)
    y = F.dropout2d(x, 0.4)
    ratio = (y.detach().numpy() / x.detach().numpy()).reshape(shape[0], shape[1], -1)
    per_channel = ratio[..., :1]
    np.testing.assert_allclose(ratio, np.broadcast_to(per_channel, ratio.shape), rtol=1e-14)  # one draw per (n, c)
    assert set(np.unique(np.round(per_channel, 12))) == {0.0, round(1 / 0.6, 12)}
    g = np.ones(shape)
    y.backward(mt.tensor(g))
    np.testing.assert_allclose(x.grad.numpy().reshape(ratio.shape), ratio, rtol=1e-14)


def test_dropout2d_channel_statistics():
    mt.manual_seed(4)
    y = F.dropout2d(mt.ones(500, 200, 2, 2), 0.3).numpy()
    dropped = (y == 0).all(axis=(2, 3))
    assert abs(dropped.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / dropped.size)


@pytest.mark.parametrize("fn", [F.dropout, F.dropout2d])
def test_eval_and_p0_are_identity_and_p1_zeroes(fn):
    x = mt.randn(4, 3, 2, 2)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0) is x
    assert np.all(fn(x, 1.0).numpy() == 0)


@pytest.mark.parametrize("layer", [nn.Dropout, nn.Dropout2d])
def test_modules_follow_train_and_eval(layer):
    m = layer(0.5)
    x = mt.ones(64, 8, 3, 3)
    assert np.any(m(x).numpy() == 0)
    m.eval()
    assert m(x) is x


def test_manual_seed_reproduces_the_mask():
    x = mt.ones(1000)
    mt.manual_seed(5)
    a = F.dropout(x, 0.5).numpy()
    mt.manual_seed(5)
    b = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, F.dropout(x, 0.5).numpy())


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_outside_0_1_raises(p):
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
        F.dropout(mt.ones(3), p)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout2d(p)


def test_repr_is_torchs():
    import torch

    assert repr(nn.Dropout(0.3)) == repr(torch.nn.Dropout(0.3))
    assert repr(nn.Dropout2d()) == repr(torch.nn.Dropout2d())


@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 4)])
def test_dropout2d_warns_as_torch_on_2d_and_3d_input(shape):
    """torch warns (mnist_rnn's Dropout2d on (N, 64) features) and then drops elements (2-D) or (n, c) rows
    (3-D): the same warnings, the same mask layout."""
    with pytest.warns(UserWarning) as ours:
        y = F.dropout2d(mt.ones(*shape), 0.5).numpy()
    with pytest.warns(UserWarning) as theirs:
        torch.nn.functional.dropout2d(torch.ones(*shape), 0.5)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    if len(shape) == 3:
        assert (y == y[..., :1]).all()
