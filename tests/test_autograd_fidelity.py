"""Autograd details users see when they inspect graphs, each against torch: views of a tensor's own shape, what a
custom Function's ctx keeps after backward, the type of its node, setting requires_grad, is_inference()."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt


def test_view_of_own_shape_is_a_new_view() -> None:
    arr = np.random.default_rng(0).standard_normal((2, 3))
    seen = []
    for lib in (mt, torch):
        x = lib.tensor(arr.copy())
        y = x.view(x.shape)
        before = x._version
        y.add_(1.0)
        seen.append((y is x, y._is_view(), y._base is x, x._is_view(), x._version - before, y._version == x._version,
                     np.asarray(x.tolist())))
    for ours, theirs in zip(*seen):
        if isinstance(ours, np.ndarray):
            assert_close(ours, theirs, np.float64)
        else:
            assert ours == theirs


def test_in_place_write_into_own_shape_view_flows_gradients() -> None:
    rng = np.random.default_rng(1)
    arr, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    grads = []
    for lib in (mt, torch):
        x = lib.tensor(arr, requires_grad=True)
        y = x * 1.5
        v = y.view(y.shape)
        v.mul_(lib.tensor(arr))
        y.backward(lib.tensor(g))
        grads.append(x.grad.detach().numpy())
    assert_close(grads[0], grads[1], np.float64)


def _scale_fn(lib: object, save: bool) -> type:
    """A custom Function y = 2x that keeps a number and a tensor on ctx (and saves x for backward when ``save``)."""

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # noqa: ANN001, ANN205 - torch's custom-Function signature
            if save:
                ctx.save_for_backward(x)
            ctx.k, ctx.kept = 3, x * 1
            return x * 2

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            return g * 2 if not save else g * 2 + 0 * ctx.saved_tensors[0]

    return Scale


FREED = "Trying to backward through the graph a second time \\(or directly access saved tensors after they have"


@pytest.mark.parametrize("save", [True, False])
def test_ctx_keeps_attributes_after_backward_and_frees_saved_tensors(save: bool) -> None:
    arr, g = np.random.default_rng(2).standard_normal((2, 3)), np.ones((2, 3))
    seen = []
    for lib in (mt, torch):
        x = lib.tensor(arr, requires_grad=True)
        y = _scale_fn(lib, save).apply(x)
        before = len(y.grad_fn.saved_tensors)
        y.backward(lib.tensor(g))
        ctx = y.grad_fn
        with pytest.raises(RuntimeError, match=FREED):
            ctx.saved_tensors  # noqa: B018 - the access is what raises
        again = None
        try:
            y.backward(lib.tensor(g))  # refused where backward reads the saved tensors
        except RuntimeError as exc:
            again = "second time" in str(exc)
        seen.append((before, ctx.k, ctx.kept.detach().numpy(), again, x.grad.detach().numpy()))
    for ours, theirs in zip(*seen):
        if isinstance(ours, np.ndarray):
            assert_close(ours, theirs, np.float64)
        else:
            assert ours == theirs


def test_ctx_saved_tensors_kept_with_retain_graph() -> None:
    arr = np.random.default_rng(3).standard_normal(4)
    seen = []
    for lib in (mt, torch):
        x = lib.tensor(arr, requires_grad=True)
        y = _scale_fn(lib, True).apply(x)
        y.sum().backward(retain_graph=True)
        seen.append(y.grad_fn.saved_tensors[0].detach().numpy())
    assert_close(seen[0], seen[1], np.float64)


def test_custom_function_node_type_is_named_backward() -> None:
    seen = []
    for lib in (mt, torch):
        fn = _scale_fn(lib, True)
        y = fn.apply(lib.tensor([1.0, 2.0], requires_grad=True))
        seen.append((type(y.grad_fn).__name__, y.grad_fn.name(), type(y.grad_fn)._forward_cls is fn))
    assert seen[0] == seen[1]


def _flag_error(lib: object, make: str, value: bool, how: str) -> str | None:
    """The message of setting requires_grad to ``value`` (attribute or requires_grad_) on a fresh tensor, or None."""
    x = lib.tensor([1.0, -2.0], requires_grad=True)
    t = {"nonleaf": x * 2, "leaf": lib.tensor([1.0, 2.0]), "int": lib.tensor([1, 2])}[make]
    try:
        if how == "attribute":
            t.requires_grad = value
        else:
            t.requires_grad_(value)
    except RuntimeError as exc:
        return str(exc)
    assert t.requires_grad == value
    return None


@pytest.mark.parametrize(("make", "value", "how"), [
    ("nonleaf", False, "attribute"), ("nonleaf", True, "attribute"), ("nonleaf", False, "method"),
    ("nonleaf", True, "method"), ("leaf", True, "attribute"), ("leaf", False, "attribute"),
    ("int", True, "attribute"), ("int", False, "attribute"),
])
def test_setting_requires_grad(make: str, value: bool, how: str) -> None:
    assert _flag_error(mt, make, value, how) == _flag_error(torch, make, value, how)


def _inference_marks(lib: object) -> list:
    """is_inference() of tensors made inside and outside inference_mode, and of views and detaches of each."""
    normal = lib.ones(2, 3)
    with lib.inference_mode():
        made, summed = lib.ones(2, 3), normal + 1
        views = [normal.view(6), normal[1:], normal.detach(), normal.data, normal.t()]
        normal.add_(1)
    with lib.inference_mode(), lib.inference_mode(False):
        inner_off = lib.ones(2)
    with lib.no_grad():
        no_grad = lib.ones(2)
    later = [made + 1, made.view(6), made[1:], made.detach(), made.data, made.t(), made.clone()]
    return [t.is_inference() for t in (made, summed, *views, normal, inner_off, no_grad, *later)]


def test_is_inference() -> None:
    assert _inference_marks(mt) == _inference_marks(torch)
