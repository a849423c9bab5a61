"""One parity check for the linear-algebra tests: a function of several matrices with one or several outputs,
run here and in torch on the same inputs. float64: every float output and every input's gradient (random upstream
gradients, one per output) to 1e-10 (unless ``grads=False``: torch offers none), and optionally the second order
(the gradient of ⟨grads, random V⟩); float32: outputs and gradients against our float64 result on the same
(rounded) inputs, or torch's float32 error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt


def _outs(out: Any) -> list:
    outs = list(out) if isinstance(out, tuple) else [out]
    return [o for o in outs if o.dtype in (mt.float32, mt.float64, torch.float32, torch.float64) and o.numel()]


def _loss(outs: list, gs: list, lib: Any) -> Any:
    total = None
    for o, g in zip(outs, gs):
        term = (o * lib.tensor(g.astype(np.float64 if o.dtype in (mt.float64, torch.float64) else np.float32))).sum()
        total = term if total is None else total + term
    return total


def check(fn_m: Callable, fn_t: Callable, arrays: list[np.ndarray], *, second_order: bool = False,
          f32: bool = True, grads: bool = True, tol: float = 1e-10, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    xs_m = [mt.tensor(a, requires_grad=True) for a in arrays]
    xs_t = [torch.tensor(a, requires_grad=True) for a in arrays]
    outs_m, outs_t = _outs(fn_m(*xs_m)), _outs(fn_t(*xs_t))
    assert len(outs_m) == len(outs_t)
    for i, (a, b) in enumerate(zip(outs_m, outs_t)):
        assert a.dtype == mt.float64
        assert_close(a, b, np.float64, tol, what=f"forward {i}")
    gs = [rng.standard_normal(tuple(o.shape)) for o in outs_t]
    if not grads:
        return
    gm = mt.autograd.grad(_loss(outs_m, gs, mt), xs_m, create_graph=second_order)
    gt = torch.autograd.grad(_loss(outs_t, gs, torch), xs_t, create_graph=second_order)
    for i, (a, b) in enumerate(zip(gm, gt)):
        assert_close(a, b, np.float64, tol, what=f"grad {i}")
    if second_order:
        vs = [rng.standard_normal(a.shape) for a in arrays]
        hm = mt.autograd.grad(_loss(list(gm), vs, mt), xs_m, allow_unused=True)
        ht = torch.autograd.grad(_loss(list(gt), vs, torch), xs_t, allow_unused=True)
        for i, (a, b) in enumerate(zip(hm, ht)):
            if a is None or b is None:  # unused: None on one side, zeros (or None) on the other
                assert all(t is None or not t.detach().numpy().any() for t in (a, b)), f"second order {i}"
            else:
                assert_close(a, b, np.float64, tol * 10, what=f"second order {i}")
    if not f32:
        return
    xs32 = [mt.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    xt32 = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    truth_in = [mt.tensor(a.astype(np.float32).astype(np.float64), requires_grad=True) for a in arrays]
    o32, t32, truth = _outs(fn_m(*xs32)), _outs(fn_t(*xt32)), _outs(fn_m(*truth_in))
    for a, b, t in zip(o32, t32, truth):
        assert a.dtype == mt.float32
        assert_f32_close(a, t, torch32=b, what="float32 forward")
    g32 = mt.autograd.grad(_loss(o32, gs, mt), xs32)
    gt32 = torch.autograd.grad(_loss(t32, gs, torch), xt32)
    gtruth = mt.autograd.grad(_loss(truth, gs, mt), truth_in)
    for a, b, t in zip(g32, gt32, gtruth):
        assert_f32_close(a, t, torch32=b, what="float32 grad")
