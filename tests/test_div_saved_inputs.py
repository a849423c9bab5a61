"""Division keeps its inputs, not its output, as torch's DivBackward0: the quotient may then be modified in place
before backward (the double-backward tutorial's ``grad_input = grad_out * (...) / 2; grad_input += ...``), and
b's gradient is torch's ``-g * ((a / b) / b)``, first and second order, against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64


def _pair(arr: np.ndarray) -> tuple:
    return mt.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)


@pytest.mark.parametrize("b_grad", [False, True])
def test_quotient_modified_in_place_then_backward(b_grad: bool) -> None:
    rng = np.random.default_rng(0)
    a_np, b_np, g_np = rng.standard_normal((3, 4)), rng.random((3, 4)) + 0.5, rng.standard_normal((3, 4))
    grads = []
    for lib in (mt, torch):
        a = lib.tensor(a_np, requires_grad=True)
        b = lib.tensor(b_np, requires_grad=b_grad)
        y = (a * 1.0) / b
        y += 2.0  # torch keeps a and b, never y: this is allowed
        y *= 3.0
        y.backward(lib.tensor(g_np))
        grads.append((a.grad, b.grad))
    assert_close(grads[0][0], grads[1][0], F64, what="a.grad")
    if b_grad:
        assert_close(grads[0][1], grads[1][1], F64, what="b.grad")
    else:
        assert grads[0][1] is None and grads[1][1] is None


def test_divisor_modified_in_place_still_raises() -> None:
    for lib in (mt, torch):
        a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True) * 1.0
        y = a / b
        b.mul_(2.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|modified by an in-place"):
            y.sum().backward()


def test_second_order_through_div() -> None:
    rng = np.random.default_rng(1)
    a_np, b_np = rng.standard_normal((5,)), rng.random((5,)) + 0.5
    g_np, h_np = rng.standard_normal((5,)), rng.standard_normal((5,))
    res = []
    for lib in (mt, torch):
        a, b = lib.tensor(a_np, requires_grad=True), lib.tensor(b_np, requires_grad=True)
        y = a / b
        ga, gb = lib.autograd.grad(y, (a, b), lib.tensor(g_np), create_graph=True)
        gg = lib.autograd.grad((ga * lib.tensor(h_np) + gb.sin()).sum(), (a, b))
        res.append((ga, gb, *gg))
    for i, (o, t) in enumerate(zip(*res)):
        assert_close(o, t, F64, what=f"term {i}")


def test_scalar_numerator_gradient() -> None:
    rng = np.random.default_rng(2)
    b_np, g_np = rng.random((2, 3)) + 0.5, rng.standard_normal((2, 3))
    grads = []
    for lib in (mt, torch):
        b = lib.tensor(b_np, requires_grad=True)
        (2.5 / b).backward(lib.tensor(g_np))
        grads.append(b.grad)
    assert_close(grads[0], grads[1], F64, what="b.grad")
