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

The in-place forms (``elu_``, ``selu_``, ``celu_``, ``inplace=True``) overwrite x, so their node reads the result,
as torch's EluBackward1/CeluBackward1: dy/dx = s for x > 0, else κ'·(y + α·s) (= s·α·κ'·e^{κx}: for celu the
exponent keeps the exact 1/α, only the factor κ' is float32's, as torch's); second order through y.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import elementwise as ew
from ._util import to_float
from .inplace_flag import NEGATIVE_ELU, write_in_place, writes_in_place

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


class EluResult(Elu):
    """The in-place node: y as Elu's;  dx = g·s (x > 0), or g·κ'·(y + α·s), read from the result y."""

    torch_name = "EluBackward1"

    def forward(self, x: Any, alpha: float, scale: float, input_scale: float, grad_input_scale: float) -> Any:
        self.y = super().forward(x, alpha, scale, input_scale, grad_input_scale)
        return self.y

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        alpha, scale, k = self.coefs
        t = g.dtype.type
        return g * xp.where(self.positive, t(scale), (self.y + t(alpha * scale)) * t(k))

    def backward_graph(self, g: Tensor) -> Tensor:
        alpha, scale, k = self.coefs
        y = self.output_tensor(self.y)
        return g * ew.where(Tensor._wrap(self.positive), scale, (y + alpha * scale) * k)


class CeluResult(EluResult):
    """The in-place node under CELU's name (CeluBackward1)."""

    torch_name = "CeluBackward1"


def _selu(x: Tensor, node: type = Elu) -> Tensor:
    return node.apply(to_float(x), SELU_ALPHA, SELU_SCALE, 1.0, 1.0)


def _celu(x: Tensor, alpha: float, node: type = Celu) -> Tensor:
    return node.apply(to_float(x), alpha, 1.0, 1.0 / alpha, 1.0 / float(np.float32(alpha)))


def _elu(x: Tensor, alpha: float, node: type = Elu) -> Tensor:
    return node.apply(to_float(x), alpha, 1.0, 1.0, 1.0)


def _refusal(alpha: float) -> str | None:
    return NEGATIVE_ELU if alpha < 0 else None


def selu_(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``F.selu_``: selu(x) written into ``input`` (EluBackward1)."""
    return write_in_place(input, _selu, (EluResult,), "selu_")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002 - torch's name
    """``F.celu_``: celu(x, α) written into ``input`` (CeluBackward1; α < 0 refuses backward, as torch's)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return write_in_place(input, _celu, (alpha, CeluResult), "celu_", refusal=_refusal(alpha))


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002 - torch's name
    """``F.elu_``: elu(x, α) written into ``input`` (EluBackward1; α < 0 refuses backward, as torch's)."""
    return write_in_place(input, _elu, (alpha, EluResult), "elu_", refusal=_refusal(alpha))


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.selu`` (any shape); ``inplace`` writes into ``input`` as torch's selu_ (EluBackward1,
    ``inplace_flag``)."""
    return selu_(input) if inplace and writes_in_place(input) else _selu(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.celu``: max(0, x) + min(0, α(e^{x/α} - 1)). ``inplace``: as in ``selu``
    (CeluBackward1)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return celu_(input, alpha) if inplace and writes_in_place(input) else _celu(input, alpha)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.elu``: x for x > 0, α(eˣ - 1) else (s = κ = κ' = 1). ``inplace``: as in ``selu`` (with
    α < 0 its backward refuses, as torch's)."""
    return elu_(input, alpha) if inplace and writes_in_place(input) else _elu(input, alpha)
