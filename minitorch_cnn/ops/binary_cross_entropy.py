"""Binary cross-entropy: ``binary_cross_entropy`` (of probabilities) and ``binary_cross_entropy_with_logits``.

Of probabilities x in [0, 1] with targets t and optional element weights w, torch's clamped form:

    forward:   ℓ = -w · (t · max(log x, -100) + (1 - t) · max(log(1 - x), -100))
    backward:  ∂ℓ/∂x = w · (x - t) / max(x (1 - x), ε),  ε = float32(1e-12) as torch's
               ∂ℓ/∂t = w · (log(1 - x) - log x)

(the clamps keep the loss and ∂ℓ/∂x of a saturated probability, exactly 0 or 1 as a float32 sigmoid gives,
finite; ∂ℓ/∂t is unclamped in torch, ±inf there, and so it is here).

Of logits x, with p = pos_weight (per class, broadcast along the last axis) weighting the positive term:

    ℓ = w · ((1 - t) · x + (1 + (p - 1) · t) · (m + log(e^{-m} + e^{-x-m}))),  m = max(-x, 0)

= w · (-(p t log σ(x) + (1 - t) log(1 - σ(x)))) computed without overflow; written as a composition of the
differentiable elementwise ops, so its gradients (in x and t) are what autograd derives; w and p take none,
as in torch.
Reductions: 'none', 'sum', 'mean' (over every element).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor, is_grad_enabled
from .elementwise import where
from .loss import _reduce, _reduction

# torch's clamp of x(1 - x) in the gradient is the float32 constant 1e-12f, also in float64
_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """ℓ of probabilities, reduced (see the module docstring); w may be None and broadcasts against x."""

    def forward(self, x: Any, t: Any, w: Any, reduction: str) -> Any:
        xp = backend.array_module(x)
        with np.errstate(divide="ignore"):
            log_x, log_1mx = xp.maximum(xp.log(x), -100), xp.maximum(xp.log1p(-x), -100)
        per = -(t * log_x + (1 - t) * log_1mx)
        if w is not None:
            per = per * w
        self.x, self.t, self.w, self.reduction = x, t, w, reduction
        return _reduce(per, reduction, x.dtype.type(per.size)).astype(x.dtype, copy=False)

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        x, t, w = self.x, self.t, self.w
        if self.reduction == "mean":
            g = g / g.dtype.type(x.size)
        if w is not None:
            g = g * w
        dx = g * (x - t) / xp.maximum(x * (1 - x), x.dtype.type(_EPSILON)) if self.needs_input_grad[0] else None
        dt = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                dt = g * (xp.log(1 - x) - xp.log(x))
        return dx, dt, None

    def backward_graph(self, g: Tensor) -> tuple:
        # backward's formula in differentiable ops; where x(1-x) is clamped to ε the denominator is a constant
        x = self.input_tensor(0, self.x)
        if self.reduction == "mean":
            g = g / self.x.size
        if self.w is not None:
            g = g * self.w
        dx = dt = None
        if self.needs_input_grad[0]:
            unclamped = self.x * (1 - self.x) > _EPSILON
            dx = g * (x - self.input_tensor(1, self.t)) / where(unclamped, x * (1 - x), _EPSILON)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                dt = g * ((1 - x).log() - x.log())
        return dx, dt, None


def _check(op: str, input: Tensor, target: Tensor, weight: Tensor | None) -> None:  # noqa: A002
    if not isinstance(input, Tensor) or not isinstance(target, Tensor):
        raise TypeError(f"{op}: input and target must be Tensors, got {type(input).__name__} and "
                        f"{type(target).__name__}")
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")
    if input.dtype.kind != "f" or target.dtype != input.dtype:
        raise RuntimeError(f"{op}: input ({input.dtype}) and target ({target.dtype}) must share a floating dtype")
    if weight is not None:
        try:
            fits = np.broadcast_shapes(tuple(weight.shape), tuple(input.shape)) == tuple(input.shape)
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"{op}: weight {tuple(weight.shape)} does not broadcast to input {tuple(input.shape)}")


def _not_differentiable(op: str, **tensors: Tensor | None) -> None:
    """torch offers no gradient for the weights: one that asks for it is refused, as torch refuses it."""
    for name, t in tensors.items():
        if t is not None and t.requires_grad and is_grad_enabled():
            raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{name}'. "
                               "This input cannot have requires_grad True.")


def binary_cross_entropy(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``F.binary_cross_entropy``: probabilities ``input`` in [0, 1], ``target`` of its shape, ``weight``
    broadcasting against them (no gradient flows to it, as in torch)."""
    reduction = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    _check("binary_cross_entropy", input, target, weight)
    data = input._data
    if data.size and not bool(((data >= 0) & (data <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    _not_differentiable("binary_cross_entropy", weight=weight)
    w = None if weight is None else weight._data.astype(input.dtype, copy=False)
    return BinaryCrossEntropy.apply(input, target, w, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """``F.binary_cross_entropy_with_logits``: logits ``input``, ``target`` of its shape, ``weight`` broadcasting
    against them, ``pos_weight`` broadcasting along the last (class) axis."""
    reduction = _reduction("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    _check("binary_cross_entropy_with_logits", input, target, weight)
    if pos_weight is not None:
        try:
            fits = np.broadcast_shapes(tuple(pos_weight.shape), tuple(input.shape)) == tuple(input.shape)
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"binary_cross_entropy_with_logits: pos_weight {tuple(pos_weight.shape)} does not "
                               f"broadcast to input {tuple(input.shape)}")
    _not_differentiable("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    m = (-input).clamp(min=0)
    soft = m + ((-m).exp() + (-input - m).exp()).log()  # log(1 + e^{-x}), stable
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input + log_weight * soft
    if weight is not None:
        loss = loss * weight
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()
