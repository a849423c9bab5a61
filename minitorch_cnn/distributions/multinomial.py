"""Multinomial(total_count, probs | logits): counts of ``total_count`` independent draws over K classes (the last
dimension); event_shape (K,), batch_shape the rest. probs/logits are a Categorical's (normalised as torch does).

    log p(x) = lgamma(Σx + 1) - Σ lgamma(x_k + 1) + Σ x_k logits_k     (0 · -inf taken as 0)
    mean     = n p,   variance = n p (1 - p)
    entropy  = n H(Categorical) - lgamma(n + 1) + Σ_k Σ_{j=1..n} Binomial(n, p_k)(j) lgamma(j + 1)
               (that first lgamma of the integer count in the default dtype, as torch's)
    sample   : n Categorical draws, counted per class (not differentiable)

The binomial term uses torch's stable form: log Binomial(n, p)(j) = j·l - lgamma(j + 1) - lgamma(n - j + 1)
- (n·max(l, 0) + n·log1p(exp(-|l|)) - lgamma(n + 1)), l = log(p / (1 - p)) clamped as torch's probs_to_logits.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Size, Tensor
from ..ops.factories import arange, ones_like, tensor, zeros
from . import constraints
from .categorical import Categorical, probs_to_logits
from .distribution import Distribution, broadcast_all


class Multinomial(Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        sample_shape = Size(sample_shape)
        samples = self._categorical.sample(Size((self.total_count,) + tuple(sample_shape)))
        order = list(range(1, samples.dim())) + [0]  # (n, sample, batch) -> (sample, batch, n)
        samples = samples.permute(*order)
        counts = zeros(tuple(self._extended_shape(sample_shape)), dtype=samples.dtype, device=samples.device)
        counts.scatter_add_(-1, samples, ones_like(samples))
        return counts.type_as(self.probs)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.clone()
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        logits[(value == 0) & (logits == float("-inf"))] = 0
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers

    def entropy(self) -> Tensor:
        probs = self.probs
        n = tensor(self.total_count, device=probs.device)
        term1 = n * self._categorical.entropy() - (n + 1).lgamma()
        j = arange(1, self.total_count + 1, device=probs.device).reshape((-1,) + (1,) * probs.dim()).to(probs.dtype)
        l = probs_to_logits(probs, is_binary=True)  # noqa: E741 - torch's name for the binomial logits
        count = n.to(probs.dtype)  # the binomial's total_count: a tensor of the probabilities' dtype
        normalize = count * (l.clamp(min=0) + l - l.clamp(max=0)) / 2 + count * (-l.abs()).exp().log1p() \
            - (count + 1).lgamma()
        log_binomial = j * l - (j + 1).lgamma() - (self.total_count - j + 1).lgamma() - normalize
        return term1 + (log_binomial.exp() * (j + 1).lgamma()).sum([0, -1])
