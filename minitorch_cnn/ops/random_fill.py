"""More of torch's in-place samplers, drawn from ``backend.generator()`` (so ``mt.manual_seed`` makes them
reproducible; the streams are not torch's, the distributions are):

    cauchy_(median=0, sigma=1)       median + sigma · tan(π (u - ½)),  u ~ U[0, 1)
    log_normal_(mean=1, std=2)       exp(N(mean, std²))
    geometric_(p)                    the number of Bernoulli(p) trials up to the first success: 1, 2, …
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd import Tensor
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


METHODS: dict = {"cauchy_": cauchy_, "log_normal_": log_normal_, "geometric_": geometric_}
