"""Depthwise conv2d (groups == in_channels == out_channels) on its own path (``conv_depthwise``) against torch:
forward, dx, dW and db, second order, and a MobileNetV2 block trained one step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.models.mobilenetv2 import InvertedResidual as TorchInvertedResidual

import minitorch_cnn as mt
from minitorch_cnn.kernels.numba_kernels import conv as numba_conv
from minitorch_cnn.kernels.numba_kernels import conv_depthwise
from minitorch_cnn.ops.conv import conv2d
from minitorch_cnn.vision.models.mobilenetv2 import InvertedResidual
from tests._parity import assert_close, assert_f32_close

CASES = [  # (N, C, H, W, k, stride, padding, dilation): odd planes, strides 1-2, dilation 2, kernels 3 and 5
    (2, 3, 7, 9, 3, 1, 1, 1),
    (3, 4, 9, 8, 3, 2, 1, 1),
    (2, 5, 11, 10, 5, 1, 2, 1),
    (2, 3, 9, 11, 5, 2, 2, 1),
    (2, 4, 10, 9, 3, 1, 2, 2),
    (3, 2, 8, 7, 3, 2, 0, 1),
    (2, 3, 6, 5, 3, 2, 3, 1),  # padding wider than the kernel reaches
    (1, 4, 8, 8, 3, 1, "same", 2),
    (2, 3, 8, 9, 3, 2, (0, 2), (2, 1)),
    (1, 2, 1, 1, (1, 2), (1, 2), 1, 1),  # a single input column lands in the second column phase
]


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request):
    before = mt.get_num_threads()
    mt.set_num_threads(request.param)
    yield request.param
    mt.set_num_threads(before)


@pytest.fixture
def calls(monkeypatch):
    """The depthwise kernels' calls from the dispatch, by name: asserting on them shows the path taken."""
    seen: list[str] = []
    for name in ("depthwise_forward", "_depthwise_backward"):
        kernel = getattr(numba_conv, name)
        monkeypatch.setattr(numba_conv, name, lambda *a, _k=kernel, _n=name, **kw: (seen.append(_n), _k(*a, **kw))[1])
    return seen


def _run(lib, x, w, b, g, kw):
    """(y, dx, dW, db) of one conv2d with upstream g, in torch or ours."""
    leaves = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
    conv = F.conv2d if lib is torch else conv2d
    y = conv(*leaves, groups=x.shape[1], **kw)
    y.backward(lib.tensor(g))
    return [np.asarray(t.detach().numpy()) for t in (y, *(leaf.grad for leaf in leaves))]


@pytest.mark.parametrize("seed", range(len(CASES)), ids=[str(c) for c in CASES])
def test_depthwise_matches_torch(seed, threads, calls):
    N, C, H, W, k, s, p, d = CASES[seed]
    kw = {"stride": s, "padding": p, "dilation": d}
    rng = np.random.default_rng(seed)
    x, b = rng.standard_normal((N, C, H, W)), rng.standard_normal(C)
    w = rng.standard_normal((C, 1, *np.broadcast_to(k, 2)))
    g = rng.standard_normal(F.conv2d(torch.tensor(x), torch.tensor(w), groups=C, **kw).shape)
    truth = _run(torch, x, w, b, g, kw)
    for ours, theirs, what in zip(_run(mt, x, w, b, g, kw), truth, ("y", "dx", "dW", "db")):
        assert_close(ours, theirs, np.float64, what=what)
    assert set(calls) == {"depthwise_forward", "_depthwise_backward"}  # once per share of the batch
    # float32 against the float64 truth of the same float32 inputs, the condition being the same conv on |.|
    x32, w32, b32, g32 = (a.astype(np.float32) for a in (x, w, b, g))
    truth = _run(torch, *(a.astype(np.float64) for a in (x32, w32, b32, g32)), kw)
    cond = _run(torch, *(np.abs(a).astype(np.float64) for a in (x32, w32, b32, g32)), kw)
    torch32 = _run(torch, x32, w32, b32, g32, kw)
    for ours, t, c, t32, what in zip(_run(mt, x32, w32, b32, g32, kw), truth, cond, torch32, ("y", "dx", "dW", "db")):
        assert ours.dtype == np.float32
        assert_f32_close(ours, t, torch32=t32, cond=c, what=what)


def test_depthwise_without_a_bias_and_one_gradient_at_a_time(calls):
    rng = np.random.default_rng(1)
    x, w, g = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((3, 1, 3, 3)), rng.standard_normal((2, 3, 4, 3))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (t_dx, t_dw) = torch.autograd.grad(F.conv2d(tx, tw, stride=2, padding=1, groups=3), (tx, tw), torch.tensor(g))
    for need_x in (True, False):
        mx, mw = mt.tensor(x, requires_grad=need_x), mt.tensor(w, requires_grad=not need_x)
        conv2d(mx, mw, stride=2, padding=1, groups=3).backward(mt.tensor(g))
        assert_close(mx.grad if need_x else mw.grad, t_dx if need_x else t_dw, np.float64)
    assert set(calls) == {"depthwise_forward", "_depthwise_backward"}


def test_the_gemm_path_gives_the_same_numbers(monkeypatch):
    """The grouped im2col + GEMM path the depthwise kernels replaced still runs them (a channel multiplier > 1 takes
    it), and agrees."""
    rng = np.random.default_rng(2)
    assert conv_depthwise.depthwise_fits((4, 4), 4, np.dtype(np.float32))
    assert not conv_depthwise.depthwise_fits((4, 8), 4, np.dtype(np.float64))  # channel multiplier 2
    assert not conv_depthwise.depthwise_fits((1, 1), 1, np.dtype(np.float64))
    x, w, g = rng.standard_normal((2, 4, 9, 9)), rng.standard_normal((4, 1, 5, 5)), rng.standard_normal((2, 4, 5, 5))
    results = []
    for rows in (True, False):
        monkeypatch.setattr(conv_depthwise, "USE_DEPTHWISE", rows)
        mx, mw = mt.tensor(x, requires_grad=True), mt.tensor(w, requires_grad=True)
        y = conv2d(mx, mw, stride=2, padding=2, groups=4)
        y.backward(mt.tensor(g))
        results.append([y.detach().numpy(), mx.grad.numpy(), mw.grad.numpy()])
    for a, b in zip(*results):
        assert_close(a, b, np.float64)


def test_second_order_through_the_gradient_nodes(calls):
    """d/d(x, w, g) of <dx, u> + <dW, v>: the ConvInputGrad / ConvWeightGrad nodes with groups run the depthwise
    kernels again."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 6, 5), (3, 1, 3, 3), (2, 3, 3, 3), (2, 3, 6, 5), (3, 1, 3, 3))]
    res = []
    for lib in (torch, mt):
        x, w, g = (lib.tensor(a, requires_grad=True) for a in arrays[:3])
        conv = F.conv2d if lib is torch else conv2d
        y = conv(x, w, stride=2, padding=1, groups=3)
        dx, dw = (torch.autograd.grad if lib is torch else mt.autograd.grad)((y * g).sum(), (x, w), create_graph=True)
        ((dx * lib.tensor(arrays[3])).sum() + (dw * lib.tensor(arrays[4])).sum()).backward()
        res.append([t.grad.detach().numpy() for t in (x, w, g)])
    for ours, theirs in zip(res[1], res[0]):
        assert_close(ours, theirs, np.float64)
    assert "depthwise_forward" in calls and "_depthwise_backward" in calls


def test_mobilenet_v2_block_trains_one_step_as_torch(calls):
    torch.manual_seed(0)
    theirs = TorchInvertedResidual(8, 8, 1, 3).double()
    ours = InvertedResidual(8, 8, 1, 3).double()
    ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(4)
    x, g = rng.standard_normal((2, 8, 7, 7)), rng.standard_normal((2, 8, 7, 7))
    for lib, model in ((torch, theirs), (mt, ours)):
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        (model(lib.tensor(x)) * lib.tensor(g)).sum().backward()
        opt.step()
    for (name, t), (_, o) in zip(theirs.named_parameters(), ours.named_parameters()):
        assert_close(o.detach().numpy(), t.detach().numpy(), np.float64, what=name)
    assert set(calls) == {"depthwise_forward", "_depthwise_backward"}
