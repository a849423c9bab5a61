"""The tensor functions scripts import (trigonometric, gather/scatter/topk, bmm, repeat, meshgrid, norm,
swapaxes), forward and backward against torch: float64 to 1e-10, float32 against the float64 truth, with random
upstream gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close

RNG = np.random.default_rng(5)
IDX = np.array([[0, 3, 3], [2, 1, 0]])

CASES: dict[str, tuple[Any, list[tuple[int, ...]]]] = {
    "sin": (lambda lib, x: lib.sin(x), [(3, 4)]),
    "cos": (lambda lib, x: lib.cos(x), [(3, 4)]),
    "tan": (lambda lib, x: lib.tan(x * 0.5), [(3, 4)]),
    "sinh": (lambda lib, x: lib.sinh(x), [(3, 4)]),
    "cosh": (lambda lib, x: x.cosh(), [(3, 4)]),
    "asin": (lambda lib, x: lib.asin(x.tanh() * 0.9), [(3, 4)]),
    "acos": (lambda lib, x: lib.acos(x.tanh() * 0.9), [(3, 4)]),
    "atan": (lambda lib, x: lib.atan(x), [(3, 4)]),
    "bmm": (lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    "repeat": (lambda lib, x: x.repeat(2, 1, 3), [(3, 2)]),
    "repeat_same_rank": (lambda lib, x: x.repeat(3, 2), [(2, 3)]),
    "meshgrid_ij": (lambda lib, a, b: lib.stack(lib.meshgrid(a, b, indexing="ij")) * 1.0, [(3,), (4,)]),
    "meshgrid_xy": (lambda lib, a, b, c: lib.stack(lib.meshgrid(a, b, c, indexing="xy")), [(3,), (4,), (2,)]),
    "norm": (lambda lib, x: x.norm().reshape(1), [(3, 4)]),
    "norm_dim": (lambda lib, x: lib.norm(x, dim=1, keepdim=True), [(3, 4)]),
    "norm_p1": (lambda lib, x: x.norm(p=1, dim=0), [(3, 4)]),
    "norm_p3": (lambda lib, x: x.norm(p=3, dim=(0, 1)).reshape(1), [(3, 4)]),
    "norm_inf": (lambda lib, x: x.norm(p=float("inf"), dim=1), [(3, 4)]),
    "swapaxes": (lambda lib, x: x.swapaxes(0, 2) * 1.0, [(2, 3, 4)]),
    "swapdims": (lambda lib, x: lib.swapdims(x, 1, 0) * 1.0, [(2, 3)]),
    "gather": (lambda lib, x: x.gather(1, lib.tensor(IDX)), [(2, 5)]),
    # distinct targets (torch leaves the winner of a repeated one unspecified); src shaped as index (torch's
    # backward gives a larger src a wrong-shaped gradient)
    "scatter": (lambda lib, x, s: x.scatter(0, lib.tensor([[0, 1], [1, 0]]), s), [(2, 5), (2, 2)]),
    "topk": (lambda lib, x: x.topk(3, dim=1).values, [(2, 6)]),
    "gather_sq": (lambda lib, x: x.gather(1, lib.tensor(IDX)) ** 2, [(2, 5)]),
    "scatter_sq": (lambda lib, x, s: (x.scatter(0, lib.tensor([[0, 1], [1, 0]]), s * s)) ** 2, [(2, 5), (2, 2)]),
    "topk_sq": (lambda lib, x: x.topk(2, dim=0).values ** 3, [(4, 3)]),
    "topk_smallest": (lambda lib, x: lib.topk(x, 2, dim=0, largest=False).values, [(4, 3)]),
    "prod": (lambda lib, x: x.prod().reshape(1), [(3, 4)]),
    "prod_dim": (lambda lib, x: lib.prod(x, dim=1, keepdim=True), [(3, 4)]),
    # one zero in column 1 (its gradient is the other factor), two in column 2 (all gradients 0)
    "prod_axis_with_zeros": (lambda lib, x: (x * lib.tensor([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]], dtype=x.dtype))
                             .prod(axis=0), [(2, 3)]),
    "sum_axis_alias": (lambda lib, x: x.sum(axis=1, keepdims=True), [(3, 4)]),
    "softmax_axis_alias": (lambda lib, x: x.softmax(axis=0), [(3, 4)]),
}


def _run(lib: Any, name: str, arrays: list[np.ndarray], dtype: Any, g: np.ndarray | None = None) -> tuple:
    fn, _ = CASES[name]
    xs = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    y = fn(lib, *xs)
    if g is not None:
        y.backward(lib.tensor(g, dtype=dtype))
    return y, [x.grad for x in xs]


@pytest.mark.parametrize("name", list(CASES))
def test_function_against_torch(name: str) -> None:
    arrays = [RNG.standard_normal(s) for s in CASES[name][1]]
    y64, _ = _run(torch, name, arrays, torch.float64)
    g = RNG.standard_normal(tuple(y64.shape))
    t64, tg64 = _run(torch, name, arrays, torch.float64, g)
    m64, mg64 = _run(mt, name, arrays, mt.float64, g)
    assert tuple(m64.shape) == tuple(t64.shape)
    assert_close(m64.detach(), t64, np.float64, what=f"{name} forward")
    for ours, theirs in zip(mg64, tg64):
        assert_close(ours, theirs, np.float64, what=f"{name} backward")
    m32, mg32 = _run(mt, name, arrays, mt.float32, g)
    t32, tg32 = _run(torch, name, arrays, torch.float32, g)
    assert m32.dtype == mt.float32
    assert_f32_close(m32.detach(), t64, torch32=t32, what=f"{name} float32 forward")
    for ours, truth, theirs in zip(mg32, tg64, tg32):
        assert_f32_close(ours, truth, torch32=theirs, what=f"{name} float32 backward")


def test_topk_indices_and_names_as_torch() -> None:
    a = RNG.standard_normal((3, 7))
    ours, theirs = mt.tensor(a).topk(4, dim=1), torch.tensor(a).topk(4, dim=1)
    assert ours.indices.tolist() == theirs.indices.tolist()
    smallest = mt.tensor(a).topk(2, largest=False).indices.tolist()
    assert smallest == torch.tensor(a).topk(2, largest=False).indices.tolist()
    with pytest.raises(RuntimeError, match="out of range"):
        mt.tensor(a).topk(8, dim=1)


def test_gather_and_scatter_refuse_bad_indices() -> None:
    x = mt.zeros(2, 3)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.gather(1, mt.tensor([[0, 3]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, mt.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="dtype int64"):
        x.gather(1, mt.ones(2, 3))


def test_factories_like_and_normal() -> None:
    x = mt.zeros(2, 3, dtype=mt.float64)
    mt.manual_seed(0)
    r = mt.randint_like(x, 3, 7)
    assert r.dtype == mt.float64 and r.shape == (2, 3) and r.min().item() >= 3 and r.max().item() < 7
    n = mt.normal(mt.zeros(1000), mt.full((1000,), 2.0))
    assert n.shape == (1000,) and 1.8 < n.std().item() < 2.2
    m = mt.normal(1.0, 0.5, size=(2, 4))
    assert m.shape == (2, 4) and m.dtype == mt.float32
    assert mt.randn_like(x).dtype == mt.float64 and mt.empty_like(x).shape == (2, 3)
    assert mt.full_like(x, 4).tolist() == [[4.0] * 3] * 2 and mt.ones_like(x).sum().item() == 6


def test_out_argument_as_torch() -> None:
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    for lib in (mt, torch):
        out = lib.empty(2, 4, dtype=lib.float64)
        r = lib.matmul(lib.tensor(a), lib.tensor(b), out=out)
        assert r is out
        res = out.tolist()
        m = lib.zeros(2, 3, dtype=lib.float64)
        lib.mul(lib.tensor(a), 2.0, out=m)
        assert np.allclose(m.tolist(), a * 2)
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
            lib.add(lib.ones(2, requires_grad=True), 1, out=lib.empty(2))
    assert np.allclose(res, a @ b, rtol=1e-12)


def test_axis_and_keepdims_aliases_everywhere() -> None:
    a = RNG.standard_normal((3, 4))
    for lib in (mt, torch):
        x = lib.tensor(a)
        got = [x.argmax(axis=1).tolist(), x.max(axis=1)[0].tolist(), x.min(axis=0).values.tolist(),
               x.mean(axis=0, keepdims=True).shape, lib.cat([x, x], axis=0).shape, lib.stack([x, x], axis=2).shape,
               x.std(axis=1).shape, x.log_softmax(axis=1).shape, x.unsqueeze(axis=0).shape,
               lib.sum(x, axis=(0, 1)).shape, x.var(axis=0, keepdims=True).shape, lib.argmin(x, axis=0).tolist()]
        if lib is mt:
            ours = got
    assert [list(v) if isinstance(v, tuple) else v for v in ours] == [
        list(v) if isinstance(v, tuple) else v for v in got]


# the nonlinear ones (a linear op's gradient does not depend on its input: nothing to differentiate again)
SECOND_ORDER = ["sin", "cos", "tan", "sinh", "cosh", "asin", "acos", "atan", "norm_dim", "norm_p3", "bmm",
                "gather_sq", "topk_sq", "scatter_sq"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivative_against_torch(name: str) -> None:
    """d/dx of <g, dy/dx·v>: the gradient taken with create_graph, differentiated again (float64)."""
    fn, shapes = CASES[name]
    arrays = [RNG.standard_normal(s) for s in shapes]
    res = []
    for lib in (mt, torch):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = fn(lib, *xs)
        if not res:
            v = RNG.standard_normal(tuple(y.shape))
            w = [RNG.standard_normal(s) for s in shapes]
        grads = lib.autograd.grad(y, xs, lib.tensor(v), create_graph=True)
        second = sum((gr * lib.tensor(wi)).sum() for gr, wi in zip(grads, w))
        second.backward()
        res.append([x.grad for x in xs])
    for ours, theirs in zip(*res):
        assert_close(ours, theirs, np.float64, what=f"{name} second derivative")


def test_prod_is_differentiable_once_and_says_so() -> None:
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = mt.autograd.grad(x.prod(), x, create_graph=True)
    assert g.tolist() == [6.0, 3.0, 2.0]
    with pytest.raises(RuntimeError, match="ProdBackward0 is not differentiable twice"):
        g.sum().backward()
