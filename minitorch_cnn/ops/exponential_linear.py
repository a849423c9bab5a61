"""The exponential linear units ELU, SELU and CELU: one node each, its backward written in differentiable ops (so every
order of derivative):

    elu(x; α, s, κ) = s·x                     for x > 0,     dy/dx = s
                      s·α·(e^{κx} - 1)        for x <= 0,    dy/dx = s·α·κ'·e^{κ'x}
    elu  = elu(x; α, s = 1, κ = κ' = 1)
    selu = elu(x; α = 1.6732632423543772, s = 1.0507009873554805, κ = κ' = 1)
    celu = elu(x; α, s = 1, κ = 1/α, κ' = 1/float32(α))

κ' is the input scale torch's backward uses: for celu it divides by α rounded to float32 (in every dtype), so the
float64 gradient sits ~1e-8 relative from the exact e^{x/α}; the same constant here keeps ours equal to torch's.
The exponential reads x only where x <= 0 (0 elsewhere), so a large positive x neither overflows nor sends a NaN
into the gradient; the branch at x = 0 is the exponential's, as torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import elementwise as ew
from ._util import to_float
from .inplace_flag import NEGATIVE_ELU, maybe_in_place

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Elu(Function):
    """y = s·x (x > 0), s·α·expm1(κx) (x <= 0);  dx = g·s, or g·s·α·κ'·e^{κ'x}."""

    def forward(self, x: Any, alpha: float, scale: float, input_scale: float, grad_input_scale: float) -> Any:
        xp = backend.array_module(x)
        t = x.dtype.type
        self.x, self.coefs = x, (alpha, scale, grad_input_scale)
        self.positive = x > 0
        negative_part = xp.where(self.positive, t(0), x)
        return xp.where(self.positive, x * t(scale), xp.expm1(negative_part * t(input_scale)) * t(alpha * scale))

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        alpha, scale, k = self.coefs
        t = g.dtype.type
        negative_part = xp.where(self.positive, t(0), self.x)
        return g * xp.where(self.positive, t(scale), xp.exp(negative_part * t(k)) * t(alpha * scale * k))

    def backward_graph(self, g: Tensor) -> Tensor:
        alpha, scale, k = self.coefs
        x = self.input_tensor(0, self.x)
        positive = Tensor._wrap(self.positive)
        return g * ew.where(positive, scale, (ew.where(positive, 0.0, x) * k).exp() * (alpha * scale * k))


class Celu(Elu):
    """The same node under CELU's name (torch's graph shows CeluBackward0)."""


def _selu(x: Tensor) -> Tensor:
    return Elu.apply(to_float(x), SELU_ALPHA, SELU_SCALE, 1.0, 1.0)


def _celu(x: Tensor, alpha: float) -> Tensor:
    return Celu.apply(to_float(x), alpha, 1.0, 1.0 / alpha, 1.0 / float(np.float32(alpha)))


def _elu(x: Tensor, alpha: float) -> Tensor:
    return Elu.apply(to_float(x), alpha, 1.0, 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.selu`` (any shape); ``inplace`` writes into ``input`` as torch's selu_ (EluBackward1,
    ``inplace_flag``)."""
    return maybe_in_place(input, _selu, (), inplace, "selu_", "EluBackward1")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.celu``: max(0, x) + min(0, α(e^{x/α} - 1)). ``inplace``: as in ``selu``
    (CeluBackward1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    refusal = NEGATIVE_ELU if alpha < 0 else None
    return maybe_in_place(input, _celu, (alpha,), inplace, "celu_", "CeluBackward1", refusal)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.elu``: x for x > 0, α(eˣ - 1) else (s = κ = κ' = 1). ``inplace``: as in ``selu`` (with
    α < 0 its backward refuses, as torch's)."""
    return maybe_in_place(input, _elu, (alpha,), inplace, "elu_", "EluBackward1", NEGATIVE_ELU if alpha < 0 else None)
