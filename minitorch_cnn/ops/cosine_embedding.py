"""``cosine_embedding_loss``: pulls pairs together (y = 1) or pushes them apart (y = -1) by their cosine.

For rows x1, x2 (D,) of the inputs (N, D) (or single vectors (D,) with a 0-d target), as torch computes it::

    cos = Σ x1·x2 / sqrt((Σ x1² + 1e-12)·(Σ x2² + 1e-12))
    ℓ = 1 - cos                  where y = 1
    ℓ = max(0, cos - margin)     where y = -1
    ℓ = 0                        for any other y

then reduced ('mean', 'sum' or 'none'). The 1e-12 keeps a zero vector's cosine 0 rather than NaN. Built from the
differentiable elementwise and reduction ops, so autograd derives the backward (and differentiates it again).
"""

from __future__ import annotations

from ..autograd import Tensor
from .elementwise import clamp, where
from .loss import _check_tensors, _reduction

_EPSILON = 1e-12


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``F.cosine_embedding_loss``: inputs (N, D) with target (N,) of 1/-1, or inputs (D,) with a 0-d target."""
    _check_tensors("cosine_embedding_loss", input1, input2)
    _check_tensors("cosine_embedding_loss", input1, target)
    reduction = _reduction("cosine_embedding_loss", reduction, size_average, reduce)
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    sizes = f"{list(input1.shape)} and {list(input2.shape)}"
    if target.ndim == 1 and (input1.ndim != 2 or input2.ndim != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes {sizes}.")
    if target.ndim == 0 and (input1.ndim != 1 or input2.ndim != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes {sizes}.")
    dim = target.ndim
    prod_sum = (input1 * input2).sum(dim)
    mag_square1 = (input1 * input1).sum(dim) + _EPSILON
    mag_square2 = (input2 * input2).sum(dim) + _EPSILON
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp(cos - margin, min=0), 0.0)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()
