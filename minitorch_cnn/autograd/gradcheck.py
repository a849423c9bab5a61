"""Finite-difference gradient checks, independent of torch.

``gradcheck`` compares the analytic vector-Jacobian product (backward with a random upstream
gradient ``v``) with central differences of ``<f(x), v>``, one input element at a time, in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backend
from .grad_mode import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when analytic and numeric gradients disagree; the message names the worst element."""


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.data.dtype.kind == "f"]


def gradcheck(
    fn: Callable,
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check ``fn``'s gradients w.r.t. every float64 input that requires grad.

    ``fn(*inputs)`` returns a Tensor or a tuple of Tensors. Inputs should be float64: float32
    central differences are too coarse for the tolerances, as in torch's gradcheck.
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for t in checked:
        if t.data.dtype != np.float64:
            raise ValueError(f"gradcheck: inputs must be float64 for a meaningful check, got {t.dtype}")
    rng = np.random.default_rng(seed)
    for t in checked:
        t.grad = None
    outs = _outputs(fn, inputs)
    vs = [backend.move_to(rng.standard_normal(o.shape), o.device) for o in outs]
    total = None
    for o, v in zip(outs, vs):
        if o.requires_grad:
            term = (o * Tensor._wrap(v)).sum()
            total = term if total is None else total + term
    analytic = []
    if total is not None:
        total.backward()
    for t in checked:
        analytic.append(t.grad.data if t.grad is not None else backend.array_module(t.data).zeros_like(t.data))

    def objective() -> float:
        with no_grad():
            return float(sum(float((o.data * v).sum()) for o, v in zip(_outputs(fn, inputs), vs)))

    for k, (t, a) in enumerate(zip(checked, analytic)):
        flat = t.data.reshape(-1)  # a view: perturbing it perturbs t
        a_flat = backend.move_to(a, "cpu").reshape(-1)
        numeric = np.empty(flat.size)
        for i in range(flat.size):
            orig = float(flat[i])
            flat[i] = orig + eps
            plus = objective()
            flat[i] = orig - eps
            minus = objective()
            flat[i] = orig
            numeric[i] = (plus - minus) / (2 * eps)
        err = np.abs(a_flat - numeric)
        bound = atol + rtol * np.abs(numeric)
        if np.any(err > bound):
            i = int(np.argmax(err - bound))
            msg = (
                f"gradcheck failed for input {k} (shape {tuple(t.shape)}): worst element "
                f"{np.unravel_index(i, t.shape)}: analytic {a_flat[i]:.10g}, numeric {numeric[i]:.10g}, "
                f"|diff| {err[i]:.3g} > atol {atol} + rtol {rtol} × |numeric|"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    for t in checked:
        t.grad = None
    return True
