"""``torch.func.stack_module_state``: the parameters and buffers of same-shaped models stacked along a new first
dimension, for ``vmap(functional_call ...)`` over an ensemble."""

from __future__ import annotations

from typing import Any

from ..autograd import no_grad
from ..ops.shape import stack


def _stacked(tensors: list, name: str) -> Any:
    wants = [t.requires_grad for t in tensors]
    if any(wants) and not all(wants):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    with no_grad():
        out = stack(tensors)
    return out.requires_grad_() if all(wants) else out


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """``(params, buffers)``: name -> the models' tensors stacked (a new leaf; it requires grad where the models'
    parameters do), in the first model's order."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return ({k: _stacked([p[k] for p in params], k) for k in params[0]},
            {k: _stacked([b[k] for b in buffers], k) for k in buffers[0]})
