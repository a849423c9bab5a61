"""The margin (hinge) losses and l1, composed of differentiable ops (every order of derivative where the pieces
are smooth), as torch's kernels; [z]₊ = max(z, 0) passes gradient where z > 0:

    l1(x, y)                       ℓ = |x - y|                                  dℓ/dx = sign(x - y)
    margin_ranking(x₁, x₂, y; m)   ℓ = [-y (x₁ - x₂) + m]₊                      dℓ/dx₁ = -y, dℓ/dx₂ = y (where > 0)
    hinge_embedding(x, y; m)       ℓ = x (y = 1), [m - x]₊ (y = -1)             (y ∉ {1, -1}: both terms add)
    soft_margin(x, y)              ℓ = log(1 + e^{-y x})                        dℓ/dx = -y σ(-y x)
    multi_margin(x, c; p, m, w)    ℓ_n = Σ_{i≠c} w_c [m - x_c + x_i]₊^p / C     (x: (N, C), c: (N,) class indices)
    multilabel_margin(x, Y)        ℓ_n = Σ_{j ∈ Y} Σ_{i ∉ Y} [1 - x_j + x_i]₊ / C   (Y: the indices of a row of the
                                   (N, C) target before its first -1)
    triplet_margin_with_distance(a, p, n; d, m)   ℓ = [m + d(a, p) - d(a, n)]₊  (swap: d(a, n) ← min(d(a, n), d(p, n)))

reduction: 'none', 'sum', or 'mean' (over elements; over samples N for multi_margin and multilabel_margin).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd import Tensor
from . import elementwise as ew
from .distance import pairwise_distance
from .gather import gather
from .loss import _reduction
from .robust_loss import _difference, reduce_loss
from .softplus import softplus


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002 - torch's name
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.l1_loss``: mean (sum, or each) of |input - target| (broadcast, with torch's warning)."""
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    return reduce_loss(_difference("l1_loss", input, target).abs(), reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.margin_ranking_loss``: [-y (x₁ - x₂) + margin]₊, the three inputs broadcast."""
    reduction = _reduction("margin_ranking_loss", reduction, size_average, reduce)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    return reduce_loss(ew.clamp(-target * (input1 - input2) + margin, 0.0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,  # noqa: A002 - torch's name
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.hinge_embedding_loss``: x where y = 1, [margin - x]₊ where y = -1 (broadcast)."""
    reduction = _reduction("hinge_embedding_loss", reduction, size_average, reduce)
    margin_part = ew.where(target != 1, ew.clamp(margin - input, 0.0), 0.0)
    self_part = ew.where(target != -1, input, 0.0)
    return reduce_loss(margin_part + self_part, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.soft_margin_loss``: log(1 + e^{-y x}) (broadcast)."""
    reduction = _reduction("soft_margin_loss", reduction, size_average, reduce)
    if target.requires_grad:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect to argument 'target'. "
                           "This input cannot have requires_grad True.")
    # softplus with no linear cut-off: log(1 + e^z) evaluated stably (torch's log1p(exp(z)) overflows past z ≈ 709)
    return reduce_loss(softplus(-input * target, 1.0, math.inf), reduction)


def _size(t: Tensor) -> str:
    return f"torch.Size([{', '.join(str(s) for s in t.shape)}])"


_TORCH_TYPE = {"float32": "Float", "float64": "Double", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool", "float16": "Half"}


def _as_batch(input: Tensor, target: Tensor, target_shape: tuple) -> tuple[Tensor, Any]:  # noqa: A002
    """(N, C) input and the target's array for a (C,) or (N, C) input (a 1-d input is one sample); the target must
    hold int64 class indices, as torch's."""
    if target.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {_TORCH_TYPE.get(target.dtype.name, target.dtype)}")
    if input.ndim > 2 or input.ndim == 0 or input.shape[-1] == 0:
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    if tuple(target.shape) != target_shape:
        return input, None
    x = input if input.ndim == 2 else input.reshape(1, -1)
    return x, target._data.reshape(x.shape[0], -1)


def _reduce_samples(per: Tensor, reduction: str, shape: tuple) -> Tensor:
    """per: (N,) sample losses -> ``shape`` (the target's batch shape) for 'none', else the sum or mean."""
    return per.reshape(shape) if reduction == "none" else reduce_loss(per, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,  # noqa: A002
                      weight: Tensor | None = None, size_average: bool | None = None, reduce: bool | None = None,
                      reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.multi_margin_loss``: input (N, C) or (C,), target (N,) or () class indices."""
    reduction = _reduction("multi_margin_loss", reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    batch = tuple(input.shape[:-1])
    x, y = _as_batch(input, target, batch)
    if y is None:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch "
            f"size). Expected target size {list(batch)}, but got {list(target.shape)}. Input has shape "
            f"{list(input.shape)}.")
    c = x.shape[1]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(weight.shape)}")
    xp = backend.array_module(x._data)
    y = y.reshape(-1)
    if y.size and (int(y.min()) < 0 or int(y.max()) >= c):
        raise RuntimeError("target out of range")
    is_target = Tensor._wrap(y[:, None] == xp.arange(c)[None, :])  # (N, C)
    x_target = gather(x, 1, Tensor._wrap(y[:, None]))  # (N, 1)
    hinge = ew.clamp(margin - x_target + x, 0.0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * Tensor._wrap(weight.detach()._data[y][:, None])
    per = ew.where(is_target, 0.0, hinge).sum(dim=1) / c
    return _reduce_samples(per, reduction, tuple(target.shape))


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.multilabel_margin_loss``: input (N, C) or (C,); target of its shape, int64 class
    indices per row, ended by the first -1."""
    reduction = _reduction("multilabel_margin_loss", reduction, size_average, reduce)
    x, y = _as_batch(input, target, tuple(input.shape))
    if y is None:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    c = x.shape[1]
    xp = backend.array_module(x._data)
    if y.size and (int(y.min()) < -1 or int(y.max()) >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    listed = xp.cumprod(y >= 0, axis=1).astype(bool)  # (N, C): the entries before the first -1
    index = xp.where(listed, y, 0)
    is_target = (listed[:, :, None] & (index[:, :, None] == xp.arange(c))).any(axis=1)  # (N, C)
    x_listed = gather(x, 1, Tensor._wrap(index))  # (N, C): x_j for the j-th listed class
    pairs = ew.clamp(1.0 - x_listed.unsqueeze(2) + x.unsqueeze(1), 0.0)  # (N, j, i)
    mask = Tensor._wrap(listed[:, :, None] & ~is_target[:, None, :])
    per = ew.where(mask, pairs, 0.0).sum(dim=(1, 2)) / c
    return _reduce_samples(per, reduction, tuple(input.shape[:-1]))


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.triplet_margin_with_distance_loss`` (``distance_function`` defaults to
    ``pairwise_distance``)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos, dist_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        dist_neg = ew.minimum(dist_neg, distance(positive, negative))
    return reduce_loss(ew.clamp(margin + dist_pos - dist_neg, 0.0), reduction)
