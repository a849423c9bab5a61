"""Categorical(probs | logits): one of K classes (the last dimension), batch_shape the rest.

Given probs, they are normalised (p / Σp) and logits = log clamp(p, eps, 1 - eps); given logits, they are
normalised (logits - logsumexp) and p = softmax(logits) (torch's conventions, so log_prob matches it).

    log p(k) = logits[k]
    entropy  = -Σ_k p_k logits_k        (logits clamped at the dtype's lowest finite value, so 0 · -inf = 0)
    sample   : the first k with u < Σ_{j<=k} p_j, u ~ U[0, 1) (inverse CDF; not differentiable)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Size, Tensor
from ..backend.finfo import finfo
from ..ops.factories import arange, full, rand
from ..ops.softmax import log_softmax, softmax
from . import constraints
from .distribution import Distribution, lazy_property


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p clamped away from 0 and 1 (binary: the log-odds log p - log(1 - p))."""
    eps = finfo(probs.dtype).eps
    p = probs.clamp(eps, 1 - eps)
    return p.log() - (1 - p).log() if is_binary else p.log()


def _both_or_neither(probs: Any, logits: Any) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class Categorical(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        _both_or_neither(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = log_softmax(logits, -1)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(self._param.shape[:-1], (), validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return softmax(self.logits, -1)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self) -> Tensor:
        return full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype, device=self.probs.device)

    variance = mean

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        p = self.probs.detach()._data
        xp = backend.array_module(p)
        cdf = xp.cumsum(p, -1)
        u = rand(*shape, 1, dtype=self.probs.dtype, device=self.probs.device)._data * cdf[..., -1:]
        k = (xp.broadcast_to(cdf, shape + (self._num_events,)) <= u).sum(-1)
        return Tensor._wrap(xp.minimum(k, self._num_events - 1).astype(np.int64))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = tuple(np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape)))
        index = value.expand(*shape[:-1], 1)
        return self.logits.expand(*shape).gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = arange(self._num_events, device=self._param.device).reshape(
            (-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
