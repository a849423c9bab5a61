"""Pooling against torch.nn.functional: values, argmax indices and gradients over random configurations,
with ties, NaN and -inf, and torch's ceil_mode / count_include_pad / divisor_override rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_cnn as mt
from minitorch_cnn import backend
from minitorch_cnn.autograd import gradcheck
from minitorch_cnn.kernels import dispatch, use_kernels
from minitorch_cnn.ops.pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from tests._parity import assert_close

DTYPES = (np.float64, np.float32)
CPU_KERNELS = dispatch.available("cpu")  # every path is held against torch, not only the one "auto" picks
OURS = dict(
    max_pool2d=max_pool2d, avg_pool2d=avg_pool2d, adaptive_avg_pool2d=adaptive_avg_pool2d,
    adaptive_max_pool2d=adaptive_max_pool2d,
)  # fmt: skip


def values(rng, shape, kind):
    """Test inputs: distinct normals, small integers (many ties), or with NaN / -inf sprinkled in."""
    if kind == "normal":
        return rng.standard_normal(shape)
    x = rng.integers(0, 3, shape).astype(np.float64)
    if kind == "nan":
        x[rng.random(shape) < 0.15] = np.nan
    elif kind == "-inf":
        x[rng.random(shape) < 0.5] = -np.inf
    return x


def check(name, x, *args, seed=0, **kw):
    """Our ``name`` (each CPU kernel path) against torch's in float64 and float32: values (NaN where torch has
    NaN), indices, dL/dx."""
    for dtype in DTYPES:
        tx = torch.tensor(x.astype(dtype), requires_grad=True)
        tout = getattr(F, name)(tx, *args, **kw)
        tout, tidx = tout if kw.get("return_indices") else (tout, None)
        ty = tout.detach().numpy()
        g = np.random.default_rng(seed).standard_normal(ty.shape).astype(dtype)
        tout.backward(torch.tensor(g))
        for path in CPU_KERNELS:
            what = f"{name} {np.dtype(dtype).name} {path} kernels {args} {kw}"
            X = mt.tensor(x.astype(dtype), requires_grad=True)
            with use_kernels(path):
                out = OURS[name](X, *args, **kw)
                if tidx is not None:
                    out, idx = out
                    assert idx.dtype == np.int64 and idx.shape == tuple(tidx.shape)
                    np.testing.assert_array_equal(idx._data, tidx.numpy(), err_msg=f"indices of {what}")
                out.backward(mt.tensor(g))
            assert out.shape == tuple(tout.shape) and out.dtype == dtype
            y = out._data
            np.testing.assert_array_equal(np.isnan(y), np.isnan(ty), err_msg=what)
            finite, infinite = np.isfinite(ty), np.isinf(ty)
            np.testing.assert_array_equal(y[infinite], ty[infinite], err_msg=what)
            assert_close(y[finite], ty[finite], dtype, what=f"y of {what}")
            assert_close(X.grad, tx.grad, dtype, what=f"dx of {what}")


def spatial(draw, span, pad):
    """An input length from 'the window only fits thanks to the padding' upward."""
    low = max(1, span - 2 * pad)
    return draw(st.integers(low, low + 7))


@st.composite
def max_pool_configs(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    stride = draw(st.one_of(st.none(), st.integers(1, 5), st.tuples(st.integers(1, 5), st.integers(1, 5))))
    size = [spatial(draw, dd * (kk - 1) + 1, pp) for dd, kk, pp in zip(d, k, p)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)
    kw = dict(stride=stride, padding=p, dilation=d, ceil_mode=draw(st.booleans()), return_indices=True)
    return shape, k, kw, draw(st.sampled_from(["normal", "ties", "nan", "-inf"])), draw(st.integers(0, 99))


def reads_only_padding(n, k, s, p, d, ceil_mode):
    """Whether some dilated window misses the input entirely: torch then gives an out-of-range index (and its
    backward writes out of bounds), so we refuse such a geometry."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return any(all(not 0 <= o * s - p + i * d < n for i in range(k)) for o in range(out))


@settings(max_examples=250, deadline=None)
@given(max_pool_configs())
def test_max_pool2d_matches_torch(cfg):
    shape, k, kw, kind, seed = cfg
    x = values(np.random.default_rng(seed), shape, kind)
    stride = k if kw["stride"] is None else kw["stride"]
    stride = (stride, stride) if isinstance(stride, int) else stride
    if any(reads_only_padding(*a, kw["ceil_mode"]) for a in zip(shape[2:], k, stride, kw["padding"], kw["dilation"])):
        with pytest.raises(RuntimeError, match="reads only padding"):
            max_pool2d(mt.tensor(x), k, **kw)
        return
    check("max_pool2d", x, k, seed=seed, **kw)


@st.composite
def avg_pool_configs(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    stride = draw(st.one_of(st.none(), st.integers(1, 5), st.tuples(st.integers(1, 5), st.integers(1, 5))))
    size = [spatial(draw, kk, pp) for kk, pp in zip(k, p)]
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size)
    kw = dict(
        stride=stride, padding=p, ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans()),
        divisor_override=draw(st.one_of(st.none(), st.integers(1, 7))),
    )  # fmt: skip
    return shape, k, kw, draw(st.integers(0, 99))


@settings(max_examples=250, deadline=None)
@given(avg_pool_configs())
def test_avg_pool2d_matches_torch(cfg):
    shape, k, kw, seed = cfg
    check("avg_pool2d", np.random.default_rng(seed).standard_normal(shape), k, seed=seed, **kw)


@st.composite
def adaptive_configs(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 10)), draw(st.integers(1, 10)))
    side = st.one_of(st.none(), st.integers(1, 12))
    out = draw(st.one_of(st.integers(1, 12), st.tuples(side, side)))
    return shape, out, draw(st.sampled_from(["normal", "ties", "nan"])), draw(st.integers(0, 99))


@settings(max_examples=150, deadline=None)
@given(adaptive_configs())
def test_adaptive_pools_match_torch(cfg):
    shape, out, kind, seed = cfg
    rng = np.random.default_rng(seed)
    check("adaptive_avg_pool2d", rng.standard_normal(shape), out, seed=seed)
    check("adaptive_max_pool2d", values(rng, shape, kind), out, seed=seed, return_indices=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [(8, 8), (7, 5), (1, 13)])
def test_global_average_pooling_backward_gives_torchs_bits(dtype, size):
    """Output 1×1 (a ResNet's head) takes its own backward, g / (H·W) broadcast: exactly torch's gradient."""
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((3, 4, *size)).astype(dtype), rng.standard_normal((3, 4, 1, 1)).astype(dtype)
    ours = mt.tensor(x, requires_grad=True)
    adaptive_avg_pool2d(ours, 1).backward(mt.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    torch.nn.functional.adaptive_avg_pool2d(theirs, 1).backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad._data, theirs.grad.numpy())


def test_max_pool2d_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.array([[[[1.0, 3, 3], [3, 2, 3], [0, 3, 1]]]])
    X = mt.tensor(x, requires_grad=True)
    y, idx = max_pool2d(X, 2, stride=1, return_indices=True)
    assert idx._data.tolist() == [[[[1, 1], [3, 5]]]]
    y.backward(mt.ones(1, 1, 2, 2))
    assert X.grad._data.tolist() == [[[[0, 2, 0], [1, 0, 1], [0, 0, 0]]]]
    check("max_pool2d", np.zeros((2, 3, 6, 5)), 3, stride=2, padding=1, ceil_mode=True, return_indices=True)


def test_max_pool2d_windows_of_only_minus_inf_point_at_their_first_pixel():
    check("max_pool2d", np.full((1, 2, 5, 5), -np.inf), 3, stride=2, padding=1, dilation=2, return_indices=True)


@pytest.mark.parametrize(
    "name,args,kw",
    [
        ("max_pool2d", (3,), dict(stride=2, padding=1, return_indices=True)),
        ("avg_pool2d", ((2, 3),), dict(stride=1, padding=(1, 0), ceil_mode=True, count_include_pad=False)),
        ("adaptive_avg_pool2d", ((3, None),), {}),
        ("adaptive_max_pool2d", (4,), dict(return_indices=True)),
    ],
)
def test_unbatched_input(name, args, kw):
    check(name, values(np.random.default_rng(1), (3, 7, 6), "ties"), *args, **kw)


def test_pooling_a_real_sized_float32_batch():
    x = np.random.default_rng(2).standard_normal((8, 16, 32, 32))
    check("max_pool2d", x, 2, return_indices=True)
    check("max_pool2d", x, 3, stride=2, padding=1, ceil_mode=True)
    check("avg_pool2d", x, 3, stride=2, padding=1, count_include_pad=False)
    check("adaptive_avg_pool2d", x, 1)
    check("adaptive_max_pool2d", x, (5, 7))


def test_pooling_gradcheck():
    rng = np.random.default_rng(3)
    # distinct, well-separated values so a finite-difference step never changes a window's argmax
    x = mt.tensor(rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0, requires_grad=True)
    fns = [
        lambda t: max_pool2d(t, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2), ceil_mode=True),
        lambda t: avg_pool2d(t, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        lambda t: avg_pool2d(t, (2, 3), padding=(1, 1), divisor_override=5),
        lambda t: adaptive_avg_pool2d(t, (4, 5)),
        lambda t: adaptive_max_pool2d(t, (5, 4)),
    ]
    for fn in fns:
        assert gradcheck(fn, [x])


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda x: max_pool2d(x, 3, padding=2), r"max_pool2d: pad should be at most half of kernel size"),
        (lambda x: avg_pool2d(x, 2, padding=(0, 2)), r"avg_pool2d: pad should be at most half"),
        (lambda x: max_pool2d(x, 9), r"input \(1, 2, 5, 6\) with kernel_size=\(9, 9\).*output size \(0 x 0\)"),
        (lambda x: max_pool2d(x, 3, stride=1, dilation=3), r"output size \(-1 x 0\), which is too small"),
        (lambda x: max_pool2d(x, 0), r"kernel_size must be >= 1"),
        (lambda x: max_pool2d(x[:, :, :1], (2, 1), padding=(1, 0), dilation=(2, 1)),
         r"window 0 along rows reads only padding \(taps at \[-1, 1\]"),
        (lambda x: max_pool2d(x, 2, stride=0), r"stride must be >= 1"),
        (lambda x: avg_pool2d(x, 2, divisor_override=0), r"divisor_override must be a non-zero int"),
        (lambda x: max_pool2d(x.reshape(1, 1, 2, 5, 6), 2), r"expected a 4-d input \(N, C, H, W\) or a 3-d"),
        (lambda x: avg_pool2d(x.reshape(10, 6), 2), r"got shape \(10, 6\)"),
        (lambda x: adaptive_avg_pool2d(x, (1, 2, 3)), r"output_size must be a positive int or a pair"),
        (lambda x: adaptive_max_pool2d(x, 0), r"output_size must be a positive int"),
        (lambda x: max_pool2d(x.to(mt.int64), 2), r"expected a floating-point input, got mt.int64"),
        (lambda x: max_pool2d(mt.zeros(1, 0, 4, 4), 2), r"non-zero C, H, W"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_with_the_sizes(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(mt.zeros(1, 2, 5, 6))


@pytest.mark.skipif(not backend.cuda_available(), reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize(
    "name,args,kw",
    [
        ("max_pool2d", (3,), dict(stride=2, padding=1, dilation=(1, 2), ceil_mode=True, return_indices=True)),
        ("avg_pool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
        ("adaptive_avg_pool2d", ((3, 5),), {}),
        ("adaptive_max_pool2d", ((4, 3),), dict(return_indices=True)),
    ],
)
def test_pooling_on_cuda_matches_torch(name, args, kw):
    x = values(np.random.default_rng(4), (2, 3, 9, 8), "ties")
    X = mt.tensor(x).to("cuda").requires_grad_()
    tx = torch.tensor(x, requires_grad=True)
    out, tout = OURS[name](X, *args, **kw), getattr(F, name)(tx, *args, **kw)
    if kw.get("return_indices"):
        (out, idx), (tout, tidx) = out, tout
        np.testing.assert_array_equal(idx.to("cpu")._data, tidx.numpy())
    assert out.device.type == "cuda"
    g = np.random.default_rng(5).standard_normal(tuple(tout.shape))
    out.backward(mt.tensor(g).to("cuda"))
    tout.backward(torch.tensor(g))
    assert_close(out.to("cpu"), tout, np.float64, what=f"{name} y")
    assert_close(X.grad.to("cpu"), tx.grad, np.float64, what=f"{name} dx")
