"""``kl_div``: the Kullback-Leibler divergence of a target distribution from log-probabilities, as torch's.

With x the input (log-probabilities) and t the target (probabilities, or log-probabilities when ``log_target``),
element by element::

    forward:   ℓ = t·(log t - x)           (t·log t taken as 0 where t = 0, torch's xlogy)
               ℓ = exp(t)·(t - x)          (log_target)
    backward:  dℓ/dx = -t                  |  -exp(t)
               dℓ/dt = log t + 1 - x       |  exp(t)·(t - x + 1)

Reductions: 'none' (x and t broadcast), 'sum', 'batchmean' (the sum over x.size(0): the divergence per sample,
the mathematical KL) and 'mean' (over every element, with torch's warning that this is not the KL). Built from
the differentiable elementwise ops, so autograd derives the backward above and differentiates it again. Where
t = 0 the gradient in t is 0 here (t·log t is continued by 0 there); torch's xlogy gives NaN for it.
"""

from __future__ import annotations

import warnings

from ..autograd import Tensor
from .elementwise import exp, log, where
from .loss import _check_tensors, _reduction

_KL_REDUCTIONS = ("none", "batchmean", "sum", "mean")


def kl_div(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """``F.kl_div(input, target)``: input log-probabilities and target of broadcastable shapes."""
    _check_tensors("kl_div", input, target)
    if size_average is not None or reduce is not None:
        reduction = _reduction("kl_div", "mean", size_average, reduce)
    if reduction not in _KL_REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    if log_target:
        pointwise = exp(target) * (target - input)
    else:
        positive = target > 0
        # log of 1 where t = 0 keeps the log's gradient finite; the product is 0 there either way
        pointwise = target * log(where(positive, target, 1.0)) - target * input
    if reduction == "none":
        return pointwise
    if reduction == "sum":
        return pointwise.sum()
    if reduction == "batchmean":
        return pointwise.sum() / (input.shape[0] if input.ndim else 1)
    return pointwise.mean()
