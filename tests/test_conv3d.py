"""conv3d / nn.Conv3d / nn.LazyConv3d against torch: values, gradients (random upstream), second order, float32
against the float64 truth, padding modes, unbatched input, module surface and torch's errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minitorch_cnn as mt
from minitorch_cnn.nn import functional as F
from tests._parity import assert_close, assert_f32_close

CASES = [  # (x shape, (O, kd, kh, kw), stride, padding, dilation, groups, bias)
    ((2, 3, 5, 6, 7), (4, 3, 3, 3), 1, 0, 1, 1, True),
    ((2, 4, 6, 5, 7), (6, 2, 3, 2), 2, 1, 1, 2, True),
    ((1, 2, 7, 6, 5), (3, 3, 2, 3), (2, 1, 3), (1, 0, 2), (2, 1, 1), 1, False),
    ((2, 3, 5, 5, 6), (2, 3, 3, 3), 1, "same", (1, 2, 1), 1, True),
    ((1, 4, 6, 5, 4), (4, 2, 3, 2), 1, "same", 1, 4, True),
    ((2, 2, 4, 5, 3), (3, 2, 2, 2), (1, 2, 1), "valid", 1, 1, True),
    ((3, 2, 5, 4, 6), (3, 1, 1, 1), 2, 1, 1, 1, True),
    ((4, 3, 5, 6), (2, 2, 3, 2), 1, 1, 1, 1, True),  # unbatched
]


def _pair(xs, ws, groups, bias, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    c = xs[-4]
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal((ws[0], c // groups, *ws[1:])).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype) if bias else None
    return x, w, b


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups,bias", CASES)
def test_conv3d_forward_backward_float64(xs, ws, stride, padding, dilation, groups, bias):
    x, w, b = _pair(xs, ws, groups, bias)
    ours = [mt.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = F.conv3d(*ours, stride, padding, dilation, groups)
    ty = TF.conv3d(*theirs, stride, padding, dilation, groups)
    assert_close(y, ty, np.float64, what="y")
    assert y.grad_fn.name() == ty.grad_fn.name()
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    for a, t, name in zip(ours, theirs, "xwb"):
        if a is not None:
            assert_close(a.grad, t.grad, np.float64, what=f"d{name}")


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups,bias", CASES[:5])
def test_conv3d_float32_against_float64_truth(xs, ws, stride, padding, dilation, groups, bias):
    x, w, b = _pair(xs, ws, groups, bias, np.float32)
    ours = [mt.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    truth = [torch.tensor(a.astype(np.float64), requires_grad=True) if a is not None else None for a in (x, w, b)]
    t32 = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = F.conv3d(*ours, stride, padding, dilation, groups)
    ty = TF.conv3d(*truth, stride, padding, dilation, groups)
    ty32 = TF.conv3d(*t32, stride, padding, dilation, groups)
    assert y.dtype == mt.float32
    cond = TF.conv3d(*[t.detach().abs() if t is not None else None for t in truth], stride, padding, dilation, groups)
    assert_f32_close(y, ty, torch32=ty32, cond=cond, what="y")
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(np.float32)
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g, dtype=torch.float64))
    ty32.backward(torch.tensor(g))
    for a, t, t3, name in zip(ours, truth, t32, "xwb"):
        if a is not None:
            assert_f32_close(a.grad, t.grad, torch32=t3.grad, rtol=1e-4, what=f"d{name}")


@pytest.mark.parametrize("case", [CASES[1], CASES[2], CASES[7]])
def test_conv3d_second_order(case):
    xs, ws, stride, padding, dilation, groups, bias = case
    x, w, b = _pair(xs, ws, groups, bias)
    ours = [mt.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = F.conv3d(*ours, stride, padding, dilation, groups)
    ty = TF.conv3d(*theirs, stride, padding, dilation, groups)
    rng = np.random.default_rng(2)
    g = rng.standard_normal(tuple(ty.shape))
    gm, gt = mt.tensor(g, requires_grad=True), torch.tensor(g, requires_grad=True)
    dx, dw = mt.autograd.grad(y, ours[:2], gm, create_graph=True)
    tdx, tdw = torch.autograd.grad(ty, theirs[:2], gt, create_graph=True)
    assert_close(dx, tdx, np.float64, what="dx")
    assert_close(dw, tdw, np.float64, what="dw")
    u, v = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    s = (dx * mt.tensor(u)).sum() + (dw * mt.tensor(v) * dw).sum()
    ts = (tdx * torch.tensor(u)).sum() + (tdw * torch.tensor(v) * tdw).sum()
    ours2 = mt.autograd.grad(s, [ours[0], ours[1], gm])
    theirs2 = torch.autograd.grad(ts, [theirs[0], theirs[1], gt])
    for a, t, name in zip(ours2, theirs2, ("x", "w", "g")):
        assert_close(a, t, np.float64, what=f"d2/d{name}")


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (1, 2, 0), "same"])
def test_module_padding_modes(mode, padding):
    torch.manual_seed(0)
    tm = torch.nn.Conv3d(2, 3, (3, 2, 3), padding=padding, padding_mode=mode, dtype=torch.float64)
    m = mt.nn.Conv3d(2, 3, (3, 2, 3), padding=padding, padding_mode=mode, dtype=mt.float64)
    m.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert repr(m) == repr(tm)
    unbatched = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    assert_close(m(mt.tensor(unbatched)), tm(torch.tensor(unbatched)), np.float64, what="unbatched y")
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 5, 4))
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(xm), tm(xt)
    assert_close(y, ty, np.float64, what="y")
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(xm.grad, xt.grad, np.float64, what="dx")
    assert_close(m.weight.grad, tm.weight.grad, np.float64, what="dW")


def test_module_surface_and_init():
    tm, m = torch.nn.Conv3d(4, 6, 3, stride=(1, 2, 1), groups=2, bias=False), mt.nn.Conv3d(4, 6, 3, (1, 2, 1),
                                                                                          groups=2, bias=False)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    assert tuple(m.weight.shape) == tuple(tm.weight.shape) == (6, 2, 3, 3, 3)
    m = mt.nn.Conv3d(3, 5, (2, 3, 4), dilation=2, padding=(1, 0, 2))
    tm = torch.nn.Conv3d(3, 5, (2, 3, 4), dilation=2, padding=(1, 0, 2))
    assert repr(m) == repr(tm) and list(m.state_dict()) == ["weight", "bias"]
    bound = 1 / np.sqrt(3 * 2 * 3 * 4)
    assert np.abs(m.weight.detach().numpy()).max() <= bound and np.abs(m.bias.detach().numpy()).max() <= bound


def test_lazy_conv3d():
    m, tm = mt.nn.LazyConv3d(4, 2, stride=2), torch.nn.LazyConv3d(4, 2, stride=2)
    assert repr(m) == repr(tm)
    y = m(mt.randn(2, 3, 4, 4, 4))
    assert type(m) is mt.nn.Conv3d and m.in_channels == 3 and tuple(m.weight.shape) == (4, 3, 2, 2, 2)
    assert tuple(y.shape) == (2, 4, 2, 2, 2)
    m = mt.nn.LazyConv3d(4, 2)
    m(mt.randn(3, 4, 4, 4))
    assert m.in_channels == 3


ERRORS = [
    (lambda lib: lib.randn(2, 3), lambda lib: lib.randn(4, 3, 3, 3, 3), {}),
    (lambda lib: lib.randn(1, 3, 5, 5, 5), lambda lib: lib.randn(4, 2, 3, 3, 3), {}),
    (lambda lib: lib.randn(1, 3, 2, 2, 2), lambda lib: lib.randn(4, 3, 3, 3, 3), {}),
    (lambda lib: lib.randn(1, 4, 5, 5, 5), lambda lib: lib.randn(4, 2, 3, 3, 3), {"groups": 3}),
    (lambda lib: lib.randn(1, 3, 5, 5, 5), lambda lib: lib.randn(4, 3, 3, 3, 3), {"stride": 2, "padding": "same"}),
    (lambda lib: lib.randn(1, 3, 5, 5, 5), lambda lib: lib.randn(4, 3, 3, 3, 3), {"stride": (1, 2)}),
    (lambda lib: lib.randn(1, 3, 5, 5, 5), lambda lib: lib.randn(4, 3, 3, 3, 3), {"bias": "b3"}),
]


@pytest.mark.parametrize("name", ["conv3d", "conv_transpose3d"])
@pytest.mark.parametrize("wtype,btype", [("float64", None), ("float32", "float64")])
def test_dtype_errors_as_torch(name, wtype, btype):
    def call(lib, fn):
        bias = lib.randn(2, dtype=getattr(lib, btype)) if btype else None
        return fn(lib.randn(1, 2, 3, 3, 3), lib.randn(2, 2, 1, 1, 1, dtype=getattr(lib, wtype)), bias)

    with pytest.raises(RuntimeError) as want:
        call(torch, getattr(TF, name))
    with pytest.raises(RuntimeError, match=re.escape(str(want.value))):
        call(mt, getattr(F, name))


@pytest.mark.parametrize("make_x,make_w,kw", ERRORS)
def test_errors_as_torch(make_x, make_w, kw):
    def call(lib, fn):
        kwargs = dict(kw)
        if kwargs.get("bias") == "b3":
            kwargs["bias"] = lib.randn(3)
        return fn(make_x(lib), make_w(lib), **kwargs)

    with pytest.raises(RuntimeError) as want:
        call(torch, TF.conv3d)
    with pytest.raises(type(want.value), match=re.escape(str(want.value))):
        call(mt, F.conv3d)


def test_module_errors():
    with pytest.raises(ValueError, match="should be one of"):
        mt.nn.Conv3d(2, 3, 3, padding="full")
    with pytest.raises(ValueError, match="strided"):
        mt.nn.Conv3d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        mt.nn.Conv3d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        mt.nn.Conv3d(2, 3, 3, padding_mode="mirror")


TRANSPOSE = [  # (x shape, (C_out/groups, kd, kh, kw), stride, padding, output_padding, groups, dilation, bias)
    ((2, 4, 3, 4, 5), (3, 3, 2, 3), 1, 0, 0, 1, 1, True),
    ((2, 4, 3, 4, 5), (3, 3, 3, 3), 2, 1, 1, 1, 1, True),
    ((1, 4, 3, 4, 3), (2, 3, 2, 3), (2, 1, 3), (1, 0, 2), (1, 0, 2), 2, (1, 2, 1), False),
    ((2, 2, 3, 3, 4), (3, 2, 2, 2), 2, 0, (1, 0, 1), 1, (1, 1, 2), True),
    ((4, 3, 4, 2), (2, 2, 3, 2), 2, 1, 0, 1, 1, True),  # unbatched
]


def _transpose_operands(xs, ws, groups, bias, dtype=np.float64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal((xs[-4], *ws)).astype(dtype)
    b = rng.standard_normal(ws[0] * groups).astype(dtype) if bias else None
    return x, w, b


@pytest.mark.parametrize("xs,ws,stride,padding,out_pad,groups,dilation,bias", TRANSPOSE)
def test_conv_transpose3d_float64(xs, ws, stride, padding, out_pad, groups, dilation, bias):
    x, w, b = _transpose_operands(xs, ws, groups, bias)
    ours = [mt.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = mt.conv_transpose3d(*ours, stride, padding, out_pad, groups, dilation)
    ty = torch.conv_transpose3d(*theirs, stride, padding, out_pad, groups, dilation)
    assert_close(y, ty, np.float64, what="y")
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    y.backward(mt.tensor(g))
    ty.backward(torch.tensor(g))
    for a, t, name in zip(ours, theirs, "xwb"):
        if a is not None:
            assert_close(a.grad, t.grad, np.float64, what=f"d{name}")
    # float32 against the float64 truth
    x32, w32 = mt.tensor(x.astype(np.float32)), mt.tensor(w.astype(np.float32))
    b32 = mt.tensor(b.astype(np.float32)) if bias else None
    y32 = F.conv_transpose3d(x32, w32, b32, stride, padding, out_pad, groups, dilation)
    assert y32.dtype == mt.float32
    truth = TF.conv_transpose3d(*[torch.tensor(a.astype(np.float32).astype(np.float64)) if a is not None else None
                                  for a in (x, w, b)], stride, padding, out_pad, groups, dilation)
    cond = TF.conv_transpose3d(*[torch.tensor(np.abs(a.astype(np.float32)).astype(np.float64)) if a is not None
                                 else None for a in (x, w, b)], stride, padding, out_pad, groups, dilation)
    assert_f32_close(y32, truth, cond=cond, what="float32 y")


def test_conv_transpose3d_second_order():
    xs, ws, stride, padding, out_pad, groups, dilation, bias = TRANSPOSE[2]
    x, w, b = _transpose_operands(xs, ws, groups, bias)
    xm, wm = mt.tensor(x, requires_grad=True), mt.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = F.conv_transpose3d(xm, wm, None, stride, padding, out_pad, groups, dilation)
    ty = TF.conv_transpose3d(xt, wt, None, stride, padding, out_pad, groups, dilation)
    rng = np.random.default_rng(4)
    g = rng.standard_normal(tuple(ty.shape))
    dx, dw = mt.autograd.grad(y, [xm, wm], mt.tensor(g), create_graph=True)
    tdx, tdw = torch.autograd.grad(ty, [xt, wt], torch.tensor(g), create_graph=True)
    u = rng.standard_normal(x.shape)
    ours = mt.autograd.grad((dx * mt.tensor(u)).sum() + (dw * dw).sum(), [xm, wm])
    theirs = torch.autograd.grad((tdx * torch.tensor(u)).sum() + (tdw * tdw).sum(), [xt, wt])
    for a, t in zip(ours, theirs):
        assert_close(a, t, np.float64, what="second order")


def test_conv_transpose3d_module():
    torch.manual_seed(0)
    tm = torch.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2, dilation=(1, 2, 1), dtype=torch.float64)
    m = mt.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2, dilation=(1, 2, 1), dtype=mt.float64)
    assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
    assert tuple(m.weight.shape) == tuple(tm.weight.shape)
    m.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 4, 3))
    for size in (None, (6, 9, 6), [2, 6, 5, 10, 6]):
        assert_close(m(mt.tensor(x), size), tm(torch.tensor(x), size), np.float64, what=f"output_size={size}")
    for size in ((9, 9, 13), (9, 9)):
        with pytest.raises(ValueError) as want:
            tm(torch.tensor(x), size)
        with pytest.raises(ValueError, match=re.escape(str(want.value).replace("torch.Size", "mt.Size"))):
            m(mt.tensor(x), size)
    lazy, tlazy = mt.nn.LazyConvTranspose3d(4, 3), torch.nn.LazyConvTranspose3d(4, 3)
    assert repr(lazy) == repr(tlazy)
    lazy(mt.randn(2, 3, 3, 3, 3))
    assert type(lazy) is mt.nn.ConvTranspose3d and tuple(lazy.weight.shape) == (3, 4, 3, 3, 3)


@pytest.mark.parametrize("xs,wshape,kw", [
    ((2, 3), (3, 4, 3, 3, 3), {}),
    ((1, 2, 3, 3, 3), (3, 4, 3, 3, 3), {}),
    ((1, 3, 3, 3, 3), (3, 4, 3, 3, 3), {"stride": 2, "output_padding": 2}),
    ((1, 3, 3, 3, 3), (3, 4, 3, 3, 3), {"groups": 2}),
    ((1, 3, 3, 3, 3), (3, 4, 3, 3, 3), {"bias": (3,)}),
    ((1, 3, 1, 1, 1), (3, 4, 1, 1, 1), {"padding": 1}),
])
def test_conv_transpose3d_errors_as_torch(xs, wshape, kw):
    def call(lib, fn):
        kwargs = dict(kw)
        if "bias" in kwargs:
            kwargs["bias"] = lib.randn(*kwargs["bias"])
        return fn(lib.randn(*xs), lib.randn(*wshape), **kwargs)

    with pytest.raises(RuntimeError) as want:
        call(torch, TF.conv_transpose3d)
    with pytest.raises(RuntimeError, match=re.escape(str(want.value))):
        call(mt, F.conv_transpose3d)
