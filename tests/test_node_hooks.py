"""torch's hooks on graph nodes, ``grad_fn.register_hook(hook(grad_inputs, grad_outputs))`` and
``grad_fn.register_prehook(hook(grad_outputs))``, against torch: what they see, replacing gradients, removal,
first and second order, beside tensor hooks and retain_grad."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64


def _run(lib, xs: np.ndarray, gs: np.ndarray, create_graph: bool) -> dict:  # noqa: ANN001
    x = lib.tensor(xs, requires_grad=True)
    h = x.sin()
    h.retain_grad()
    h.register_hook(lambda g: g * 2)  # a tensor hook on the same node
    y = h * x
    seen: dict = {}

    def post(gi: tuple, go: tuple) -> tuple:
        seen["post_in"] = [g.detach().clone() for g in gi]
        seen["post_out"] = go[0].detach().clone()
        return (gi[0] + 1.0, gi[1])

    def pre(go: tuple) -> tuple:
        seen["pre_out"] = go[0].detach().clone()
        return (go[0] * 0.5,)

    y.grad_fn.register_hook(post)
    handle = h.grad_fn.register_prehook(pre)
    (gx,) = lib.autograd.grad(y, x, lib.tensor(gs), create_graph=create_graph)
    out = {"gx": gx, **seen, "h_grad": h.grad}
    if create_graph:
        out["ggx"] = lib.autograd.grad(gx.sum(), x)[0]
    handle.remove()
    return out


@pytest.mark.parametrize("create_graph", [False, True])
def test_node_hooks_match_torch(create_graph: bool) -> None:
    rng = np.random.default_rng(0)
    xs, gs = rng.standard_normal(5), rng.standard_normal(5)
    ours, theirs = _run(mt, xs, gs, create_graph), _run(torch, xs, gs, create_graph)
    assert ours.keys() == theirs.keys()
    for k in theirs:
        if isinstance(theirs[k], list):
            assert len(ours[k]) == len(theirs[k])
            for a, b in zip(ours[k], theirs[k]):
                assert_close(a, b, F64, what=k)
        else:
            assert_close(ours[k], theirs[k], F64, what=k)


def test_removed_and_multi_output_nodes() -> None:
    rng = np.random.default_rng(1)
    xs = rng.standard_normal(4)
    res = []
    for lib in (mt, torch):
        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):  # noqa: ANN001, ANN205
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):  # noqa: ANN001, ANN205
                return g1 * 2 + g2 * 3

        x = lib.tensor(xs, requires_grad=True)
        a, b = Two.apply(x)
        seen = []
        a.grad_fn.register_prehook(lambda go, s=seen: s.append([g is None for g in go]))
        h = a.grad_fn.register_hook(lambda gi, go: (gi[0] * 100,))
        h.remove()
        a.sum().backward()
        res.append((x.grad, seen))
    assert_close(res[0][0], res[1][0], F64, what="x.grad")
    assert res[0][1] == res[1][1] == [[False, True]]
