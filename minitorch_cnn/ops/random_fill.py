"""More of torch's in-place samplers, drawn from ``backend.generator()`` (so ``mt.manual_seed`` makes them
reproducible; the streams are not torch's, the distributions are):

    cauchy_(median=0, sigma=1)       median + sigma · tan(π (u - ½)),  u ~ U[0, 1)
    log_normal_(mean=1, std=2)       exp(N(mean, std²))
    geometric_(p)                    the number of Bernoulli(p) trials up to the first success: 1, 2, …
    poisson(rates)                   Poisson(rate) counts in the rates' dtype; a zero gradient to the rates
    binomial(count, prob)            Binomial(count, prob) counts in the dtype of count (not differentiable)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .inplace import _random_


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: object = None) -> Tensor:
    return _random_(self, lambda s: median + sigma * np.tan(np.pi * (backend.generator().random(size=s) - 0.5)),
                    "cauchy_")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: object = None) -> Tensor:
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _random_(self, lambda s: np.exp(backend.generator().normal(mean, std, size=s)), "log_normal_")


def geometric_(self: Tensor, p: float, *, generator: object = None) -> Tensor:
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _random_(self, lambda s: backend.generator().geometric(p, size=s), "geometric_")


class Poisson(Function):
    """The sample drawn for the rates, whose gradient with respect to them is zero (torch's PoissonBackward0)."""

    torch_name = "PoissonBackward0"

    def forward(self, rates: Any, sample: Any) -> Any:
        return sample

    def backward(self, g: Any) -> tuple:
        return g * 0, None

    def backward_graph(self, g: Tensor) -> tuple:
        return g * 0, None


def poisson(input: Tensor, generator: object = None) -> Tensor:  # noqa: A002 - torch's name
    """Poisson counts with the given rates (≥ 0), same shape and dtype."""
    rates = input.detach().cpu().numpy()
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    draw = backend.generator().poisson(rates).astype(rates.dtype)
    return Poisson.apply(input, backend.move_to(draw, input.device))


def binomial(count: Tensor, prob: Tensor, generator: object = None) -> Tensor:
    """Binomial(count, prob) counts, in count's dtype."""
    n, p = np.broadcast_arrays(count.cpu().numpy(), prob.cpu().numpy())
    draw = backend.generator().binomial(n.astype(np.int64), p).astype(count._data.dtype)
    return Tensor._wrap(backend.move_to(draw, count.device))


METHODS: dict = {"cauchy_": cauchy_, "log_normal_": log_normal_, "geometric_": geometric_}
