"""Connectionist temporal classification loss (Graves et al. 2006), in log space as torch's CPU kernel.

For one sample: log-probabilities y (T, C), target l (L,), the extended target l' = (b, l₁, b, l₂, ..., l_L, b)
of S = 2L + 1 labels (b the blank). The forward variables α and backward variables β (both including y at their own
step, as torch's) are

    α₀(0) = y₀(b),  α₀(1) = y₀(l'₁);   α_t(s) = lse(α_{t-1}(s), α_{t-1}(s-1), [α_{t-1}(s-2)]) + y_t(l'_s)
    β_{T-1}(S-1) = y_{T-1}(b),  β_{T-1}(S-2) = y_{T-1}(l'_{S-2});
                                      β_t(s) = lse(β_{t+1}(s), β_{t+1}(s+1), [β_{t+1}(s+2)]) + y_t(l'_s)

(the bracketed skip only where l'_s is not blank and l'_s ≠ l'_{s-2}; lse = log Σ exp), and the loss is
nll = -lse(α_{T-1}(S-1), α_{T-1}(S-2)). torch's gradient with respect to the log-probabilities, the one kept here,
is the gradient of the logits behind a log_softmax (exact when y is one, as CTC expects):

    ∂/∂y_t(c) = e^{y_t(c)} - exp(lse_{s: l'_s = c}(α_t(s) + β_t(s)) + nll - y_t(c))     for t < T_n, else 0

times the sample's upstream gradient. ``zero_infinity`` turns an impossible alignment's infinite loss (and its
gradient) into zeros. Reduction 'mean' divides each loss by its target length (at least 1), then averages over the
batch; 'sum' adds; 'none' keeps (N,). A second derivative is not offered (torch's has none either).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import elementwise as ew


def _lse(*arrays: Any) -> Any:
    """log Σ exp over the given arrays, elementwise; -inf where all are -inf."""
    xp = backend.array_module(arrays[0])
    m = arrays[0]
    for a in arrays[1:]:
        m = xp.maximum(m, a)
    finite = xp.isfinite(m)
    safe = xp.where(finite, m, 0)
    total = sum(xp.exp(a - safe) for a in arrays)
    with np.errstate(divide="ignore"):
        return xp.where(finite, safe + xp.log(total), m)


def _shift(a: Any, k: int) -> Any:
    """a[..., s - k] along the last axis (-inf where s < k)."""
    xp = backend.array_module(a)
    out = xp.full(a.shape, -xp.inf, dtype=a.dtype)
    out[..., k:] = a[..., :a.shape[-1] - k]
    return out


def _unshift(a: Any, k: int) -> Any:
    """a[..., s + k] along the last axis (-inf past the end)."""
    xp = backend.array_module(a)
    out = xp.full(a.shape, -xp.inf, dtype=a.dtype)
    out[..., :a.shape[-1] - k] = a[..., k:]
    return out


class CtcLoss(Function):
    """log_probs (T, N, C) -> nll (N,); the labels, lengths and blank are constants of the node."""

    def forward(self, lp: Any, ext: Any, in_len: Any, ext_len: Any, zero_infinity: bool) -> Any:
        xp = backend.array_module(lp)
        t_max, n, _ = lp.shape
        s_max = ext.shape[1]
        batch = xp.arange(n)
        y = lp[:, batch[:, None], ext]  # (T, N, S): y_t(l'_s)
        skip = xp.zeros(ext.shape, dtype=bool)  # where α may come from s - 2 (ext[:, 0] is the blank)
        skip[:, 2:] = (ext[:, 2:] != ext[:, :1]) & (ext[:, 2:] != ext[:, :-2])
        skip_ahead = xp.zeros(ext.shape, dtype=bool)  # where β may come from s + 2
        skip_ahead[:, :-2] = skip[:, 2:]
        valid = xp.arange(s_max)[None, :] < ext_len[:, None]
        neg = lp.dtype.type(-np.inf)
        alpha = xp.full((t_max, n, s_max), neg, dtype=lp.dtype)
        alpha[0, :, 0] = y[0, :, 0]
        alpha[0, :, 1] = xp.where(ext_len > 1, y[0, :, 1], neg)
        for t in range(1, t_max):
            a = alpha[t - 1]
            alpha[t] = xp.where(valid, _lse(a, _shift(a, 1), xp.where(skip, _shift(a, 2), neg)) + y[t], neg)
        beta = xp.full((t_max, n, s_max), neg, dtype=lp.dtype)
        last = in_len - 1
        for t in range(t_max - 1, -1, -1):
            start = xp.full((n, s_max), neg, dtype=lp.dtype)
            start[batch, ext_len - 1] = y[t, batch, ext_len - 1]
            second = xp.maximum(ext_len - 2, 0)
            start[batch, second] = xp.where(ext_len > 1, y[t, batch, second], start[batch, second])
            if t + 1 < t_max:
                b = beta[t + 1]
                step = xp.where(valid, _lse(b, _unshift(b, 1), xp.where(skip_ahead, _unshift(b, 2), neg)) + y[t], neg)
            else:
                step = start
            beta[t] = xp.where((t == last)[:, None], start, xp.where((t < last)[:, None], step, neg))
        ends = alpha[xp.maximum(last, 0), batch]  # (N, S): α at each sample's last step
        nll = -_lse(ends[batch, ext_len - 1], xp.where(ext_len > 1, ends[batch, xp.maximum(ext_len - 2, 0)], neg))
        # no steps at all: the empty target has probability 1, any other 0
        nll = xp.where(in_len == 0, xp.where(ext_len == 1, lp.dtype.type(0), lp.dtype.type(np.inf)), nll)
        self.alpha, self.beta, self.nll, self.lp, self.ext, self.in_len = alpha, beta, nll, lp, ext, in_len
        self.zeroed = xp.isinf(nll) & zero_infinity
        return xp.where(self.zeroed, lp.dtype.type(0), nll)

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        lp, ext = self.lp, self.ext
        t_max, n, c = lp.shape
        lcab = self.alpha + self.beta  # (T, N, S)
        m = lcab.max(axis=2, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        acc = xp.zeros((t_max, n, c), dtype=lp.dtype)
        index = tuple(xp.broadcast_to(i, lcab.shape) for i in (
            xp.arange(t_max)[:, None, None], xp.arange(n)[None, :, None], ext[None, :, :]))
        backend.scatter_add(acc, index, xp.exp(lcab - m))
        with np.errstate(divide="ignore", invalid="ignore"):  # an impossible sample's inf - inf: masked below
            res = xp.log(acc) + m
            grad = xp.exp(lp) - xp.exp(res + self.nll[None, :, None] - lp)
        active = (xp.arange(t_max)[:, None] < self.in_len[None, :]) & ~self.zeroed[None, :]
        return xp.where(active[:, :, None], grad * g[None, :, None], lp.dtype.type(0))


def _lengths(v: Any) -> np.ndarray:
    arr = v.detach().cpu().numpy() if isinstance(v, Tensor) else np.asarray(v)
    return arr.astype(np.int64).reshape(-1)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """``torch.nn.functional.ctc_loss``: log_probs (T, N, C) or (T, C), targets (N, S) padded or the targets
    concatenated (sum(target_lengths),) (or (S,) unbatched), input_lengths and target_lengths (N,) (tensors or
    sequences; numbers when unbatched)."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, n, c = lp.shape
    in_len, tg_len = _lengths(input_lengths), _lengths(target_lengths)
    if in_len.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tg_len.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    for name, lengths in (("input_lengths", in_len), ("target_lengths", tg_len)):
        if lengths.size and lengths.min() < 0:
            raise RuntimeError(f"Expected {name} to have value at least 0, but got value {int(lengths.min())} "
                               "(while checking arguments for ctc_loss_allocate_outputs)")
    if in_len.size and in_len.max() > t_max:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {int(in_len.max())} "
                           "(while checking arguments for ctc_loss_allocate_outputs)")
    tg = targets.detach().cpu().numpy().astype(np.int64)
    if unbatched:
        tg = tg.reshape(1, -1)
    if tg.ndim == 1:  # concatenated: cut by the lengths
        starts = np.concatenate([[0], np.cumsum(tg_len)[:-1]])
        rows = [tg[s:s + k] for s, k in zip(starts, tg_len)]
    else:
        if tg_len.size and tg_len.max() > tg.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {int(tg_len.max())} at dimension 1, but got "
                               f"size {tg.shape[1]} for argument #2 'targets' (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
        rows = [tg[i, :k] for i, k in enumerate(tg_len)]
    ext_len = 2 * tg_len + 1
    ext = np.full((n, max(int(ext_len.max(initial=1)), 2)), blank, dtype=np.int64)  # room for α₀(1)
    for i, row in enumerate(rows):
        ext[i, 1:2 * len(row):2] = row
    xp = backend.array_module(lp._data)
    move = (lambda a: backend.move_to(a, lp.device)) if xp is not np else (lambda a: a)
    nll = CtcLoss.apply(lp, move(ext), move(in_len), move(ext_len), zero_infinity)
    if reduction == "none":
        return nll.squeeze(0) if unbatched else nll
    if reduction == "sum":
        return nll.sum()
    denom = Tensor._wrap(move(np.maximum(tg_len, 1).astype(lp._data.dtype)))
    return ew.div(nll, denom).mean()
