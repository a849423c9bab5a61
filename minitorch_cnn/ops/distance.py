"""Distances between vectors: ``pairwise_distance``, ``cosine_similarity``, ``cdist`` and ``triplet_margin_loss``.

For vectors x1, x2 along the last (or the given) axis, as torch computes them::

    pairwise_distance(x1, x2) = ‖x1 - x2 + eps‖_p                      (eps = 1e-6 keeps the p-norm's
                                                                         gradient finite where x1 = x2)
    cosine_similarity(x1, x2) = Σ (x1 / max(‖x1‖, eps)) · (x2 / max(‖x2‖, eps))    (eps = 1e-8)
    cdist(x1, x2)[..., i, j]  = ‖x1[..., i, :] - x2[..., j, :]‖_p      x1 (*, P, M), x2 (*, R, M) -> (*, P, R)
    triplet_margin_loss       = max(0, margin + d(a, pos) - d(a, neg)), d = pairwise_distance
                                (swap: d(a, neg) replaced by min(d(a, neg), d(pos, neg)))

Backward: the p-norm's, ∂‖d‖_p/∂d = sign(d)·|d|^(p-1) / ‖d‖_p^(p-1) (0 where ‖d‖ = 0), chained by autograd through
the differentiable elementwise and reduction ops. In cosine_similarity the clamp to eps is applied to the norm's
value only: the gradient flows through ‖x‖ as if unclamped, as torch clamps the norms in place under no_grad.
"""

from __future__ import annotations

from ..autograd import Tensor
from .elementwise import clamp, minimum
from .loss import _check_tensors, _reduction
from .reduction import norm


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """‖x1 - x2 + eps‖_p over the last axis of the broadcast inputs: (*, D) -> (*) (or (*, 1) with keepdim)."""
    _check_tensors("pairwise_distance", x1, x2)
    return norm(x1 - x2 + eps, p, dim=-1, keepdim=keepdim)


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    n = norm(x, 2, dim=dim, keepdim=True)
    floor = n.detach()
    return n + (clamp(floor, min=eps) - floor)  # value max(‖x‖, eps), gradient that of ‖x‖


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along ``dim`` of their broadcast shape; that axis is reduced."""
    _check_tensors("cosine_similarity", x1, x2)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Every row of x1 (*, P, M) against every row of x2 (*, R, M): (*, P, R) p-norm distances. ``compute_mode``
    is accepted for torch's signature; the differences are always formed directly (torch's exact mode)."""
    _check_tensors("cdist", x1, x2)
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    return norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Anchors (N, D) or (D,), each with a positive and a negative of the same shape -> the hinge above, reduced."""
    _check_tensors("triplet_margin_loss", anchor, positive)
    _check_tensors("triplet_margin_loss", anchor, negative)
    reduction = _reduction("triplet_margin_loss", reduction, size_average, reduce)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = clamp(margin + d_pos - d_neg, min=0)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()
