"""The multi-label soft margin loss: a logistic loss per class, averaged over the classes (the last dim):

    ℓ_n = -(1/C) Σ_c w_c (t_nc log σ(x_nc) + (1 - t_nc) log σ(-x_nc))
    dℓ_n/dx_nc = (w_c / C) (σ(x_nc) - t_nc)

input and target (N, C) (or (C,)), weight broadcast against them; composed of ``logsigmoid`` (differentiable to
every order). reduction: 'none' ((N,)), 'sum', or 'mean' over N.
"""

from __future__ import annotations

from ..autograd import Tensor
from .loss import _reduction
from .robust_loss import reduce_loss
from .softplus import logsigmoid


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """``torch.nn.functional.multilabel_soft_margin_loss`` (see the module docstring)."""
    reduction = _reduction("multilabel_soft_margin_loss", reduction, size_average, reduce)
    if input.ndim == 0:
        raise RuntimeError("multilabel_soft_margin_loss: expected input (N, C) or (C,), got a 0-d tensor")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(dim=input.ndim - 1) / input.shape[-1]
    return reduce_loss(loss, reduction)
