"""Softplus and the activations built on it: log-sigmoid and Mish.

    softplus:  y = log(1 + e^{βx}) / β  where βx <= threshold, else y = x;   dy/dx = σ(βx) there, else 1
    logsigmoid(x) = -softplus(-x) (no threshold):    dy/dx = σ(-x) = 1 - σ(x)
    mish(x) = x · tanh(softplus(x)) (no threshold):  dy/dx = tanh(sp) + x σ(x) (1 - tanh²(sp))

Softplus is one node: log(1 + e^{βx}) is evaluated as log1p(e^{-|βx|}) + max(βx, 0), which neither overflows for
large βx nor loses the small result for very negative βx (what torch's log1p(exp(βx)) also keeps); its backward is
written in differentiable ops (σ), so all three are differentiable twice. Any shape in, the same shape out.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from ._util import to_float
from .inplace_flag import maybe_in_place


class Softplus(Function):
    """y = log1p(e^{-|βx|}) + max(βx, 0)) / β, or x where βx > threshold;  dx = g σ(βx), or g where linear."""

    def forward(self, x: Any, beta: float, threshold: float) -> Any:
        xp = backend.array_module(x)
        t = x.dtype.type
        bx = x * t(beta)
        self.x, self.beta, self.linear = x, beta, bx > threshold
        soft = (xp.log1p(xp.exp(-abs(bx))) + xp.maximum(bx, t(0))) / t(beta)
        return xp.where(self.linear, x, soft)

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        bx = self.x * self.x.dtype.type(self.beta)
        e = xp.exp(-abs(bx))
        sig = xp.where(bx >= 0, 1 / (1 + e), e / (1 + e))  # σ(βx) without overflow
        return xp.where(self.linear, g, g * sig)

    def backward_graph(self, g: Tensor) -> Tensor:
        x = self.input_tensor(0, self.x)
        linear = Tensor._wrap(self.linear.astype(self.x.dtype))
        return g * (linear + (1 - linear) * (x * self.beta).sigmoid())


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.softplus``: log(1 + e^{βx}) / β, reverting to x where βx > ``threshold``."""
    if beta == 0:
        raise RuntimeError("softplus: beta must be non-zero (log(1 + e^{βx}) / β divides by it)")
    return Softplus.apply(to_float(input), beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.logsigmoid``: log σ(x) = -softplus(-x), exact for every x (no threshold)."""
    return -Softplus.apply(-to_float(input), 1.0, math.inf)


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.mish``: x · tanh(softplus(x)); ``inplace`` writes into ``input`` as torch's mish_
    (MishBackward0, ``inplace_flag``)."""
    return maybe_in_place(input, _mish, (), inplace, "mish_", "MishBackward0")


def _mish(input: Tensor) -> Tensor:  # noqa: A002
    x = to_float(input)
    return x * Softplus.apply(x, 1.0, math.inf).tanh()
