"""3-d pooling against torch: max (indices, ceil_mode, dilation), average (count_include_pad, divisor_override,
ceil_mode), adaptive avg/max, max unpooling; values, gradients with a random upstream gradient, second order,
float32 against the float64 truth, modules' reprs, torch's errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minitorch_cnn as mt
from minitorch_cnn.nn import functional as F
from tests._parity import assert_close, assert_f32_close


def _run(name, shape, args, kwargs, dtype=np.float64, seed=0):
    """(ours, torch's) outputs and input gradients for one call, under one random upstream gradient."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = getattr(F, name)(xm, *args, **kwargs), getattr(TF, name)(xt, *args, **kwargs)
    idx = tidx = None
    if isinstance(ty, tuple):
        (y, idx), (ty, tidx) = y, ty
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    return (y, xm.grad, idx), (ty, xt.grad, tidx)


MAX = [
    ((2, 3, 5, 6, 7), (2,), {}),
    ((2, 3, 5, 6, 7), (3, 2, 1), {"ceil_mode": True, "return_indices": True}),
    ((1, 2, 7, 6, 8), ((2, 3, 2), (1, 2, 3), (1, 1, 0), (2, 1, 2)), {"return_indices": True}),
    ((2, 5, 4, 6), (3,), {"stride": 1, "padding": 1}),  # unbatched, overlapping windows
    ((1, 2, 6, 5, 7), ((3, 2, 3),), {"stride": (2, 1, 2), "ceil_mode": True}),
]


@pytest.mark.parametrize("shape,args,kwargs", MAX)
def test_max_pool3d(shape, args, kwargs):
    (y, dx, idx), (ty, tdx, tidx) = _run("max_pool3d", shape, args, kwargs)
    assert_close(y, ty, np.float64, what="y")
    assert_close(dx, tdx, np.float64, what="dx")
    assert len(shape) == 4 or y.grad_fn.name() == ty.grad_fn.name()
    if tidx is not None:
        assert idx.dtype == mt.int64 and np.array_equal(idx.numpy(), tidx.numpy())
        assert not idx.requires_grad


def test_max_pool3d_ties_and_with_indices():
    x = np.zeros((1, 2, 4, 4, 4))
    x[0, 1, 1:3] = 1.0
    ym, im = F.max_pool3d_with_indices(mt.tensor(x), 3, 1, 1)
    yt, it = TF.max_pool3d_with_indices(torch.tensor(x), 3, 1, 1)
    assert np.array_equal(im.numpy(), it.numpy()) and np.array_equal(ym.numpy(), yt.numpy())
    assert np.array_equal(mt.max_pool3d(mt.tensor(x), 2).numpy(), torch.max_pool3d(torch.tensor(x), 2).numpy())


@pytest.mark.parametrize("name,args", [("max_pool3d", (2,)), ("max_pool3d", (3, 1, 1)), ("adaptive_max_pool3d", (1,))])
def test_max_nan_wins_as_torch(name, args):
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4, 4))
    x[0, 0, 0, 0, 1] = x[0, 0, 1, 1, 0] = x[0, 1, 2, 3, 3] = np.nan
    y, idx = getattr(F, name)(mt.tensor(x), *args, return_indices=True)
    ty, tidx = getattr(TF, name)(torch.tensor(x), *args, return_indices=True)
    assert np.array_equal(y.numpy(), ty.numpy(), equal_nan=True) and np.array_equal(idx.numpy(), tidx.numpy())


def test_max_all_minus_inf_windows_as_torch():
    x = np.full((1, 2, 3, 4, 4), -np.inf)
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (y, idx), (ty, tidx) = F.max_pool3d(xm, 3, 2, 1, return_indices=True), TF.max_pool3d(xt, 3, 2, 1,
                                                                                          return_indices=True)
    assert np.array_equal(y.detach().numpy(), ty.detach().numpy()) and np.array_equal(idx.numpy(), tidx.numpy())
    g = np.random.default_rng(0).standard_normal(tuple(ty.shape))
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(xm.grad, xt.grad, np.float64, what="dx")


AVG = [
    ((2, 3, 5, 6, 7), (2,), {}),
    ((2, 3, 5, 6, 7), (3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
    ((2, 3, 5, 6, 7), (3, 2, 1), {"ceil_mode": True, "count_include_pad": True}),
    ((1, 2, 7, 6, 8), ((2, 3, 2), (1, 2, 3), (1, 1, 0)), {"divisor_override": 5}),
    ((2, 5, 4, 6), (3,), {"stride": 1, "padding": 1, "count_include_pad": False}),
]


@pytest.mark.parametrize("shape,args,kwargs", AVG)
def test_avg_pool3d(shape, args, kwargs):
    (y, dx, _), (ty, tdx, _) = _run("avg_pool3d", shape, args, kwargs)
    assert_close(y, ty, np.float64, what="y")
    assert_close(dx, tdx, np.float64, what="dx")
    assert len(shape) == 4 or y.grad_fn.name() == ty.grad_fn.name()


ADAPTIVE = [((2, 3, 5, 6, 7), 2), ((2, 3, 5, 6, 7), (3, None, 4)), ((3, 7, 5, 4), (7, 8, 3)), ((1, 2, 4, 4, 4), 1)]


@pytest.mark.parametrize("shape,size", ADAPTIVE)
@pytest.mark.parametrize("name", ["adaptive_avg_pool3d", "adaptive_max_pool3d"])
def test_adaptive_pool3d(name, shape, size):
    kwargs = {"return_indices": True} if name == "adaptive_max_pool3d" else {}
    (y, dx, idx), (ty, tdx, tidx) = _run(name, shape, (size,), kwargs)
    assert_close(y, ty, np.float64, what="y")
    assert_close(dx, tdx, np.float64, what="dx")
    assert len(shape) == 4 or size == 1 or y.grad_fn.name() == ty.grad_fn.name()  # torch takes a mean for 1
    if tidx is not None:
        assert np.array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize("name,args,kwargs", [("max_pool3d", (3, 1, 1), {}), ("avg_pool3d", (3, 2, 1), {}),
                                              ("adaptive_avg_pool3d", ((3, 2, 4),), {}),
                                              ("adaptive_max_pool3d", ((3, 2, 4),), {})])
def test_float32_against_float64(name, args, kwargs):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6, 7)).astype(np.float32)
    g = np.random.default_rng(1).standard_normal
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x.astype(np.float64), requires_grad=True)
    y, ty = getattr(F, name)(xm, *args, **kwargs), getattr(TF, name)(xt, *args, **kwargs)
    assert y.dtype == mt.float32
    assert_f32_close(y, ty, what="y")
    gg = g(tuple(ty.shape)).astype(np.float32)
    y.backward(mt.tensor(gg))
    ty.backward(torch.tensor(gg, dtype=torch.float64))
    assert_f32_close(xm.grad, xt.grad, what="dx")


@pytest.mark.parametrize("name,args", [("max_pool3d", (3, 1, 1)), ("avg_pool3d", (3, 2, 1)),
                                       ("adaptive_avg_pool3d", ((3, 2, 4),)), ("adaptive_max_pool3d", ((3, 2, 4),))])
def test_second_order(name, args):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 4, 6))
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = getattr(F, name)(xm, *args), getattr(TF, name)(xt, *args)
    g = rng.standard_normal(tuple(ty.shape))
    gm, gt = mt.tensor(g, requires_grad=True), torch.tensor(g, requires_grad=True)
    (dx,), (tdx,) = mt.autograd.grad(y * y, [xm], gm, create_graph=True), torch.autograd.grad(ty * ty, [xt], gt,
                                                                                           create_graph=True)
    assert_close(dx, tdx, np.float64, what="dx")
    u = rng.standard_normal(x.shape)
    ours = mt.autograd.grad((dx * mt.tensor(u)).sum(), [xm, gm])
    theirs = torch.autograd.grad((tdx * torch.tensor(u)).sum(), [xt, gt])
    for a, t in zip(ours, theirs):
        assert_close(a, t, np.float64, what="second order")


@pytest.mark.parametrize("output_size", [None, (5, 6, 7), [2, 3, 5, 6, 7]])
def test_max_unpool3d(output_size):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 5, 6, 7))
    y, idx = TF.max_pool3d(torch.tensor(x), 2, return_indices=True)
    if output_size is None:  # the default size only holds indices of an input that the windows tile
        x = x[:, :, :4, :6, :6]
        y, idx = TF.max_pool3d(torch.tensor(x), 2, return_indices=True)
    ym = mt.tensor(y.numpy(), requires_grad=True)
    yt = y.clone().requires_grad_(True)
    out = F.max_unpool3d(ym, mt.tensor(idx.numpy()), 2, output_size=output_size)
    tout = TF.max_unpool3d(yt, idx, 2, output_size=output_size)
    assert_close(out, tout, np.float64, what="unpool")
    assert out.grad_fn.name() == tout.grad_fn.name()
    g = rng.standard_normal(tuple(tout.shape))
    out.backward(mt.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(ym.grad, yt.grad, np.float64, what="dx")
    m, tm = mt.nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2)
    assert repr(m) == repr(tm)
    assert_close(m(ym, mt.tensor(idx.numpy()), output_size), tm(yt, idx, output_size), np.float64, what="module")


@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool3d(2), lambda nn: nn.MaxPool3d((2, 1, 3), stride=1, padding=(1, 0, 1), ceil_mode=True),
    lambda nn: nn.AvgPool3d(2), lambda nn: nn.AvgPool3d(3, 2, 1, True, False, 4),
    lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)), lambda nn: nn.AdaptiveMaxPool3d(2),
])
def test_modules(make):
    m, tm = make(mt.nn), make(torch.nn)
    assert repr(m) == repr(tm)
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6, 7))
    assert_close(m(mt.tensor(x)), tm(torch.tensor(x)), np.float64, what=repr(m))


@pytest.mark.parametrize("norm_type,args", [(2.0, (2,)), (3.0, ((2, 3, 2), (1, 2, 3))), (1.5, (3, 2, True))])
def test_lp_pool3d(norm_type, args):
    x = np.abs(np.random.default_rng(0).standard_normal((2, 3, 5, 6, 7))) + 0.1
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = F.lp_pool3d(xm, norm_type, *args), TF.lp_pool3d(xt, norm_type, *args)
    assert_close(y, ty, np.float64, what="y")
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(xm.grad, xt.grad, np.float64, what="dx")
    m, tm = mt.nn.LPPool3d(norm_type, *args), torch.nn.LPPool3d(norm_type, *args)
    assert repr(m) == repr(tm)
    assert_close(m(mt.tensor(x)), tm(torch.tensor(x)), np.float64, what="module")


def test_adaptive_max_module_indices():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6, 7))
    (y, i), (ty, ti) = mt.nn.AdaptiveMaxPool3d(3, True)(mt.tensor(x)), torch.nn.AdaptiveMaxPool3d(3, True)(
        torch.tensor(x))
    assert_close(y, ty, np.float64) and np.array_equal(i.numpy(), ti.numpy())
    (y, i), (ty, ti) = F.adaptive_max_pool3d_with_indices(mt.tensor(x), 2), TF.adaptive_max_pool3d_with_indices(
        torch.tensor(x), 2)
    assert np.array_equal(i.numpy(), ti.numpy())


ERRORS = [
    ("max_pool3d", (3, 5, 5), (2,), {}),
    ("max_pool3d", (1, 3, 5, 5, 5), (4,), {"padding": 3}),
    ("max_pool3d", (1, 1, 2, 2, 2), (3,), {}),
    ("max_pool3d", (1, 3, 5, 5, 5), ((2, 3),), {}),
    ("avg_pool3d", (3, 5, 5), (2,), {}),
    ("avg_pool3d", (1, 3, 5, 5, 5), (4,), {"padding": 3}),
    ("avg_pool3d", (1, 1, 2, 2, 2), (3,), {"padding": 1}),
    ("adaptive_avg_pool3d", (3, 5), (2,), {}),
    ("adaptive_max_pool3d", (3, 5), (2,), {}),
    ("adaptive_avg_pool3d", (1, 3, 5, 5, 5), ((2, 3),), {}),
]


@pytest.mark.parametrize("name,shape,args,kwargs", ERRORS)
def test_errors_as_torch(name, shape, args, kwargs):
    with pytest.raises(RuntimeError) as want:
        getattr(TF, name)(torch.randn(shape), *args, **kwargs)
    with pytest.raises(RuntimeError, match=re.escape(str(want.value))):
        getattr(F, name)(mt.randn(*shape), *args, **kwargs)


def test_unpool_errors_as_torch():
    y, idx = TF.max_pool3d(torch.randn(1, 2, 4, 4, 4), 2, return_indices=True)
    ym, im = mt.tensor(y.numpy()), mt.tensor(idx.numpy())
    cases = [((ym[0, 0], im[0, 0], 2), (y[0, 0], idx[0, 0], 2), RuntimeError),
             ((ym, im[:1, :1], 2), (y, idx[:1, :1], 2), RuntimeError),
             ((ym, im, 2, None, 0, (9, 4, 4)), (y, idx, 2, None, 0, (9, 4, 4)), ValueError)]
    for ours, theirs, kind in cases:
        with pytest.raises(kind) as want:
            TF.max_unpool3d(*theirs)
        with pytest.raises(kind, match=re.escape(str(want.value))):
            F.max_unpool3d(*ours)
    with pytest.raises(RuntimeError, match="Found an invalid max index"):
        F.max_unpool3d(ym, im + 100, 2)


def test_max_unpool3d_second_order():
    rng = np.random.default_rng(5)
    y, idx = TF.max_pool3d(torch.tensor(rng.standard_normal((1, 2, 4, 4, 6))), 2, return_indices=True)
    ym, yt = mt.tensor(y.numpy(), requires_grad=True), y.clone().requires_grad_(True)
    out, tout = F.max_unpool3d(ym, mt.tensor(idx.numpy()), 2), TF.max_unpool3d(yt, idx, 2)
    g = rng.standard_normal(tuple(tout.shape))
    gm, gt = mt.tensor(g, requires_grad=True), torch.tensor(g, requires_grad=True)
    (dy,), (tdy,) = mt.autograd.grad(out * out, [ym], gm, create_graph=True), torch.autograd.grad(
        tout * tout, [yt], gt, create_graph=True)
    assert_close(dy, tdy, np.float64, what="dy")
    u = rng.standard_normal(tuple(y.shape))
    ours = mt.autograd.grad((dy * mt.tensor(u)).sum(), [ym, gm])
    theirs = torch.autograd.grad((tdy * torch.tensor(u)).sum(), [yt, gt])
    for a, t in zip(ours, theirs):
        assert_close(a, t, np.float64, what="second order")
