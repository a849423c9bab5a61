"""Losses: cross_entropy (fused with log-softmax), nll_loss, mse_loss, with torch's formulas.

Class-index losses take input (N, C) or (N, C, d1, ...) and target (N,) or (N, d1, ...); an unbatched
(C,) input with a 0-d target is allowed, as in torch. ``reduction`` is 'none' (one loss per element),
'sum', or 'mean': for class indices Σ w_t ℓ / Σ w_t over the elements that are not ``ignore_index``
(a plain count without ``weight``), for class probabilities Σ ℓ / (number of elements).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..autograd.function import FusedStep
from ._util import binary_operands, cast, check_same_device, sum_to, unbroadcast
from .softmax import LogSoftmax, Softmax

_REDUCTIONS = ("none", "mean", "sum")


def _log_softmax(x: Any) -> Any:
    """log softmax over the class axis (1), stable: the max is subtracted first."""
    xp = backend.array_module(x)
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))


def _reduce(per: Any, reduction: str, denom: Any) -> Any:
    """per: (N, *) element losses -> the reduced loss ('mean' divides the sum by ``denom``)."""
    if reduction == "none":
        return per
    total = per.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):  # all targets ignored: 0/0 = nan, as torch
        return total / denom


def _upstream(g: Any, reduction: str, denom: Any) -> Any:
    """The gradient reaching each element loss: g itself ('none'), or the scalar g (/ denom for 'mean').

    When every target is ignored the 'mean' loss is 0/0 = nan but its gradient is zero, as torch's.
    """
    if reduction == "mean":
        return g / denom if denom != 0 else g * 0
    return g


def _upstream_graph(g: Tensor, reduction: str, denom: Any) -> Any:
    """``_upstream`` in differentiable ops, shaped to broadcast against (N, C, *)."""
    if reduction == "none":
        return g.unsqueeze(1)
    if reduction == "mean":
        return g / float(denom) if denom != 0 else g * 0
    return g


def _pick(a: Any, t: Any) -> Any:
    """a[n, t[n, *], *]: a (N, C, *), t (N, *) -> (N, *)."""
    xp = backend.array_module(a)
    return xp.take_along_axis(a, t[:, None], axis=1)[:, 0]


class CrossEntropyIndex(Function):
    """Cross-entropy of logits x (N, C, *) against class indices t (N, *), smoothing ε, weights w (C,).

    ℓ = (1-ε) w_t (-log p_t) + (ε/C) Σ_c w_c (-log p_c)  (w ≡ 1 without weights), 0 where t is ignored.
    """

    fresh_grads = True  # backward allocates every array it returns

    @property
    def next_functions(self) -> tuple:
        """torch's cross_entropy is nll_loss(log_softmax(x)): the log_softmax this node does inside is shown."""
        x = self.inputs[0]
        return ((FusedStep("LogSoftmaxBackward0", x), 0) if x.requires_grad else (None, 0),)

    def forward(self, x: Any, target: Any, weight: Any, ignore_index: int, eps: float, reduction: str) -> Any:
        xp = backend.array_module(x)
        dt = x.dtype.type
        c = x.shape[1]
        keep = target != ignore_index
        t = xp.where(keep, target, 0)
        logp = _log_softmax(x)
        w_t = keep.astype(x.dtype) if weight is None else weight.astype(x.dtype)[t] * keep
        w_c = None if weight is None else weight.astype(x.dtype).reshape((1, c) + (1,) * (x.ndim - 2))
        per = -dt(1 - eps) * w_t * _pick(logp, t)
        if eps > 0:
            smooth = logp.sum(axis=1) if w_c is None else (logp * w_c).sum(axis=1)
            per = per - dt(eps / c) * keep * smooth
        self.denom = w_t.sum() if reduction == "mean" else None
        self.x, self.logp, self.t, self.w_t, self.keep, self.w_c = x, logp, t, w_t, keep, w_c
        self.eps, self.reduction = eps, reduction
        return _reduce(per, reduction, self.denom)

    def backward(self, g: Any) -> tuple:
        # ∂ℓ/∂x_c = p_c (Σ_k a_k) - a_c  with a_c = (1-ε) w_t [c = t] + (ε/C) w_c, the loss's weight on -log p_c
        xp = backend.array_module(g)
        dt = g.dtype.type
        logp, t, w_t, eps = self.logp, self.t, self.w_t, self.eps
        c = logp.shape[1]
        g_el = _upstream(g, self.reduction, self.denom)
        a_sum = dt(1 - eps) * w_t
        if eps > 0:
            total_w = dt(c) if self.w_c is None else self.w_c.sum()
            a_sum = a_sum + dt(eps / c) * total_w * self.keep
        gx = xp.exp(logp) * a_sum[:, None]
        xp.put_along_axis(gx, t[:, None], _pick(gx, t)[:, None] - (dt(1 - eps) * w_t)[:, None], axis=1)
        if eps > 0:
            gx -= dt(eps / c) * (1 if self.w_c is None else self.w_c) * self.keep[:, None]
        gx *= g_el if self.reduction != "none" else g_el[:, None]
        return gx, None, None

    def backward_graph(self, g: Tensor) -> tuple:
        # the same ∂ℓ/∂x_c = p_c Σ_k a_k - a_c with p = softmax(x) in the graph and a (the weights) constant
        xp = backend.array_module(self.logp)
        dt = self.logp.dtype.type
        c, eps = self.logp.shape[1], self.eps
        a = xp.zeros(self.logp.shape, dtype=self.logp.dtype)
        xp.put_along_axis(a, self.t[:, None], (dt(1 - eps) * self.w_t)[:, None], axis=1)
        if eps > 0:
            a += dt(eps / c) * (1 if self.w_c is None else self.w_c) * self.keep[:, None]
        p = Softmax.apply(self.input_tensor(0, self.x), 1)
        return (p * a.sum(axis=1, keepdims=True) - a) * _upstream_graph(g, self.reduction, self.denom), None, None


class CrossEntropyProb(Function):
    """Cross-entropy of logits x (N, C, *) against class probabilities q (N, C, *).

    ℓ = -Σ_c a_c log p_c,  a = (q (1-ε) + ε/C) · w  (w ≡ 1 without weights).
    """

    def forward(self, x: Any, q: Any, weight: Any, eps: float, reduction: str) -> Any:
        dt = x.dtype.type
        c = x.shape[1]
        logp = _log_softmax(x)
        self.q_dtype, self.x, self.q = q.dtype, x, q
        q = q.astype(x.dtype, copy=False)
        w = 1 if weight is None else weight.astype(x.dtype).reshape((1, c) + (1,) * (x.ndim - 2))
        a = (q * dt(1 - eps) + dt(eps / c) if eps > 0 else q) * w
        self.denom = x.size // c if reduction == "mean" else None
        self.logp, self.a, self.w, self.eps, self.reduction = logp, a, w, eps, reduction
        return _reduce(-(a * logp).sum(axis=1), reduction, self.denom)

    def backward(self, g: Any) -> tuple:
        # ∂ℓ/∂x_c = p_c Σ_k a_k - a_c;   ∂ℓ/∂q_c = -(1-ε) w_c log p_c
        xp = backend.array_module(g)
        g_el = _upstream(g, self.reduction, self.denom)
        g_el = g_el if self.reduction != "none" else g_el[:, None]
        need_x, need_q = self.needs_input_grad[:2]
        gx = (xp.exp(self.logp) * self.a.sum(axis=1, keepdims=True) - self.a) * g_el if need_x else None
        gq = (-g.dtype.type(1 - self.eps) * self.w * self.logp * g_el).astype(self.q_dtype) if need_q else None
        return gx, gq, None

    def backward_graph(self, g: Tensor) -> tuple:
        need_x, need_q = self.needs_input_grad[:2]
        x = self.input_tensor(0, self.x)
        q = cast(self.input_tensor(1, self.q), x.dtype)
        a = (q * (1 - self.eps) + self.eps / x.shape[1] if self.eps > 0 else q) * self.w
        g_el = _upstream_graph(g, self.reduction, self.denom)
        gx = (Softmax.apply(x, 1) * a.sum(dim=1, keepdim=True) - a) * g_el if need_x else None
        gq = cast(-(1 - self.eps) * self.w * LogSoftmax.apply(x, 1) * g_el, self.q_dtype) if need_q else None
        return gx, gq, None


class NllLoss(Function):
    """Negative log-likelihood of log-probabilities (N, C, *) at class indices (N, *): ℓ = -w_t logp_t."""

    fresh_grads = True  # backward allocates every array it returns

    def forward(self, logp: Any, target: Any, weight: Any, ignore_index: int, reduction: str) -> Any:
        xp = backend.array_module(logp)
        keep = target != ignore_index
        t = xp.where(keep, target, 0)
        w_t = keep.astype(logp.dtype) if weight is None else weight.astype(logp.dtype)[t] * keep
        self.denom = w_t.sum() if reduction == "mean" else None
        self.shape, self.t, self.w_t, self.reduction = logp.shape, t, w_t, reduction
        return _reduce(-w_t * _pick(logp, t), reduction, self.denom)

    def backward(self, g: Any) -> tuple:
        # ∂ℓ/∂logp_c = -w_t [c = t]
        xp = backend.array_module(g)
        g_el = _upstream(g, self.reduction, self.denom)
        gx = xp.zeros(self.shape, dtype=g.dtype)
        xp.put_along_axis(gx, self.t[:, None], (-self.w_t * g_el)[:, None], axis=1)
        return gx, None, None

    def backward_graph(self, g: Tensor) -> tuple:
        xp = backend.array_module(self.w_t)
        picked = xp.zeros(self.shape, dtype=self.w_t.dtype)  # ∂ℓ/∂logp per unit upstream: a constant
        xp.put_along_axis(picked, self.t[:, None], -self.w_t[:, None], axis=1)
        return picked * _upstream_graph(g, self.reduction, self.denom), None, None


class MseLoss(Function):
    # ℓ = (x - y)² (x, y broadcast);  ∂ℓ/∂x = 2 (x - y) = -∂ℓ/∂y
    def forward(self, x: Any, y: Any, reduction: str) -> Any:
        self.x, self.y, self.diff = x, y, x - y
        self.shapes, self.reduction = (x.shape, y.shape), reduction
        sq = self.diff * self.diff
        return _reduce(sq, reduction, x.dtype.type(sq.size))

    def backward(self, g: Any) -> tuple:
        sx, sy = self.shapes
        need_x, need_y = self.needs_input_grad[:2]
        g_el = g / g.dtype.type(self.diff.size) if self.reduction == "mean" else g
        gd = g.dtype.type(2) * self.diff * g_el
        return (unbroadcast(gd, sx) if need_x else None), (unbroadcast(-gd, sy) if need_y else None)

    def backward_graph(self, g: Tensor) -> tuple:
        sx, sy = self.shapes
        need_x, need_y = self.needs_input_grad[:2]
        g_el = g / self.diff.size if self.reduction == "mean" else g
        gd = 2 * (self.input_tensor(0, self.x) - self.input_tensor(1, self.y)) * g_el
        return (sum_to(gd, sx) if need_x else None), (sum_to(-gd, sy) if need_y else None)


# ---- argument checks shared by the public functions ----------------------------------------
def _reduction(op: str, reduction: str, size_average: bool | None, reduce: bool | None) -> str:
    """torch's legacy size_average/reduce pair, or ``reduction`` checked."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        legacy = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{legacy}' instead.",
                      stacklevel=3)
        return legacy
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction='{reduction}' is not valid: expected 'none', 'mean' or 'sum'")
    return reduction


def _check_tensors(op: str, input: Any, target: Any) -> None:  # noqa: A002
    """torch takes Tensors only (a list or an ndarray target is a TypeError naming the argument)."""
    for name, value in (("input", input), ("target", target)):
        if not isinstance(value, Tensor):
            kind = type(value)
            what = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {what}")


def _check_input(op: str, input: Tensor, weight: Tensor | None) -> int:  # noqa: A002
    if input.ndim < 1 or input.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected floating input (N, C) or (N, C, d1, ...), got {input.dtype} "
                           f"of shape {tuple(input.shape)}")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if c == 0:  # torch returns nan or fails inside its kernel; there is no class to score
        raise RuntimeError(f"{op}: input {tuple(input.shape)} has no classes: expected C >= 1 in (N, C, ...)")
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    return c


def _check_index_target(op: str, input: Tensor, target: Tensor, c: int, ignore_index: int) -> None:  # noqa: A002
    """target (N, d1, ...) of class indices in [0, C) or ignore_index; checked before any work."""
    if target.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{op}: expected a class-index target of dtype int64 (torch's Long) or uint8 (Byte), "
                           f"got {target.dtype}")
    if target.ndim != input.ndim - 1:
        raise RuntimeError(f"{op}: input {tuple(input.shape)} needs a target of shape "
                           f"{tuple(input.shape[:1] + input.shape[2:])}, got {tuple(target.shape)}")
    if target.shape[:1] != input.shape[:1]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if target.shape[1:] != input.shape[2:]:
        raise RuntimeError(f"{op}: expected target size {tuple(input.shape[:1] + input.shape[2:])}, "
                           f"got {tuple(target.shape)}")
    t = target._data
    bad = ((t < 0) | (t >= c)) & (t != ignore_index)
    if bool(bad.any()):
        label = int(t[bad].reshape(-1)[0])
        raise IndexError(f"{op}: target {label} is out of bounds for {c} classes "
                         f"(expected 0 <= target < {c}, or ignore_index={ignore_index})")


def _batched(input: Tensor, target: Tensor, probs: bool) -> tuple[Tensor, Tensor, bool]:  # noqa: A002
    """An unbatched (C,) input with its target, lifted to a batch of one."""
    if input.ndim != 1:
        return input, target, False
    if not probs and target.ndim != 0:
        raise RuntimeError(f"an unbatched input {tuple(input.shape)} needs a 0-d class-index target, "
                           f"got shape {tuple(target.shape)}")
    return input.reshape(1, -1), (target.reshape(1, -1) if probs else target.reshape(1)), True


# ---- public functions ----------------------------------------------------------------------
def cross_entropy(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits input (N, C, *) with class indices (N, *) or class probabilities (N, C, *).

    torch's formulas, including weighted mean = Σ w_t ℓ / Σ w_t, label smoothing
    ℓ = (1-ε) ℓ_nll + (ε/C) Σ_c w_c (-log p_c) normalised like the nll part, and ``ignore_index``.
    """
    _check_tensors("cross_entropy", input, target)
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
    check_same_device("cross_entropy", ("input", input), ("target", target), ("weight", weight))
    c = _check_input("cross_entropy", input, weight)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    probs = target.dtype.kind == "f"
    if probs and tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"cross_entropy: class-probability target must have the input's shape "
                           f"{tuple(input.shape)}, got {tuple(target.shape)}")
    x, t, unbatched = _batched(input, target, probs)
    w = None if weight is None else weight._data
    if probs:
        out = CrossEntropyProb.apply(x, t, w, float(label_smoothing), reduction)
    else:
        _check_index_target("cross_entropy", x, t, c, ignore_index)
        out = CrossEntropyIndex.apply(x, t._data, w, ignore_index, float(label_smoothing), reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out


def nll_loss(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities input (N, C, *) at class indices target (N, *)."""
    _check_tensors("nll_loss", input, target)
    reduction = _reduction("nll_loss", reduction, size_average, reduce)
    check_same_device("nll_loss", ("input", input), ("target", target), ("weight", weight))
    c = _check_input("nll_loss", input, weight)
    x, t, unbatched = _batched(input, target, False)
    _check_index_target("nll_loss", x, t, c, ignore_index)
    out = NllLoss.apply(x, t._data, None if weight is None else weight._data, ignore_index, reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out


def mse_loss(
    input: Tensor,  # noqa: A002 - torch's name
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error (x - y)², x and y broadcast; with ``weight`` (input's shape) Σ w ℓ / Σ w for 'mean'."""
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    x, y = binary_operands(input, target)
    if weight is None:
        return MseLoss.apply(x, y, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    weighted = (x - y) ** 2 * weight
    if reduction == "none":
        return weighted
    return weighted.sum() if reduction == "sum" else weighted.sum() / weight.sum()
