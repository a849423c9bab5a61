"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` (and ``get_total_norm``), as torch.nn.utils's.

    ‖g‖_p = (Σ_i |g_i|^p)^(1/p)  per gradient, then the same norm over the per-gradient norms
    (p = inf: the largest |g_i|; p = -inf: the smallest; p = 0: the count of non-zeros)
    clip_grad_norm_:  g ← g · min(max_norm / (‖g‖_p + 1e-6), 1)   for every gradient, in place
    clip_grad_value_: g ← clamp(g, -clip_value, clip_value)         in place
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor


def _grads(parameters: Any) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(arr: Any, p: float) -> Any:
    """The p-norm of ``arr`` flattened, in float64 (0-d array)."""
    xp = backend.array_module(arr)
    a = xp.abs(arr.astype(np.float64, copy=False)).ravel()
    if p == math.inf:
        return a.max() if a.size else xp.asarray(0.0)
    if p == -math.inf:
        return a.min() if a.size else xp.asarray(math.inf)
    if p == 0:
        return xp.asarray(float(xp.count_nonzero(a)))
    if p == 1:
        return a.sum()
    if p == 2:
        return xp.sqrt(xp.dot(a, a))
    return (a**p).sum() ** (1.0 / p)


def get_total_norm(tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The ``norm_type`` norm of the norms of ``tensors`` (a Tensor or an iterable), as a 0-d Tensor of their
    dtype (``torch.nn.utils.get_total_norm``); 0.0 when there are none."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(np.asarray(0.0, dtype=backend.get_default_dtype()))
    xp = backend.array_module(tensors[0]._data)
    norms = xp.stack([_norm(t._data, norm_type) for t in tensors])
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return Tensor._wrap(xp.asarray(total, dtype=tensors[0].dtype))


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their total ``norm_type`` norm is at most
    ``max_norm``; returns the total norm before clipping (a 0-d Tensor), as torch's."""
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total
    coef = min(float(max_norm) / (float(total._data) + 1e-6), 1.0)
    for g in grads:
        # every gradient is multiplied, also by a coefficient of 1 (a NaN norm then spreads, as in torch)
        g._data *= g.dtype.type(coef)
        g._version += 1
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient of ``parameters`` into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        backend.array_module(g._data).clip(g._data, -clip_value, clip_value, out=g._data)
        g._version += 1
