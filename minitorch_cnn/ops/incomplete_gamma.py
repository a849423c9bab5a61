"""The regularised incomplete gamma functions: ``igamma(a, x)`` = P(a, x) = γ(a, x)/Γ(a) (``special.gammainc``) and
``igammac(a, x)`` = Q(a, x) = 1 - P (``special.gammaincc``), elementwise with broadcasting (``kernels/
incomplete_gamma.py`` holds the algorithms).

    ∂P/∂x = e^(-x) x^(a-1) / Γ(a) = exp((a - 1) ln x - x - lgamma(a));   ∂Q/∂x = -∂P/∂x
    ∂/∂a has no closed form: torch raises when it is asked for, and so does this.

The x-gradient is written again in differentiable ops (``backward_graph``), so it differentiates twice (in x).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..kernels import incomplete_gamma, special_math
from . import elementwise as ew
from . import inplace
from ._util import sum_to, unbroadcast
from .pointwise_base import torch_type_name
from .special_fns import lgamma


class _IncompleteGamma(Function):
    kernel = ""
    sign = 1.0

    def forward(self, a: Any, x: Any) -> Any:
        xp = backend.array_module(a)
        self.a, self.x = a, x
        a_b, x_b = xp.broadcast_arrays(a, x)
        return incomplete_gamma.apply(self.kernel, xp.ascontiguousarray(a_b), xp.ascontiguousarray(x_b))

    def _refuse_a(self) -> None:
        if self.needs_input_grad[0]:
            raise RuntimeError(f"the derivative for '{self.kernel}: input' is not implemented.")

    def backward(self, g: Any) -> tuple:
        self._refuse_a()
        xp = backend.array_module(g)
        a, x = self.a, self.x
        with np.errstate(all="ignore"):
            slope = xp.exp((a - 1) * xp.log(x) - x - special_math.apply("lgamma", a)).astype(g.dtype)
        return None, unbroadcast(g * self.sign * slope, self.x.shape)

    def backward_graph(self, g: Tensor) -> tuple:
        self._refuse_a()
        a, x = Tensor._wrap(self.a), self.input_tensor(1, self.x)
        slope = ew.exp((a - 1) * ew.log(x) - x - lgamma(a))
        grad = g * slope * self.sign
        return None, sum_to(grad, tuple(self.x.shape))


class Igamma(_IncompleteGamma):
    torch_name = "IgammaBackward0"
    kernel = "igamma"


class Igammac(_IncompleteGamma):
    torch_name = "IgammacBackward0"
    kernel = "igammac"
    sign = -1.0


def _operands(a: Any, x: Any, name: str) -> tuple[Tensor, Tensor]:
    ta = a if isinstance(a, Tensor) else Tensor._wrap(np.asarray(a, dtype=x.dtype))
    tx = x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x, dtype=ta.dtype))
    for t in (ta, tx):
        if t.dtype.kind != "f":
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{torch_type_name(t.dtype)}\'')
    if ta.dtype != tx.dtype:
        common = np.result_type(ta._data, tx._data)
        ta, tx = ta.to(backend.public_dtype(common)), tx.to(backend.public_dtype(common))
    return ta, tx


def igamma(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - torch's names
    """P(a, x) with a = input, x = other."""
    return Igamma.apply(*_operands(input, other, "igamma"))


def igammac(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Q(a, x) = 1 - P(a, x) with a = input, x = other."""
    return Igammac.apply(*_operands(input, other, "igammac"))


METHODS: dict = {
    "igamma": igamma, "igammac": igammac,
    "igamma_": inplace.inplace(igamma, "igamma_"), "igammac_": inplace.inplace(igammac, "igammac_"),
}
