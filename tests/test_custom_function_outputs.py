"""Custom ``autograd.Function``s with several outputs, as torch's: forward returns a tuple, backward receives one
gradient per output (zeros for an output that got none, or None after ``ctx.set_materialize_grads(False)``; zeros
for a non-differentiable one; None for a non-Tensor one), ``ctx.needs_input_grad``, saved outputs, non-Tensor
inputs with a None gradient. The same Function body runs in both libraries; gradients are compared in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

RNG = np.random.default_rng(11)
X0, W0 = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
GA, GB = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))


def split_function(lib: Any) -> Any:
    """(a, b, idx, note) = (x·w·k, exp(x)·w, argmax(x), "note"): two differentiable outputs, an index marked
    non-differentiable, a non-Tensor output; k and the flag are non-Tensor inputs."""

    class Split(lib.autograd.Function):
        seen: list = []

        @staticmethod
        def forward(ctx: Any, x: Any, w: Any, k: float, materialize: bool) -> Any:
            ctx.set_materialize_grads(materialize)
            a, b = x * w * k, x.exp() * w
            idx = x.argmax(dim=1)
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, w, b)  # b: an output
            ctx.k = k
            Split.seen.append(("needs", ctx.needs_input_grad))
            return a, b, idx, "note"

        @staticmethod
        def backward(ctx: Any, ga: Any, gb: Any, gidx: Any, gnote: Any) -> Any:
            x, w, b = ctx.saved_tensors
            Split.seen.append(tuple(None if g is None else g.detach().numpy().copy() for g in (ga, gb, gidx))
                              + (gnote,))
            gx = gw = None
            if ga is not None:
                gx, gw = ga * w * ctx.k, ga * x * ctx.k
            if gb is not None:  # d(b)/dx = b, d(b)/dw = exp(x), written on the saved output b
                gx = gb * b if gx is None else gx + gb * b
                gw = gb * b / w if gw is None else gw + gb * b / w
            return gx, gw, None, None

    return Split


def _run(lib: Any, use: str, materialize: bool, w_grad: bool = True) -> dict:
    split = split_function(lib)
    x = lib.tensor(X0, requires_grad=True)
    w = lib.tensor(W0, requires_grad=w_grad)
    a, b, idx, note = split.apply(x, w, 1.5, materialize)
    res: dict = {"note": note, "idx": idx.numpy(), "a": a.detach().numpy(), "b": b.detach().numpy(),
                 "flags": (a.requires_grad, b.requires_grad, idx.requires_grad, a.grad_fn is b.grad_fn),
                 "name": a.grad_fn.name()}
    loss = {"a": (a * lib.tensor(GA)).sum(), "b": (b * lib.tensor(GB)).sum(),
            "both": (a * lib.tensor(GA)).sum() + (b * lib.tensor(GB)).sum()}[use]
    loss.backward()
    res["x.grad"] = x.grad.numpy()
    if w_grad:
        res["w.grad"] = w.grad.numpy()
    res["seen"] = split.seen
    return res


def _same(theirs: dict, ours: dict) -> None:
    assert ours.keys() == theirs.keys()
    for k in ("note", "flags", "name"):
        assert ours[k] == theirs[k], k
    for k in ("idx", "a", "b", "x.grad", "w.grad"):
        if k in theirs:
            assert_close(ours[k], theirs[k], np.float64, what=k)
    assert len(ours["seen"]) == len(theirs["seen"])
    assert ours["seen"][0] == theirs["seen"][0]  # needs_input_grad
    for got, want in zip(ours["seen"][1], theirs["seen"][1]):  # what backward received, output by output
        if want is None or isinstance(want, str):
            assert got is None
        else:
            assert got is not None and got.dtype == want.dtype and got.shape == want.shape
            assert_close(got, want, np.float64)


@pytest.mark.parametrize("use", ["a", "b", "both"])
@pytest.mark.parametrize("materialize", [True, False])
def test_several_outputs_as_torch(use: str, materialize: bool) -> None:
    _same(_run(torch, use, materialize), _run(mt, use, materialize))


def test_needs_input_grad_as_torch() -> None:
    _same(_run(torch, "both", True, w_grad=False), _run(mt, "both", True, w_grad=False))


def test_outputs_are_numbered_in_next_functions() -> None:
    numbers = []
    for lib in (torch, mt):
        a, b, _, _ = split_function(lib).apply(lib.tensor(X0, requires_grad=True), lib.tensor(W0), 1.5, True)
        node = (a + b).grad_fn
        numbers.append([(f is a.grad_fn, nr) for f, nr in node.next_functions])
    assert numbers[0] == numbers[1] == [(True, 0), (True, 1)]


def test_second_order_through_several_outputs() -> None:
    """grad of grad: the backward is written in differentiable ops on the saved output b."""
    results = []
    for lib in (torch, mt):
        x = lib.tensor(X0, requires_grad=True)
        w = lib.tensor(W0, requires_grad=True)
        a, b, _, _ = split_function(lib).apply(x, w, 1.5, True)
        (gx,) = lib.autograd.grad((a * a).sum() + (b * lib.tensor(GB)).sum(), x, create_graph=True)
        (gx * lib.tensor(GA)).sum().backward()
        results.append((gx.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        assert_close(ours, theirs, np.float64)


def test_grad_with_respect_to_one_output() -> None:
    """autograd.grad to an output of the node (a non-leaf target) takes that output's gradient alone."""
    results = []
    for lib in (torch, mt):
        a, b, _, _ = split_function(lib).apply(lib.tensor(X0, requires_grad=True), lib.tensor(W0), 1.5, True)
        results.append([g.numpy() for g in lib.autograd.grad((a * b).sum(), [b, a])])
    for ours, theirs in zip(results[1], results[0]):
        assert_close(ours, theirs, np.float64)


def test_saved_output_modified_in_place_raises_as_torch() -> None:
    for lib in (torch, mt):
        a, b, _, _ = split_function(lib).apply(lib.tensor(X0, requires_grad=True), lib.tensor(W0), 1.5, True)
        loss = (a * lib.tensor(GA)).sum()
        with lib.no_grad():
            b.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
