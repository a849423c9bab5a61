"""The robust regression losses, composed of differentiable ops (every order of derivative), d = input - target
(broadcast), z = |d|:

    smooth_l1(β):  ℓ = ½ d² / β  for z < β,  z - ½β  else;      dℓ/d(input) = d / β,  or sign(d)    (β = 0: l1, z)
    huber(δ):      ℓ = ½ d²      for z < δ,  δ (z - ½δ) else;   dℓ/d(input) = d,      or δ sign(d)

(huber = β · smooth_l1 with β = δ.) A difference of exactly β (δ) takes the linear piece, as torch's kernels.
reduction: 'none' (ℓ, the broadcast shape), 'sum', or 'mean' (Σ ℓ / numel; huber with ``weight``: mean of w ℓ).
"""

from __future__ import annotations

import warnings

from ..autograd import Tensor
from . import elementwise as ew
from .loss import _reduction


def _difference(op: str, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002 - torch's name
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )
    return input - target


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """'none': ``loss`` itself; 'sum': Σ; 'mean': Σ / numel."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002 - torch's name
                   reduce: bool | None = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``torch.nn.functional.smooth_l1_loss`` (see the module docstring)."""
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = _difference("smooth_l1_loss", input, target)
    z = d.abs()
    if beta == 0:  # the quadratic piece is empty (and would divide by zero)
        return reduce_loss(z, reduction)
    return reduce_loss(ew.where(z < beta, d * d * (0.5 / beta), z - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight: Tensor | None = None) -> Tensor:
    """``torch.nn.functional.huber_loss`` (see the module docstring); ``weight`` (input's shape) scales ℓ."""
    reduction = _reduction("huber_loss", reduction, None, None)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = _difference("huber_loss", input, target)
    z = d.abs()
    loss = ew.where(z < delta, d * d * 0.5, (z - 0.5 * delta) * delta)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return reduce_loss(loss, reduction)
