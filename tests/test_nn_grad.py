"""``mt.nn.grad`` (torch.nn.grad, also ``F.grad``): conv1d/conv2d gradients with respect to input and weight, against
torch's, with strides, padding, dilation and groups; differentiable again; torch's errors for mismatched shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64
CASES = [  # (input shape, weight shape, stride, padding, dilation, groups)
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0, 1, 1),
    ((2, 4, 8, 9), (6, 2, 3, 2), (2, 1), (1, 2), (1, 2), 2),
    ((1, 3, 8, 8), (3, 1, 3, 3), 2, 1, 1, 3),
    ((2, 3, 11), (5, 3, 3), 2, 1, 1, 1),
    ((2, 4, 12), (4, 2, 2), 3, 2, 2, 2),
]


def _conv_grads(lib, x_shape, w_shape, stride, padding, dilation, groups, rng):  # noqa: ANN001, ANN202
    two_d = len(x_shape) == 4
    conv = lib.nn.functional.conv2d if two_d else lib.nn.functional.conv1d
    x = lib.tensor(rng[0])
    w = lib.tensor(rng[1])
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    out_shape = conv(x, w, **kw).shape
    return x, w, out_shape, kw, two_d


@pytest.mark.parametrize("case", CASES)
def test_input_and_weight_gradients_match_torch(case: tuple) -> None:
    x_shape, w_shape, stride, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    res = []
    for lib in (mt, torch):
        x, w, out_shape, kw, two_d = _conv_grads(lib, x_shape, w_shape, stride, padding, dilation, groups, (xs, ws))
        g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out_shape)))
        ng = lib.nn.grad
        gi = (ng.conv2d_input if two_d else ng.conv1d_input)(x.shape, w, g, **kw)
        gw = (ng.conv2d_weight if two_d else ng.conv1d_weight)(x, w.shape, g, **kw)
        res.append((gi, gw))
    assert_close(res[0][0], res[1][0], F64, what="input grad")
    assert_close(res[0][1], res[1][1], F64, what="weight grad")
    assert mt.nn.functional.grad is mt.nn.grad


def test_second_order_through_conv2d_input_and_weight() -> None:
    rng = np.random.default_rng(2)
    xs, ws, gs, hs = (rng.standard_normal(s) for s in ((2, 3, 6, 6), (4, 3, 3, 3), (2, 4, 3, 3), (2, 3, 6, 6)))
    res = []
    for lib in (mt, torch):
        x, w = lib.tensor(xs, requires_grad=True), lib.tensor(ws, requires_grad=True)
        g = lib.tensor(gs, requires_grad=True)
        gi = lib.nn.grad.conv2d_input(x.shape, w, g, stride=2, padding=1)
        gw = lib.nn.grad.conv2d_weight(x, w.shape, g, stride=2, padding=1)
        total = (gi * lib.tensor(hs)).sum() + (gw ** 2).sum()
        res.append((gi.requires_grad, *lib.autograd.grad(total, (x, w, g))))
    assert res[0][0] and res[1][0]
    for i in (1, 2, 3):
        assert_close(res[0][i], res[1][i], F64, what=f"grad {i}")


def test_no_graph_under_no_grad() -> None:
    w = mt.randn(2, 1, 3, 3, dtype=mt.float64, requires_grad=True)
    with mt.no_grad():
        gi = mt.nn.grad.conv2d_input((1, 1, 5, 5), w, mt.randn(1, 2, 3, 3, dtype=mt.float64))
    assert not gi.requires_grad and gi.shape == (1, 1, 5, 5)


@pytest.mark.parametrize("which", ["input_size", "grad_output", "ndim"])
def test_mismatched_shapes_raise_as_torch(which: str) -> None:
    for lib in (mt, torch):
        w = lib.zeros(4, 3, 3, 3, dtype=lib.float64)
        g = lib.zeros(2, 4, 6 if which == "grad_output" else 5, 5, dtype=lib.float64)
        size = {"input_size": (2, 3, 8, 8), "grad_output": (2, 3, 7, 7), "ndim": (2, 3, 7)}[which]
        match = ("Expected 4-dimensional input for 4-dimensional weight" if which == "ndim"
                 else r"Expected a tensor of dimension 4 and tensor.size\[2\] == \d but got")
        with pytest.raises(RuntimeError, match=match):
            lib.nn.grad.conv2d_input(size, w, g)
    for lib in (mt, torch):
        with pytest.raises(RuntimeError, match=r"tensor.size\[2\] == 5 but got: dimension 4 and tensor.size\[2\] = 6"):
            lib.nn.grad.conv2d_weight(lib.zeros(2, 3, 7, 7, dtype=lib.float64), (4, 3, 3, 3),
                                      lib.zeros(2, 4, 6, 6, dtype=lib.float64))
