"""In-place ops as torch's: storage shared by aliases and views, version counters, the leaf error, the saved-tensor
error, and in-place ops recorded in the graph, each against torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close

RNG = np.random.default_rng(26)


def both(a: np.ndarray, requires_grad: bool = False) -> tuple[mt.Tensor, torch.Tensor]:
    return mt.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


@pytest.mark.parametrize("op", [
    lambda t: t.__iadd__(2.5), lambda t: t.__isub__(1.0), lambda t: t.__imul__(-3.0), lambda t: t.__itruediv__(4.0),
    lambda t: t.add_(t.abs(), alpha=2), lambda t: t.mul_(t), lambda t: t.clamp_(-0.5, 0.5), lambda t: t.zero_(),
    lambda t: t.fill_(7.0), lambda t: t.exp_(), lambda t: t.neg_(), lambda t: t.pow_(2), lambda t: t.sigmoid_(),
    lambda t: t.masked_fill_(t > 0, -1.0), lambda t: t.abs_().sqrt_(), lambda t: t.sin_(),
])
def test_in_place_writes_through_aliases_and_views_as_torch(op: Any) -> None:
    a = RNG.standard_normal((3, 4))
    results = []
    for lib in (mt, torch):
        x = lib.tensor(a)
        alias, row, col, flat = x, x[1], x.t(), x.view(12)
        out = op(x)
        assert out is x and alias is x
        results.append((x, row, col, flat, x._version))
    (x, row, col, flat, v), (xt, rowt, colt, flatt, vt) = results
    assert_close(x, xt, np.float64, what="self")
    for ours, theirs in ((row, rowt), (col, colt), (flat, flatt)):  # views see the write
        assert_close(ours, theirs, np.float64, what="view")
    assert v == vt >= 1


def test_write_through_a_view_is_seen_by_the_base_and_bumps_the_shared_version() -> None:
    x = mt.zeros(2, 3)
    x[0].fill_(5.0)
    x.t()[2].add_(1.0)
    x.view(6)[1:3].mul_(2.0)
    xt = torch.zeros(2, 3)
    xt[0].fill_(5.0)
    xt.t()[2].add_(1.0)
    xt.view(6)[1:3].mul_(2.0)
    assert x.tolist() == xt.tolist() and x._version == xt._version == 3


def test_no_grad_sgd_idiom_updates_the_parameter() -> None:
    w0, xin = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 4))
    finals = []
    for lib in (mt, torch):
        w = lib.tensor(w0, requires_grad=True)
        x = lib.tensor(xin)
        for _ in range(3):
            loss = ((x @ w).tanh() ** 2).mean()
            loss.backward()
            with lib.no_grad():
                w -= 0.5 * w.grad
                w.grad.zero_()
        finals.append(w)
        assert w.is_leaf and w.requires_grad and w._version == 3
    assert_close(finals[0].detach(), finals[1].detach(), np.float64, what="w after 3 hand-written SGD steps")


def test_augmented_assignment_keeps_the_object() -> None:
    for lib in (mt, torch):
        x = lib.ones(3)
        y = x
        x += 1
        x *= 3
        assert y is x and y.tolist() == [6.0, 6.0, 6.0]


@pytest.mark.parametrize("op", [lambda t: t.add_(1), lambda t: t.__iadd__(1), lambda t: t.normal_(),
                                lambda t: t.uniform_(), lambda t: t.clamp_(0, 1), lambda t: t.masked_fill_(t > 0, 0)])
def test_leaf_that_requires_grad_refuses_as_torch(op: Any) -> None:
    for lib in (mt, torch):
        x = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            op(x)
        with lib.no_grad():
            op(x)
        assert x.is_leaf and x.requires_grad


def test_saved_tensor_modified_in_place_makes_backward_raise_as_torch() -> None:
    for lib in (mt, torch):
        w = lib.ones(3, requires_grad=True)
        h = w * 2
        y = h * w  # saves h
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place operation"):
            y.sum().backward()
        e = w.exp()  # saves its output
        e += 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place operation"):
            e.sum().backward()


@pytest.mark.parametrize("name,op", [
    ("iadd", lambda h, c: h.__iadd__(c)), ("mul_", lambda h, c: h.mul_(c)), ("div_", lambda h, c: h.div_(c + 3)),
    ("sub_alpha", lambda h, c: h.sub_(c, alpha=0.5)), ("tanh_", lambda h, c: h.tanh_()),
    ("copy_", lambda h, c: h.copy_(c * 2)), ("masked_fill_", lambda h, c: h.masked_fill_(c > 0, 0.25)),
    ("clamp_", lambda h, c: h.clamp_(-0.3, 0.4)), ("chain", lambda h, c: h.mul_(c).add_(c).sigmoid_()),
])
def test_in_place_in_the_graph_gives_torch_gradients(name: str, op: Any) -> None:
    """A non-leaf written in place takes a new grad_fn; gradients flow to everything it was made from."""
    a, b, g = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    res = []
    for lib in (mt, torch):
        x, c = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        h = x * 1.5  # MulBackward0 saves no output: writing h in place is allowed, as in torch
        out = op(h, c)
        assert out is h and not h.is_leaf
        (h * h).backward(lib.tensor(g))
        res.append((h, x.grad, c.grad, h.grad_fn.name()))
    (h, gx, gc, name_m), (ht, gxt, gct, name_t) = res
    assert_close(h.detach(), ht, np.float64, what=f"{name} value")
    assert_close(gx, gxt, np.float64, what=f"{name} dx")
    if gct is None:
        assert gc is None
    else:
        assert_close(gc, gct, np.float64, what=f"{name} dc")
    if name not in ("copy_", "masked_fill_"):  # those are a where() here: torch's CopyBackwards/MaskedFillBackward0
        assert name_m == name_t


def test_residual_add_in_place_as_resnet_blocks_do() -> None:
    x0 = RNG.standard_normal((2, 3, 5, 5))
    torch.manual_seed(0)
    bn_t = torch.nn.BatchNorm2d(3).double()
    bn = mt.nn.BatchNorm2d(3, dtype=mt.float64)
    g = RNG.standard_normal((2, 3, 5, 5))
    grads = []
    for lib, bn_ in ((mt, bn), (torch, bn_t)):
        x = lib.tensor(x0, requires_grad=True)
        out = bn_(x * 2)
        out += x
        out = lib.relu(out)
        out.backward(lib.tensor(g))
        grads.append(x.grad)
    assert_close(grads[0], grads[1], np.float64, what="dx through out += identity")


def test_in_place_result_dtype_rules_as_torch() -> None:
    for lib in (mt, torch):
        i = lib.arange(4)
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            i /= 2
        f = lib.ones(2, 3)
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            f.add_(lib.ones(4, 2, 3))
        f.add_(lib.arange(3))  # an int operand into a float tensor is fine
        assert f.tolist() == [[1.0, 2.0, 3.0]] * 2


def test_scatter_in_place_and_out_of_place_as_torch() -> None:
    a, s, g = RNG.standard_normal((3, 5)), RNG.standard_normal((3, 2)), RNG.standard_normal((3, 5))
    idx = np.array([[0, 4], [2, 1], [3, 3]])
    res = []
    for lib in (mt, torch):
        x, src = lib.tensor(a, requires_grad=True), lib.tensor(s, requires_grad=True)
        index = lib.tensor(idx)
        h = x * 1.0
        h.scatter_(1, index, src)
        h.backward(lib.tensor(g))
        z = lib.zeros(3, 5).scatter(1, index, 2.0)
        res.append((h, x.grad, src.grad, z))
    for ours, theirs in zip(res[0], res[1]):
        assert_close(ours.detach(), theirs.detach(), np.float64)


def test_random_fills_write_in_place_with_their_ranges() -> None:
    mt.manual_seed(0)
    x = mt.empty(2000, dtype=mt.float64)
    view = x[:10]
    assert x.uniform_(-2.0, 3.0) is x and -2.0 <= x.min().item() and x.max().item() < 3.0
    assert view.tolist() == x[:10].tolist()
    x.normal_(1.0, 0.5)
    assert abs(x.mean().item() - 1.0) < 0.1 and abs(x.std().item() - 0.5) < 0.1
    x.bernoulli_(0.25)
    assert set(x.tolist()) <= {0.0, 1.0} and 0.15 < x.mean().item() < 0.35
    x.exponential_(2.0)
    assert x.min().item() >= 0 and abs(x.mean().item() - 0.5) < 0.1
    i = mt.zeros(500, dtype=mt.int64)
    i.random_(3, 7)
    assert set(i.tolist()) == {3, 4, 5, 6}
    i.random_(2)
    assert set(i.tolist()) == {0, 1}
    assert x._version == 4 and i._version == 2
