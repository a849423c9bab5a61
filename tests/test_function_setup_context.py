"""torch 2's split custom Function (``forward(*args)`` without ctx, ``setup_context(ctx, inputs, output)``) against
torch: defaults bound into ``inputs``, non-Tensor arguments, saved outputs (second order), needs_input_grad,
mark_non_differentiable from setup_context; and ``gradcheck`` leaves every ``.grad`` as it found it, as torch."""

from __future__ import annotations

import numpy as np
import torch
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64


def _functions(lib):  # noqa: ANN001, ANN202
    class Affine(lib.autograd.Function):
        @staticmethod
        def forward(x, w, shift=0.5, scale=None):  # noqa: ANN001, ANN205
            return x * w * (1.0 if scale is None else scale) + shift

        @staticmethod
        def setup_context(ctx, inputs, output):  # noqa: ANN001, ANN205
            x, w, shift, scale = inputs
            ctx.scale = 1.0 if scale is None else scale
            ctx.n_inputs = len(inputs)
            ctx.save_for_backward(x, w)

        @staticmethod
        def backward(ctx, g):  # noqa: ANN001, ANN205
            x, w = ctx.saved_tensors
            gx = g * w * ctx.scale if ctx.needs_input_grad[0] else None
            gw = g * x * ctx.scale if ctx.needs_input_grad[1] else None
            return gx, gw, None, None

    class CubeWithSlope(lib.autograd.Function):
        @staticmethod
        def forward(x):  # noqa: ANN001, ANN205
            return x ** 3, 3 * x ** 2, (x > 0).long()

        @staticmethod
        def setup_context(ctx, inputs, output):  # noqa: ANN001, ANN205
            (x,), (_, slope, positive) = inputs, output
            ctx.mark_non_differentiable(positive)
            ctx.save_for_backward(x, slope)

        @staticmethod
        def backward(ctx, g, g_slope, _g_positive):  # noqa: ANN001, ANN205
            x, slope = ctx.saved_tensors
            return g * slope + g_slope * 6 * x

    return Affine, CubeWithSlope


def test_setup_context_affine_with_defaults_and_kwargs() -> None:
    rng = np.random.default_rng(0)
    xs, ws, gs = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    res = []
    for lib in (mt, torch):
        Affine, _ = _functions(lib)
        x, w = lib.tensor(xs, requires_grad=True), lib.tensor(ws)
        y = Affine.apply(x, w, scale=2.0)
        n_inputs = y.grad_fn.n_inputs
        y.backward(lib.tensor(gs))
        z = Affine.apply(x.detach(), w.requires_grad_())
        z.backward(lib.tensor(gs))
        res.append((y, x.grad, z, w.grad, n_inputs, y.grad_fn.name()))
    for i in range(4):
        assert_close(res[0][i], res[1][i], F64, what=f"item {i}")
    assert res[0][4] == res[1][4] == 4
    assert res[0][5] == res[1][5] == "AffineBackward"


def test_setup_context_saved_output_second_order_and_non_differentiable() -> None:
    rng = np.random.default_rng(1)
    xs, gs = rng.standard_normal(5), rng.standard_normal(5)
    res = []
    for lib in (mt, torch):
        _, Cube = _functions(lib)
        x = lib.tensor(xs, requires_grad=True)
        y, slope, positive = Cube.apply(x)
        (dx,) = lib.autograd.grad(y, x, lib.tensor(gs), create_graph=True)
        (ddx,) = lib.autograd.grad(dx.sum(), x)
        res.append((y, slope, dx, ddx, positive.requires_grad, positive.tolist(),
                    lib.autograd.gradgradcheck(lambda t, C=Cube: C.apply(t)[0], (x,))))
    for i in range(4):
        assert_close(res[0][i], res[1][i], F64, what=f"item {i}")
    assert res[0][4:] == res[1][4:]


def test_gradcheck_leaves_grads_alone() -> None:
    rng = np.random.default_rng(2)
    for lib in (mt, torch):
        layer = lib.nn.Linear(3, 2).double()
        x = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
        x.grad = lib.ones(4, 3, dtype=lib.float64)
        assert lib.autograd.gradcheck(layer, (x,))
        assert layer.weight.grad is None and layer.bias.grad is None
        assert x.grad.tolist() == [[1.0] * 3] * 4
