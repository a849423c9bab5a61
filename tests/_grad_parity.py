"""Forward and backward parity of a function or a layer against torch: float64 exact, float32 against the
float64 truth (``assert_f32_close``), with a random upstream gradient."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt


def _run(fn: Callable, arrays: Sequence, grads: Sequence[bool], lib: str, dtype: type, g: np.ndarray | None) -> tuple:
    """fn on the arrays as ``lib``'s tensors (floating ones cast to ``dtype``); (output, input grads, g)."""
    def make(a: np.ndarray, req: bool):
        a = a.astype(dtype) if a.dtype.kind == "f" else a
        return torch.tensor(a, requires_grad=req) if lib == "torch" else mt.tensor(a, requires_grad=req)

    ts = [make(a, r) for a, r in zip(arrays, grads)]
    out = fn(*ts)
    if g is None:
        g = np.random.default_rng(99).standard_normal(tuple(out.shape))
    gt = torch.tensor(g.astype(dtype)) if lib == "torch" else mt.tensor(g.astype(dtype))
    if any(grads):
        out.backward(gt)
    return out, [t.grad if r else None for t, r in zip(ts, grads)], g


def function_parity(ours: Callable, theirs: Callable, arrays: Sequence, grads: Sequence[bool], what: str = "") -> None:
    """``ours(*mt tensors)`` against ``theirs(*torch tensors)``: outputs and the gradients of the arrays flagged
    in ``grads``, in float64 (1e-10) and float32 (against torch's float64 truth)."""
    truth, truth_g, g = _run(theirs, arrays, grads, "torch", np.float64, None)
    out64, g64, _ = _run(ours, arrays, grads, "mt", np.float64, g)
    assert_close(out64, truth, np.float64, what=f"{what} forward f64")
    out32, g32, _ = _run(ours, arrays, grads, "mt", np.float32, g)
    t32, tg32, _ = _run(theirs, arrays, grads, "torch", np.float32, g)
    assert_f32_close(out32, truth, torch32=t32, what=f"{what} forward f32")
    for i, r in enumerate(grads):
        if r:
            assert_close(g64[i], truth_g[i], np.float64, what=f"{what} grad {i} f64")
            assert_f32_close(g32[i], truth_g[i], torch32=tg32[i], what=f"{what} grad {i} f32")


def _layer_run(layer: Callable, lib: str, dtype: type, state: dict, x: np.ndarray, g: np.ndarray | None,
               train: bool) -> tuple:
    if lib == "torch":
        m = layer(torch.nn).to(torch.float64 if dtype == np.float64 else torch.float32)
        m.load_state_dict(state)
        xt = torch.tensor(x.astype(dtype), requires_grad=True)
    else:
        m = layer(mt.nn).to(dtype)
        m.load_state_dict({k: v.numpy() for k, v in state.items()})
        xt = mt.tensor(x.astype(dtype), requires_grad=True)
    m.train(train)
    y = m(xt)
    if g is None:
        g = np.random.default_rng(98).standard_normal(tuple(y.shape))
    y.backward(torch.tensor(g.astype(dtype)) if lib == "torch" else mt.tensor(g.astype(dtype)))
    named = dict(m.named_parameters())
    return y, xt.grad, {k: named[k].grad for k in named}, dict(m.named_buffers()), g


def layer_parity(layer: Callable, x: np.ndarray, train: bool = True, seed: int = 0, what: str = "") -> None:
    """``layer(nn)`` built in both libraries (torch's initial state copied into ours, float64), run on ``x``:
    output, input grad, parameter grads and buffers after the step, float64 and float32."""
    torch.manual_seed(seed)
    state = {k: v.detach().to(torch.float64) if v.is_floating_point() else v
             for k, v in layer(torch.nn).state_dict().items()}
    ty, tx, tp, tb, g = _layer_run(layer, "torch", np.float64, state, x, None, train)
    oy, ox, op, ob, _ = _layer_run(layer, "mt", np.float64, state, x, g, train)
    y32, x32, p32, b32, _ = _layer_run(layer, "mt", np.float32, state, x, g, train)
    ty32, tx32, tp32, tb32, _ = _layer_run(layer, "torch", np.float32, state, x, g, train)
    assert set(op) == set(tp) and set(ob) == set(tb), f"{what}: parameter/buffer names differ"
    for name, a, b, a32, b32_ in [("output", oy, ty, y32, ty32), ("input grad", ox, tx, x32, tx32)] + [
            (f"grad {k}", op[k], tp[k], p32[k], tp32[k]) for k in tp] + [
            (f"buffer {k}", ob[k], tb[k], b32[k], tb32[k]) for k in tb if tb[k] is not None]:
        if b.dtype in (torch.int64,):
            assert int(a.item()) == int(b.item()), f"{what} {name}"
            continue
        assert_close(a, b, np.float64, what=f"{what} {name} f64")
        assert_f32_close(a32, b, torch32=b32_, what=f"{what} {name} f32")
