"""Custom autograd.Functions as the tutorials write them: a backward that returns more gradients than forward had
arguments, the extra ones None (the conv-bn fusion tutorial's ``return grad_X, grad_input, None, None, None, None,
None`` for three arguments), is accepted as torch accepts it; an extra gradient that is not None still raises.
``gradcheck``/``gradgradcheck`` take torch's ``fast_mode`` keyword."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt


def _scale_fn(lib):  # noqa: ANN001, ANN202
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, factor=2.0):  # noqa: ANN001, ANN205
            ctx.save_for_backward(x, w)
            ctx.factor = factor
            return x * w * factor

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            x, w = ctx.saved_tensors
            return g * w * ctx.factor, g * x * ctx.factor, None, None, None

    return Scale


def test_extra_none_gradients_are_dropped() -> None:
    rng = np.random.default_rng(0)
    xs, ws, gs = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    res = []
    for lib in (mt, torch):
        x, w = lib.tensor(xs, requires_grad=True), lib.tensor(ws, requires_grad=True)
        _scale_fn(lib).apply(x, w, 3.0).backward(lib.tensor(gs))
        res.append((x.grad, w.grad))
    assert_close(res[0][0], res[1][0], np.float64, what="x.grad")
    assert_close(res[0][1], res[1][1], np.float64, what="w.grad")


def test_extra_gradient_that_is_not_none_raises() -> None:
    for lib, match in ((mt, "returned 2 gradients for 1 positional inputs"),
                       (torch, r"incorrect number of gradients \(expected 1, got 2\)")):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):  # noqa: ANN001, ANN205
                return x * 2

            @staticmethod
            def backward(ctx, g):  # noqa: ANN001, ANN205
                return g * 2, g

        x = lib.ones(2, dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match=match):
            Twice.apply(x).sum().backward()


@pytest.mark.parametrize("fast_mode", [False, True])
def test_gradcheck_fast_mode_keyword(fast_mode: bool) -> None:
    rng = np.random.default_rng(1)
    for lib in (mt, torch):
        x = lib.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        w = lib.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        fn = _scale_fn(lib).apply
        assert lib.autograd.gradcheck(fn, (x, w), fast_mode=fast_mode)
        assert lib.autograd.gradgradcheck(fn, (x, w), fast_mode=fast_mode)
