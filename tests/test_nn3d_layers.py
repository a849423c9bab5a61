"""The 3-d family's other layers against torch: BatchNorm3d, InstanceNorm3d (and lazy forms), Dropout3d /
F.dropout3d, the 3-d padding layers, F.interpolate / nn.Upsample on 5-d input; and a tiny 3-d CNN
(Conv3d-BatchNorm3d-ReLU-MaxPool3d-AdaptiveAvgPool3d-Linear) trained 3 SGD steps from torch's weights in float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minitorch_cnn as mt
from minitorch_cnn.nn import functional as F
from tests._parity import assert_close, assert_f32_close


def _load(m, tm):
    m.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _fwd_bwd(m, tm, shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(xm), tm(xt)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    return (y, xm.grad), (ty, xt.grad)


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}])
def test_batchnorm3d(kwargs):
    m, tm = mt.nn.BatchNorm3d(3, dtype=mt.float64, **kwargs), torch.nn.BatchNorm3d(3, dtype=torch.float64, **kwargs)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    if "affine" not in kwargs:
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
            tm.bias.uniform_(-1, 1)
    _load(m, tm)
    for seed in range(2):  # two training steps move the running statistics
        (y, dx), (ty, tdx) = _fwd_bwd(m, tm, (2, 3, 3, 4, 5), seed=seed)
        assert_close(y, ty, np.float64, what="y")
        assert_close(dx, tdx, np.float64, what="dx")
    for k, v in tm.state_dict().items():
        assert_close(m.state_dict()[k], v, np.float64, what=k)
    m.eval(), tm.eval()
    (y, dx), (ty, tdx) = _fwd_bwd(m, tm, (2, 3, 3, 4, 5), seed=5)
    assert_close(y, ty, np.float64, what="eval y")
    assert_close(dx, tdx, np.float64, what="eval dx")


def test_batchnorm3d_float32_and_errors():
    m, tm = mt.nn.BatchNorm3d(3), torch.nn.BatchNorm3d(3, dtype=torch.float64)
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((2, 3, 3, 4, 5)).astype(np.float32), rng.standard_normal((2, 3, 3, 4, 5))
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x.astype(np.float64), requires_grad=True)
    y, ty = m(xm), tm(xt)
    y.backward(mt.tensor(g.astype(np.float32)))
    ty.backward(torch.tensor(g.astype(np.float32).astype(np.float64)))
    dx, tdx = xm.grad, xt.grad
    assert y.dtype == mt.float32
    assert_f32_close(y, ty, what="y")
    assert_f32_close(dx, tdx, rtol=1e-4, what="dx")
    with pytest.raises(ValueError) as want:
        torch.nn.BatchNorm3d(3)(torch.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=str(want.value).replace("(", r"\(").replace(")", r"\)")):
        mt.nn.BatchNorm3d(3)(mt.randn(2, 3, 4, 4))


@pytest.mark.parametrize("kwargs", [{}, {"affine": True}, {"affine": True, "track_running_stats": True}])
@pytest.mark.parametrize("shape", [(2, 3, 3, 4, 5), (3, 3, 4, 5)])
def test_instancenorm3d(kwargs, shape):
    m, tm = mt.nn.InstanceNorm3d(3, dtype=mt.float64, **kwargs), torch.nn.InstanceNorm3d(3, dtype=torch.float64,
                                                                                         **kwargs)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    if kwargs.get("affine"):
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
            tm.bias.uniform_(-1, 1)
    _load(m, tm)
    (y, dx), (ty, tdx) = _fwd_bwd(m, tm, shape)
    assert_close(y, ty, np.float64, what="y")
    assert_close(dx, tdx, np.float64, what="dx")
    for k, v in tm.state_dict().items():
        assert_close(m.state_dict()[k], v, np.float64, what=k)
    with pytest.raises(ValueError) as want:
        tm(torch.randn(2, 3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=str(want.value).replace("(", r"\(").replace(")", r"\)")):
        m(mt.randn(2, 3, 4, dtype=mt.float64))


@pytest.mark.parametrize("name", ["LazyBatchNorm3d", "LazyInstanceNorm3d"])
def test_lazy_norms(name):
    m, tm = getattr(mt.nn, name)(), getattr(torch.nn, name)()
    assert repr(m) == repr(tm)
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 3, 3)).astype(np.float32)
    y, ty = m(mt.tensor(x)), tm(torch.tensor(x))
    assert type(m).__name__ == type(tm).__name__ == name.removeprefix("Lazy")
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    assert_f32_close(y, ty, what=name)


@pytest.mark.parametrize("shape", [(4, 5, 2, 3, 2), (6, 3, 2, 2)])
def test_dropout3d_whole_channels(shape):
    mt.manual_seed(0)
    x = mt.tensor(np.random.default_rng(0).uniform(1, 2, shape), requires_grad=True)
    y = F.dropout3d(x, 0.4)
    channels = shape[0] * shape[1] if len(shape) == 5 else shape[0]  # unbatched: dim 0 holds the channels
    ratio = (y / x).detach().numpy().reshape(channels, -1)
    per_channel = ratio[:, :1]
    assert np.allclose(ratio, per_channel) and set(np.round(per_channel.ravel(), 12)) <= {0.0, round(1 / 0.6, 12)}
    g = np.random.default_rng(1).standard_normal(shape)
    y.backward(mt.tensor(g))
    assert np.allclose(x.grad.numpy(), g * (y / x).detach().numpy())
    assert F.dropout3d(x, 0.4, training=False) is x
    m, tm = mt.nn.Dropout3d(0.3), torch.nn.Dropout3d(0.3)
    assert repr(m) == repr(tm)
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout3d(x, 1.5)


def test_dropout3d_warns_as_torch():
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        TF.dropout3d(torch.randn(2, 3, 4), 0.5)
    with pytest.warns(UserWarning) as ours:
        F.dropout3d(mt.randn(2, 3, 4), 0.5)
    assert str(ours[0].message) == str(theirs[0].message)


@pytest.mark.parametrize("make", [
    lambda nn: nn.ZeroPad3d(1), lambda nn: nn.ZeroPad3d((1, 0, 2, 1, 0, 1)),
    lambda nn: nn.ConstantPad3d((1, 2, 0, 1, 1, 0), 2.5), lambda nn: nn.ReflectionPad3d((1, 2, 0, 1, 2, 1)),
    lambda nn: nn.ReplicationPad3d(2), lambda nn: nn.CircularPad3d((1, 2, 0, 1, 2, 1)),
])
@pytest.mark.parametrize("shape", [(2, 3, 3, 4, 5), (3, 3, 4, 5)])
def test_padding_layers(make, shape):
    m, tm = make(mt.nn), make(torch.nn)
    assert repr(m) == repr(tm)
    (y, dx), (ty, tdx) = _fwd_bwd(m, tm, shape)
    assert_close(y, ty, np.float64, what="y")
    assert_close(dx, tdx, np.float64, what="dx")


@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 2, "mode": "nearest"}, {"size": (4, 6, 9), "mode": "nearest-exact"},
    {"size": (5, 7, 6), "mode": "trilinear", "align_corners": True},
    {"size": (5, 7, 6), "mode": "trilinear", "align_corners": False},
    {"scale_factor": (1.5, 2, 0.5), "mode": "trilinear"}, {"size": (2, 3, 4), "mode": "area"},
])
def test_interpolate_and_upsample_5d(kwargs):
    m, tm = mt.nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(m) == repr(tm)
    (y, dx), (ty, tdx) = _fwd_bwd(m, tm, (2, 3, 3, 4, 5))
    assert_close(y, ty, np.float64, what="y")
    assert_close(dx, tdx, np.float64, what="dx")
    x = np.random.default_rng(2).standard_normal((1, 2, 3, 4, 5)).astype(np.float32)
    assert_f32_close(F.interpolate(mt.tensor(x), **kwargs), TF.interpolate(torch.tensor(x.astype(np.float64)),
                                                                           **kwargs), what="float32")


def _cnn(nn):
    return nn.Sequential(nn.Conv3d(2, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(2),
                         nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 3))


def test_tiny_3d_cnn_three_sgd_steps_float64():
    torch.manual_seed(0)
    tm = _cnn(torch.nn).double()
    m = _cnn(mt.nn).to(mt.float64)
    _load(m, tm)
    opt = mt.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x, t = rng.standard_normal((3, 2, 4, 5, 6)), rng.integers(0, 3, 3)
        loss = F.cross_entropy(m(mt.tensor(x)), mt.tensor(t))
        tloss = TF.cross_entropy(tm(torch.tensor(x)), torch.tensor(t))
        assert_close(loss, tloss, np.float64, what="loss")
        opt.zero_grad(), topt.zero_grad()
        loss.backward(), tloss.backward()
        opt.step(), topt.step()
    for k, v in tm.state_dict().items():
        assert_close(m.state_dict()[k], v, np.float64, what=k)
