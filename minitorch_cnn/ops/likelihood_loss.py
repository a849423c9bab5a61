"""Negative log-likelihood losses of a Poisson and a Gaussian target, composed of differentiable ops:

    poisson (log_input):  ℓ = e^x - t·x                 dℓ/dx = e^x - t
    poisson (rates):      ℓ = x - t·log(x + eps)        dℓ/dx = 1 - t / (x + eps)
      full: + t·log t - t + ½ log(2π t) where t > 1 (Stirling's approximation of log t!), 0 elsewhere
    gaussian:             ℓ = ½ (log v + (x - t)² / v) (+ ½ log 2π when full)
                          dℓ/dx = (x - t) / v,   dℓ/dv = ½ (1/v - (x - t)² / v²)

Gaussian: v is clamped to >= eps for the value only (the gradient passes through the clamp as if it were not
there, as torch's in-place no-grad clamp); v may have input's shape, one dim fewer (the last dim shared), or
input's dims with one of them 1. reduction: 'none', 'sum' or 'mean' (Σ / numel).
"""

from __future__ import annotations

import math

from ..autograd import Tensor
from . import elementwise as ew
from .factories import ones_like
from .loss import _reduction
from .robust_loss import reduce_loss


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.poisson_nll_loss`` (see the module docstring)."""
    reduction = _reduction("poisson_nll_loss", reduction, size_average, reduce)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        big = target > 1
        t = ew.where(big, target, 2.0)  # the logs read t > 1 only: no -inf or NaN from the masked entries
        loss = loss + ew.where(big, t * t.log() - t + 0.5 * (t * (2 * math.pi)).log(), 0.0)
    return reduce_loss(loss, reduction)


def _homoscedastic_var(input: Tensor, var: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``var`` shaped to broadcast against input, or torch's ValueError."""
    if tuple(var.shape) == tuple(input.shape):
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return var.unsqueeze(-1)
    if input.ndim == var.ndim and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
        return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,  # noqa: A002
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.gaussian_nll_loss`` (see the module docstring)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ones_like(input) * float(var)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = _homoscedastic_var(input, var)
    reduction = _reduction("gaussian_nll_loss", reduction, None, None)
    held = var.detach()
    var = var + (held.clamp(min=eps) - held)  # the clamped value, the identity's gradient
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)
