"""The error function, the log-gamma function and their relatives, elementwise (the loops are
``kernels.special_math``; integer inputs give the default float dtype):

    y = erf x      dy/dx = 2/√π · e^(-x²)        y = erfc x = 1 - erf x    dy/dx = -2/√π · e^(-x²)
    y = erfinv x   dy/dx = √π/2 · e^(y²)         y = lgamma x = ln|Γ(x)|   dy/dx = ψ(x) (digamma)
    y = ψ⁽ⁿ⁾(x)    dy/dx = ψ⁽ⁿ⁺¹⁾(x)             ψ⁽⁰⁾ = digamma, ψ⁽¹⁾ = trigamma, ψ⁽ⁿ⁾(x) = (-1)ⁿ⁺¹ n! ζ(n + 1, x)
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd import Tensor
from . import inplace
from ._util import out_arg, to_float
from .pointwise_base import TENSORS, Unary, require_tensor

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2


class Erf(Unary):
    value = staticmethod(lambda m, x: m.special("erf", x))
    slope = staticmethod(lambda m, x, y: _TWO_OVER_SQRT_PI * m.exp(-(x * x)))


class Erfc(Unary):
    value = staticmethod(lambda m, x: m.special("erfc", x))
    slope = staticmethod(lambda m, x, y: -_TWO_OVER_SQRT_PI * m.exp(-(x * x)))


class Erfinv(Unary):
    value = staticmethod(lambda m, x: m.special("erfinv", x))
    slope = staticmethod(lambda m, x, y: _HALF_SQRT_PI * m.exp(y * y))


class Lgamma(Unary):
    value = staticmethod(lambda m, x: m.special("lgamma", x))
    slope = staticmethod(lambda m, x, y: m.polygamma(0, x))


class Digamma(Unary):
    value = staticmethod(lambda m, x: m.polygamma(0, x))
    slope = staticmethod(lambda m, x, y: m.polygamma(1, x))


class Polygamma(Unary):
    def forward(self, x: Any, n: int) -> Any:
        self.n = n
        return super().forward(x)

    def value(self, m: Any, x: Any) -> Any:
        return m.polygamma(self.n, x)

    def slope(self, m: Any, x: Any, y: Any) -> Any:
        return m.polygamma(self.n + 1, x)


def _float_op(cls: type, name: str, doc: str) -> Any:
    @out_arg
    def op(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        require_tensor(name, input)
        return cls.apply(to_float(input))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + " Integer inputs give the default float dtype, as torch's."
    return op


erf = _float_op(Erf, "erf", "The error function, 2/√π ∫₀ˣ e^(-t²) dt.")
erfc = _float_op(Erfc, "erfc", "The complementary error function, 1 - erf x, accurate where erf x is near 1.")
erfinv = _float_op(Erfinv, "erfinv", "The inverse of erf on (-1, 1); ±inf at ±1, NaN outside.")
lgamma = _float_op(Lgamma, "lgamma", "ln|Γ(x)|; inf at 0 and the negative integers.")
digamma = _float_op(Digamma, "digamma", "ψ(x) = Γ'(x)/Γ(x); ∓inf at ±0, NaN at the negative integers.")


@out_arg
def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n >= 0)."""
    require_tensor("polygamma", input, 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(to_float(input), int(n))


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


TENSORS.polygamma = polygamma

_OUT_OF_PLACE: dict[str, Any] = {
    "erf": erf, "erfc": erfc, "erfinv": erfinv, "lgamma": lgamma, "digamma": digamma, "polygamma": _polygamma_method,
}
METHODS: dict[str, Any] = {
    **_OUT_OF_PLACE, **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _OUT_OF_PLACE.items()},
}
