"""``torch.func.vjp``: the function's outputs and a function that pulls cotangents back to its inputs.

``out, vjp_fn = vjp(f, *primals)``; ``vjp_fn(cotangents)`` (cotangents shaped as ``out``) returns
``cotangentsᵀ · d out / d primals`` as a tuple with one entry per primal. The forward graph is kept, so
``vjp_fn`` may be called many times (``vmap(vjp_fn)(basis)`` builds a Jacobian row by row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import Tensor, enable_grad
from ..autograd.engine import grad as autograd_grad
from . import _levels
from ._pytree import describe, flatten, unflatten
from .grad import finish_tree, split_aux


def check_outputs(leaves: list, api: str, call: str) -> None:
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected {call} to return only tensors, got unsupported type {type(o)}")


def pull_back(outs: list, inputs: list, cotangents: list, create_graph: bool) -> list:
    """Σ_i cotangent_i · d out_i / d input_j for each input (zeros where nothing depends on it)."""
    for i, (o, c) in enumerate(zip(outs, cotangents)):
        if tuple(o.shape) != tuple(c.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} and output[{i}] has a "
                               f"shape of {o.shape}.")
    live = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    with enable_grad():
        got = (autograd_grad([o for o, _ in live], inputs, [c for _, c in live], retain_graph=True,
                             create_graph=create_graph, allow_unused=True) if live else (None,) * len(inputs))
    return [_levels.zeros_like(t) if g is None else g for g, t in zip(got, inputs)]


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``, or ``(output, vjp_fn, aux)`` with ``has_aux``."""
    api = "vjp(f, *primals)"
    leaves, spec = flatten(primals)
    _levels.check_tensors(leaves)
    keep = _levels.keep_graph(leaves)
    with enable_grad(), _levels.level():
        mine = [_levels.track(t) for t in leaves]
        out, aux = split_aux(func(*unflatten(mine, spec)), has_aux, api)
    out_leaves, out_spec = flatten(out)
    check_outputs(out_leaves, api, "f(*primals)")
    keep = keep or _levels.reaches_outside(out_leaves, mine)

    def vjp_fn(cotangents: Any) -> tuple:
        ct_leaves, ct_spec = flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               f"to the function. cotangents: {describe(ct_spec)}, primal output: "
                               f"{describe(out_spec)}")
        _levels.check_tensors(ct_leaves)
        now = keep or _levels.keep_graph(ct_leaves)
        grads = pull_back(out_leaves, mine, ct_leaves, now)
        return unflatten([_levels.finish(g, now) for g in grads], spec)

    result = (finish_tree(out, keep), vjp_fn)
    return result + (finish_tree(aux, keep),) if has_aux else result
