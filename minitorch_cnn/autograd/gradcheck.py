"""Finite-difference gradient checks, independent of torch.

``gradcheck`` compares the analytic vector-Jacobian product (backward with a random upstream
gradient ``v``) with central differences of ``<f(x), v>``, one input element at a time, in float64.
``gradgradcheck`` runs the same check on the first gradient (taken with ``create_graph=True``) as a function of
the inputs and of the upstream gradient, which exercises every op's ``backward_graph``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backend
from .engine import grad as _grad
from .grad_mode import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when analytic and numeric gradients disagree; the message names the worst element."""


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list[Tensor]:
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def gradcheck(
    fn: Callable,
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
    *,
    fast_mode: bool = False,
) -> bool:
    """Check ``fn``'s gradients w.r.t. every float64 input that requires grad.

    ``fast_mode`` is torch's keyword: torch's fast mode compares one random projection of the Jacobian instead of
    all of it; here both modes run the full element-by-element check, so a Function that passes passes either.

    ``fn(*inputs)`` returns a Tensor or a tuple of Tensors. Inputs should be float64: float32
    central differences are too coarse for the tolerances, as in torch's gradcheck.

    Example, a Function you wrote yourself (see also examples/custom_function.py)::

        class Softplus(mt.Function):
            # y = log(1 + e^x);  dy/dx = σ(x)
            def forward(self, x):
                self.x = x
                return np.logaddexp(0, x)

            def backward(self, g):
                return g / (1 + np.exp(-self.x))

        x = mt.randn(3, 4, dtype=mt.float64, requires_grad=True)
        mt.autograd.gradcheck(Softplus.apply, [x])   # True, or GradcheckError naming the worst element
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for t in checked:
        if t._data.dtype != np.float64:
            raise ValueError(f"gradcheck: inputs must be float64 for a meaningful check, got {t.dtype}")
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs)
    vs = [backend.move_to(rng.standard_normal(o.shape), o.device) for o in outs]
    total = None
    for o, v in zip(outs, vs):
        if o.requires_grad:
            term = (o * Tensor._wrap(v)).sum()
            total = term if total is None else total + term
    # autograd.grad, not backward: no .grad is touched, neither the inputs' nor a module's parameters', as torch
    found = _grad(total, checked, allow_unused=True) if total is not None else [None] * len(checked)
    analytic = [g._data if g is not None else backend.array_module(t._data).zeros_like(t._data)
                for t, g in zip(checked, found)]

    def objective() -> float:
        with no_grad():
            return float(sum(float((o._data * v).sum()) for o, v in zip(_outputs(fn, inputs), vs)))

    for k, (t, a) in enumerate(zip(checked, analytic)):
        data = t._data  # perturbed in place through multi-indices, so non-contiguous inputs work too
        a_flat = backend.move_to(a, "cpu").reshape(-1)
        numeric = np.empty(data.size)
        for i in range(data.size):
            at = np.unravel_index(i, data.shape)
            orig = float(data[at])
            data[at] = orig + eps
            plus = objective()
            data[at] = orig - eps
            minus = objective()
            data[at] = orig
            numeric[i] = (plus - minus) / (2 * eps)
        err = np.abs(a_flat - numeric)
        bound = atol + rtol * np.abs(numeric)
        if np.any(err > bound):
            i = int(np.argmax(err - bound))
            msg = (
                f"gradcheck failed for input {k} (shape {tuple(t.shape)}): worst element "
                f"{tuple(int(j) for j in np.unravel_index(i, t.shape))}: analytic {a_flat[i]:.10g}, "
                f"numeric {numeric[i]:.10g}, "
                f"|diff| {err[i]:.3g} > atol {atol} + rtol {rtol} × |numeric|"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(
    fn: Callable,
    inputs: Sequence[Any],
    grad_outputs: Sequence[Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
    *,
    fast_mode: bool = False,
) -> bool:
    """Check ``fn``'s second derivatives: :func:`gradcheck` of the first gradient, seen as a function of the inputs
    and of the upstream gradient (random float64 ones unless ``grad_outputs`` are given), as torch's.
    ``fast_mode``: as in :func:`gradcheck` (the full check in both modes).

    The first gradient is taken with ``create_graph=True`` and its own backward is compared with central
    differences, so a Function whose ``backward_graph`` is wrong (or missing: it then raises, naming the op) fails.

    Example, a Function written twice-differentiable (see also examples/conv_double_backward.py)::

        class Cube(mt.Function):
            # y = x³;  dy/dx = 3x²
            def forward(self, x):
                self.x = x
                return x ** 3

            def backward(self, g):
                return 3 * g * self.x ** 2

            def backward_graph(self, g):  # the same formula in Tensor ops, so it has a graph
                x = self.input_tensor(0, self.x)
                return 3 * g * x * x

        x = mt.randn(3, 4, dtype=mt.float64, requires_grad=True)
        mt.autograd.gradgradcheck(Cube.apply, [x])   # True, or GradcheckError naming the worst element
    """
    from .grad_mode import enable_grad

    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradgradcheck: no input requires grad")
    rng = np.random.default_rng(seed + 1)
    if grad_outputs is None:
        outs = _outputs(fn, inputs)
        grad_outputs = [Tensor._wrap(backend.move_to(rng.standard_normal(o.shape), o.device)) for o in outs
                        if o.requires_grad]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
    ups = [Tensor._wrap(u._data.astype(np.float64)).requires_grad_() for u in grad_outputs]
    n = len(inputs)

    def first_gradient(*args: Any) -> tuple:
        with enable_grad():
            outs = [o for o in _outputs(fn, args[:n]) if o.requires_grad]
            ins = [t for t in args[:n] if isinstance(t, Tensor) and t.requires_grad]
            return _grad(outs, ins, grad_outputs=list(args[n:]), create_graph=True, allow_unused=True,
                        materialize_grads=True)

    return gradcheck(first_gradient, [*inputs, *ups], eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed, fast_mode=fast_mode)
