"""Bernoulli(probs | logits): 1 with probability p, else 0, elementwise.

    log p(x) = x log p + (1 - x) log(1 - p) = -BCEWithLogits(logits, x)
    entropy  = BCEWithLogits(logits, p)
    mean = p,  variance = p (1 - p);  sample: 1[u < p], u ~ U[0, 1) (not differentiable)
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..nn.functional import binary_cross_entropy_with_logits
from ..ops.elementwise import sigmoid
from ..ops.factories import rand
from . import constraints
from .categorical import _both_or_neither, probs_to_logits
from .distribution import Distribution, broadcast_all, lazy_property


class Bernoulli(Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        _both_or_neither(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            param = self.logits
        super().__init__(param.shape, (), validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return sigmoid(self.logits)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).type_as(self.probs)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        p = self.probs.detach()
        u = rand(*self._extended_shape(sample_shape), dtype=p.dtype, device=p.device)
        return (u < p).type_as(p)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
