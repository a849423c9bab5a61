"""relu6, hardsigmoid, hardswish (functional and modules) against torch: float64 values and gradients (random
upstream gradient, inputs spread over every linear piece), float32 against the float64 truth, second order, and
the boundaries where torch's kernels pick a side."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close

NAMES = ["relu6", "hardsigmoid", "hardswish"]
MODULES = {"relu6": "ReLU6", "hardsigmoid": "Hardsigmoid", "hardswish": "Hardswish"}


def _inputs(dtype: type) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.uniform(-8, 8, (4, 64)).astype(dtype), rng.standard_normal((4, 64)).astype(dtype))


@pytest.mark.parametrize("name", NAMES)
def test_float64_values_and_gradients(name: str) -> None:
    x, w = _inputs(np.float64)
    tx = torch.tensor(x, requires_grad=True)
    ty = getattr(torch.nn.functional, name)(tx)
    (ty * torch.tensor(w)).sum().backward()
    mx = mt.tensor(x, requires_grad=True)
    my = getattr(mt.nn.functional, name)(mx)
    (my * mt.tensor(w)).sum().backward()
    assert_close(my, ty.detach(), np.float64, what=f"{name} forward")
    assert_close(mx.grad, tx.grad, np.float64, what=f"{name} backward")
    module = getattr(mt.nn, MODULES[name])(inplace=True)
    assert repr(module) == repr(getattr(torch.nn, MODULES[name])(inplace=True))
    assert_close(module(mt.tensor(x)), ty.detach(), np.float64, what=f"{MODULES[name]} module")


@pytest.mark.parametrize("name", NAMES)
def test_float32_against_float64_truth(name: str) -> None:
    x, w = _inputs(np.float32)
    truth_x = torch.tensor(x.astype(np.float64), requires_grad=True)
    truth = getattr(torch.nn.functional, name)(truth_x)
    (truth * torch.tensor(w.astype(np.float64))).sum().backward()
    t32 = torch.tensor(x, requires_grad=True)
    y32 = getattr(torch.nn.functional, name)(t32)
    (y32 * torch.tensor(w)).sum().backward()
    mx = mt.tensor(x, requires_grad=True)
    my = getattr(mt.nn.functional, name)(mx)
    (my * mt.tensor(w)).sum().backward()
    assert my.dtype == mt.float32 and mx.grad.dtype == mt.float32
    assert_f32_close(my, truth.detach(), torch32=y32.detach(), what=f"{name} forward")
    assert_f32_close(mx.grad, truth_x.grad, torch32=t32.grad, what=f"{name} backward")


@pytest.mark.parametrize("name", ["hardsigmoid", "hardswish"])
def test_second_order(name: str) -> None:
    """d/dx of (dy/dx · v): hardswish's second derivative is 1/3 on (-3, 3), hardsigmoid's is 0."""
    x, w = _inputs(np.float64)
    v = np.random.default_rng(1).standard_normal(x.shape)
    out = {}
    for lib, key in ((torch, "torch"), (mt, "mt")):
        tx = lib.tensor(x, requires_grad=True)
        y = getattr(lib.nn.functional, name)(tx)
        (g,) = lib.autograd.grad((y * lib.tensor(w)).sum(), tx, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(v)).sum(), tx, allow_unused=True) if name == "hardswish" else (g,)
        out[key] = h
    assert_close(out["mt"], out["torch"].detach(), np.float64, what=f"{name} second order")


def test_boundaries_take_torch_sides() -> None:
    """relu6's gradient is 0 at 0 and 6; hardsigmoid's 0 at ±3; hardswish's 0 at -3 and 1 at 3."""
    x = np.array([-3.0, 0.0, 3.0, 6.0])
    for name in NAMES:
        tx, mx = torch.tensor(x, requires_grad=True), mt.tensor(x, requires_grad=True)
        getattr(torch.nn.functional, name)(tx).sum().backward()
        getattr(mt.nn.functional, name)(mx).sum().backward()
        np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy(), err_msg=name)
