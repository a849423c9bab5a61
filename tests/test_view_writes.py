"""In-place writes into views inside a graph, as torch's CopySlices: ``y[:, 0] = z``, ``y[mask] = v``,
``y.narrow(...).copy_(t)``, ``y.view(...)[i:j].add_(t)``, writes through transposes, selects and chains of views.
Each body is written once and run under both libraries in float64; forward values and the gradients of every leaf
(random upstream gradients) must agree, and the writes torch refuses at backward must raise here too."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

RNG = np.random.default_rng(5)
X0 = RNG.standard_normal((3, 4))
Z0 = RNG.standard_normal(3)
W0 = RNG.standard_normal((2, 2))
MASK = X0 > 0.2


def _setitem(t: Any, index: Any, value: Any) -> Any:
    t[index] = value
    return t


def _chain(L: Any, x: Any, z: Any, w: Any) -> Any:
    y = x * 3
    y[1:][:, ::2].zero_()  # a view of a view
    y.t()[3].clamp_(-0.5, 0.5)  # a column, through a transpose
    y[0].relu_()  # last: relu saves its output, which a later write into y would invalidate
    return y.sin()


def _stale_sibling(L: Any, x: Any, z: Any, w: Any) -> Any:
    y = x * 1.0
    row = y[1]  # made before the write below changes one of its elements
    y[:, 0].copy_(z)
    return row * y


def _base_not_in_graph(L: Any, x: Any, z: Any, w: Any) -> Any:
    y = L.zeros(3, 4, dtype=L.float64)
    y[:, 2] = z  # y had no graph: it gets one through z
    y.narrow(1, 0, 2).copy_(x[:, :2] ** 2)
    return y * x


CASES = {
    "setitem column": lambda L, x, z, w: _setitem(x.clone(), (slice(None), 0), z),
    "setitem mask": lambda L, x, z, w: _setitem(x * 2, L.tensor(MASK), 5.0) ** 2,
    "setitem mask with values": lambda L, x, z, w: _setitem(x * 2, L.tensor(MASK), z.repeat(4)[:int(MASK.sum())]),
    "setitem block broadcast": lambda L, x, z, w: _setitem(x.exp() + 0, (slice(0, 2), slice(1, 3)), w),
    "narrow copy_": lambda L, x, z, w: (lambda y: (y.narrow(1, 1, 2).copy_(z[:, None].expand(3, 2)), y)[1])(x * 1.5),
    "view slice add_": lambda L, x, z, w: (lambda y: (y.view(12)[2:5].add_(z), y.exp())[1])(x * 1.0),
    "reshape view mul_": lambda L, x, z, w: (lambda y: (y.reshape(2, 6)[1].mul_(z.repeat(2)), y)[1])(x + 1),
    "select fill_": lambda L, x, z, w: (lambda y: (y.select(1, 2).fill_(0.25), y * x)[1])(x * x),
    "transpose row mul_": lambda L, x, z, w: (lambda y: (y.t()[1].mul_(z), y)[1])(x * 2),
    "chained views and ops": _chain,
    "stale sibling view": _stale_sibling,
    "base outside the graph": _base_not_in_graph,
    "write then read the view": lambda L, x, z, w: (lambda v: (v.add_(z[:, None]), v * v)[1])((x * 1)[:, 1:3]),
}


def _run(L: Any, body: Any) -> tuple:
    x = L.tensor(X0, requires_grad=True)
    z = L.tensor(Z0, requires_grad=True)
    w = L.tensor(W0, requires_grad=True)
    out = body(L, x, z, w)
    g = np.random.default_rng(9).standard_normal(tuple(out.shape))
    out.backward(L.tensor(g))
    grads = tuple(None if t.grad is None else t.grad.numpy() for t in (x, z, w))
    return (out.detach().numpy(),) + grads


@pytest.mark.parametrize("case", sorted(CASES))
def test_view_write_in_graph_as_torch(case: str) -> None:
    theirs, ours = _run(torch, CASES[case]), _run(mt, CASES[case])
    for what, o, t in zip(("forward", "x.grad", "z.grad", "w.grad"), ours, theirs):
        assert (o is None) == (t is None), what
        if t is not None:
            assert_close(o, t, np.float64, what=what)


def _saved_then_written(L: Any) -> Any:
    y = L.tensor(X0, requires_grad=True) * 2
    s = (y * y).sum()  # saves y
    y[:, 0] = L.tensor(Z0, requires_grad=True)
    return s


def _saved_output_then_written(L: Any) -> Any:
    y = L.tensor(X0, requires_grad=True) * 3
    y[0].relu_()  # relu saves its output, which lives in y
    y.t()[3].clamp_(-0.5, 0.5)  # overwrites y[0, 3]
    return y.sum()


@pytest.mark.parametrize("make", [_saved_then_written, _saved_output_then_written])
def test_writing_a_saved_tensor_raises_as_torch(make: Any) -> None:
    for lib in (torch, mt):
        out = make(lib)
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            out.backward()


@pytest.mark.parametrize("write", ["setitem", "add_"])
def test_view_of_a_leaf_refuses_as_torch(write: str) -> None:
    for lib in (torch, mt):
        x = lib.tensor(X0, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            if write == "setitem":
                x[0] = 1.0
            else:
                x[0].add_(1.0)


def test_second_order_through_a_view_write() -> None:
    results = []
    for lib in (torch, mt):
        x = lib.tensor(X0, requires_grad=True)
        z = lib.tensor(Z0, requires_grad=True)
        y = x * x
        y[:, 1] = z * z
        (gx, gz) = lib.autograd.grad((y ** 2).sum(), (x, z), create_graph=True)
        ((gx ** 2).sum() + (gz ** 3).sum()).backward()
        results.append([t.detach().numpy() for t in (gx, gz, x.grad, z.grad)])
    for o, t in zip(results[1], results[0]):
        assert_close(o, t, np.float64)


@pytest.mark.parametrize("write", ["expanded view", "wrong value shape"])
def test_bad_view_writes_raise_before_writing(write: str) -> None:
    for lib in (torch, mt):
        y = lib.tensor(X0, requires_grad=True) * 1
        before = y.detach().numpy().copy()
        with pytest.raises(RuntimeError):
            if write == "expanded view":
                y[:, :1].expand(3, 4).add_(1.0)  # one element seen four times
            else:
                y[:, 0] = lib.ones(4, dtype=lib.float64, requires_grad=True)
        np.testing.assert_array_equal(y.detach().numpy(), before)
