"""One harness for the attention and transformer parity tests: the same weights (torch's state_dict) and inputs in
torch and minitorch_cnn, outputs compared, then every gradient (inputs and parameters) under random upstream
gradients. float64 must agree to 1e-10; float32 is judged against torch's float64 truth (and torch's own float32)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close


def _lib_tensor(lib: Any, a: np.ndarray, dtype: Any, grad: bool) -> Any:
    if a.dtype == np.bool_:
        return lib.tensor(a)
    return lib.tensor(a.astype(dtype), requires_grad=grad)


def _run(lib: Any, make: Callable | None, state: dict, fn: Callable, inputs: dict, dtype: Any,
         upstream: list | None) -> tuple[list, list, list]:
    """(outputs, gradients, upstream) of ``fn(module, **inputs)``; inputs named ``*mask*`` take no gradient."""
    np_dtype = np.dtype(dtype)
    mod = None
    if make is not None:
        mod = make(lib).to(lib.float64 if np_dtype == np.float64 else lib.float32)
        mod.load_state_dict({k: lib.tensor(v.astype(np_dtype) if v.dtype.kind == "f" else v)
                             for k, v in state.items()})
    tensors = {k: _lib_tensor(lib, v, np_dtype, "mask" not in k) for k, v in inputs.items()}
    outs = fn(mod, **tensors)
    outs = [o for o in (outs if isinstance(outs, tuple) else (outs,)) if o is not None]
    if upstream is None:
        rng = np.random.default_rng(1)
        upstream = [rng.standard_normal(tuple(o.shape)) for o in outs]
    loss = sum((o * lib.tensor(u.astype(np_dtype))).sum() for o, u in zip(outs, upstream))
    leaves = [t for t in tensors.values() if t.requires_grad]
    if mod is not None:
        leaves += [p for p in mod.parameters()]
    loss.backward()
    grads = [np.zeros(tuple(t.shape)) if t.grad is None else t.grad.detach().cpu().numpy().astype(np.float64)
             for t in leaves]
    return [o.detach().cpu().numpy().astype(np.float64) for o in outs], grads, upstream


def parity(make: Callable | None, fn: Callable, inputs: dict, dtype: Any, train: bool = False) -> None:
    """Build the module with ``make(lib)`` (or none), take torch's float64 weights into both, run ``fn`` and hold
    minitorch_cnn to torch: float64 to 1e-10, float32 against the float64 truth."""
    torch.manual_seed(0)
    state = {}
    if make is not None:
        state = {k: v.detach().double().numpy() if v.is_floating_point() else v.numpy()
                 for k, v in make(torch).state_dict().items()}

    def wrapped(lib: Any) -> Callable:
        def run(mod: Any, **kw: Any) -> Any:
            if mod is not None:
                mod.train(train)
            return fn(lib, mod, **kw)
        return run

    t64, tg64, up = _run(torch, make, state, wrapped(torch), inputs, np.float64, None)
    if np.dtype(dtype) == np.float64:
        o64, og64, _ = _run(mt, make, state, wrapped(mt), inputs, np.float64, up)
        for i, (a, b) in enumerate(zip(o64, t64)):
            assert_close(a, b, np.float64, what=f"output {i}")
        for i, (a, b) in enumerate(zip(og64, tg64)):
            assert_close(a, b, np.float64, what=f"grad {i}")
        return
    state32 = {k: v.astype(np.float32).astype(np.float64) if v.dtype.kind == "f" else v for k, v in state.items()}
    in32 = {k: v.astype(np.float32).astype(np.float64) if v.dtype.kind == "f" else v for k, v in inputs.items()}
    up32 = [u.astype(np.float32).astype(np.float64) for u in up]
    truth, truth_g, _ = _run(torch, make, state32, wrapped(torch), in32, np.float64, up32)
    t32, tg32, _ = _run(torch, make, state32, wrapped(torch), in32, np.float32, up32)
    o32, og32, _ = _run(mt, make, state32, wrapped(mt), in32, np.float32, up32)
    for i, (a, b, c) in enumerate(zip(o32, truth, t32)):
        assert_f32_close(a, b, torch32=c, what=f"output {i}")
    for i, (a, b, c) in enumerate(zip(og32, truth_g, tg32)):
        assert_f32_close(a, b, torch32=c, what=f"grad {i}")
