"""The error function, the log-gamma function and their relatives, elementwise (the loops are
``kernels.special_math``; integer inputs give the default float dtype):

    y = erf x      dy/dx = 2/√π · e^(-x²)        y = erfc x = 1 - erf x    dy/dx = -2/√π · e^(-x²)
    y = erfinv x   dy/dx = √π/2 · e^(y²)         y = lgamma x = ln|Γ(x)|   dy/dx = ψ(x) (digamma)
    y = ψ⁽ⁿ⁾(x)    dy/dx = ψ⁽ⁿ⁺¹⁾(x)             ψ⁽⁰⁾ = digamma, ψ⁽¹⁾ = trigamma, ψ⁽ⁿ⁾(x) = (-1)ⁿ⁺¹ n! ζ(n + 1, x)
    y = I₀(x)      dy/dx = I₁(x)                 y = I₁(x)      dy/dx = I₀(x) - y/x, ½ where |x| <= ε (torch's)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

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


class I0(Unary):
    value = staticmethod(lambda m, x: m.i0(x))
    slope = staticmethod(lambda m, x, y: m.i1(x))


def _i1_slope(m: Any, x: Any, y: Any) -> Any:
    # torch's i1_backward: the 0/0 at x = 0 replaced by its limit ½ for |x| <= the dtype's epsilon
    raw = m.raw(x)
    eps = float(np.finfo(raw.dtype).eps)
    tiny = abs(raw) <= eps
    safe = m.where(tiny, eps, x)
    return m.where(tiny, 0.5, m.i0(safe) - y / safe)


class I1(Unary):
    torch_name = "SpecialI1Backward0"
    value = staticmethod(lambda m, x: m.i1(x))
    slope = staticmethod(_i1_slope)


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
i0 = _float_op(I0, "i0", "The modified Bessel function of the first kind of order 0.")
i1 = _float_op(I1, "i1", "The modified Bessel function of the first kind of order 1 (``mt.special.i1``).")


@out_arg
def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n >= 0)."""
    require_tensor("polygamma", input, 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(to_float(input), int(n))


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


TENSORS.polygamma, TENSORS.i0, TENSORS.i1 = polygamma, i0, i1

_OUT_OF_PLACE: dict[str, Any] = {
    "erf": erf, "erfc": erfc, "erfinv": erfinv, "lgamma": lgamma, "digamma": digamma, "polygamma": _polygamma_method,
    "i0": i0,
}
METHODS: dict[str, Any] = {
    **_OUT_OF_PLACE, **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _OUT_OF_PLACE.items()},
}
