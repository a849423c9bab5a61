"""The error function, the log-gamma function and their relatives, elementwise (the loops are
``kernels.special_math``; integer inputs give the default float dtype):

    y = erf x      dy/dx = 2/√π · e^(-x²)        y = erfc x = 1 - erf x    dy/dx = -2/√π · e^(-x²)
    y = erfinv x   dy/dx = √π/2 · e^(y²)         y = lgamma x = ln|Γ(x)|   dy/dx = ψ(x) (digamma)
    y = ψ⁽ⁿ⁾(x)    dy/dx = ψ⁽ⁿ⁺¹⁾(x)             ψ⁽⁰⁾ = digamma, ψ⁽¹⁾ = trigamma, ψ⁽ⁿ⁾(x) = (-1)ⁿ⁺¹ n! ζ(n + 1, x)
    y = I₀(x)      dy/dx = I₁(x)                 y = I₁(x)      dy/dx = I₀(x) - y/x, ½ where |x| <= ε (torch's)
    y = i0e x = e^-|x| I₀(x)     dy/dx = i1e x - sign(x) y
    y = i1e x = e^-|x| I₁(x)     dy/dx = i0e x - y (sign(x) + 1/x), ½ where |x| <= ε
    y = entr x = -x ln x (0 at 0, -inf for x < 0)                 dy/dx = -(1 + ln x)
    ndtr x = (1 + erf(x/√2)) / 2 and multigammaln(x, p) = p(p-1)/4 · ln π + Σ_{i<p} lgamma(x - i/2) are composed
    of differentiable ops, as torch composes them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import elementwise as ew
from . import factories, inplace, reduction, shape
from ._util import out_arg, to_float
from .binary_math import zeta
from .pointwise_base import TENSORS, Unary, float_unary_op, require_tensor

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


def _sign(raw: Any) -> Any:
    """sign(x) of an input as a constant array (its derivative is 0 where it is defined)."""
    return backend.array_module(raw).sign(raw)


class I0(Unary):
    value = staticmethod(lambda m, x: m.special("i0", x))
    slope = staticmethod(lambda m, x, y: m.special("i1", x))


class I0e(Unary):
    torch_name = "SpecialI0EBackward0"
    value = staticmethod(lambda m, x: m.special("i0e", x))
    slope = staticmethod(lambda m, x, y: m.special("i1e", x) - _sign(m.raw(x)) * y)


def _i1_slope(scaled: bool) -> Any:
    # torch's i1_backward / i1e_backward: the 0/0 at x = 0 replaced by its limit ½ for |x| <= the dtype's epsilon
    def slope(m: Any, x: Any, y: Any) -> Any:
        raw = m.raw(x)
        eps = float(np.finfo(raw.dtype).eps)
        tiny = abs(raw) <= eps
        safe = m.where(tiny, eps, x)
        if scaled:
            return m.where(tiny, 0.5, m.special("i0e", safe) - y * (_sign(m.raw(safe)) + 1 / safe))
        return m.where(tiny, 0.5, m.special("i0", safe) - y / safe)

    return staticmethod(slope)


class I1(Unary):
    torch_name = "SpecialI1Backward0"
    value = staticmethod(lambda m, x: m.special("i1", x))
    slope = _i1_slope(False)


class I1e(Unary):
    torch_name = "SpecialI1EBackward0"
    value = staticmethod(lambda m, x: m.special("i1e", x))
    slope = _i1_slope(True)


def _entr_value(m: Any, x: Any) -> Any:
    # -x ln x for x > 0, 0 at 0, -inf below, NaN kept (torch's)
    pos = x > 0
    return m.where(pos, -x * m.log(m.where(pos, x, 1)), m.where(x == 0, 0, m.where(x < 0, -math.inf, x)))


class Entr(Unary):
    torch_name = "SpecialEntrBackward0"
    value = staticmethod(_entr_value)
    slope = staticmethod(lambda m, x, y: -(1 + m.log(x)))


class Polygamma(Unary):
    def forward(self, x: Any, n: int) -> Any:
        self.n = n
        return super().forward(x)

    def value(self, m: Any, x: Any) -> Any:
        return m.polygamma(self.n, x)

    def slope(self, m: Any, x: Any, y: Any) -> Any:
        return m.polygamma(self.n + 1, x)


erf = float_unary_op(Erf, "erf", "The error function, 2/√π ∫₀ˣ e^(-t²) dt.")
erfc = float_unary_op(Erfc, "erfc", "The complementary error function, 1 - erf x, accurate where erf x is near 1.")
erfinv = float_unary_op(Erfinv, "erfinv", "The inverse of erf on (-1, 1); ±inf at ±1, NaN outside.")
lgamma = float_unary_op(Lgamma, "lgamma", "ln|Γ(x)|; inf at 0 and the negative integers.")
digamma = float_unary_op(Digamma, "digamma", "ψ(x) = Γ'(x)/Γ(x); ∓inf at ±0, NaN at the negative integers.")
i0 = float_unary_op(I0, "i0", "The modified Bessel function of the first kind of order 0.")
i1 = float_unary_op(I1, "i1", "The modified Bessel function of the first kind of order 1 (``mt.special.i1``).")
i0e = float_unary_op(I0e, "i0e", "e^-|x| I₀(x), without overflow (``mt.special.i0e``).")
i1e = float_unary_op(I1e, "i1e", "e^-|x| I₁(x), without overflow (``mt.special.i1e``).")
entr = float_unary_op(Entr, "entr", "The elementwise entropy -x ln x (0 at 0, -inf below) (``mt.special.entr``).")


@out_arg
def polygamma(n: int, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n >= 0)."""
    require_tensor("polygamma", input, 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(to_float(input), int(n))


@out_arg
def ndtr(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The standard normal CDF, (1 + erf(x/√2)) / 2, composed as torch's (so its graph is torch's too)."""
    require_tensor("special_ndtr", input)
    return ew.mul(ew.add(erf(ew.mul(to_float(input), math.sqrt(0.5))), 1), 0.5)


@out_arg
def multigammaln(input: Tensor, p: int) -> Tensor:  # noqa: A002 - torch's name
    """The log of the multivariate gamma function of dimension p: p(p-1)/4 · ln π + Σᵢ lgamma(x - i/2), i < p."""
    require_tensor("special_multigammaln", input)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = to_float(input)
    if not bool((x._data > 0.5 * (p - 1)).all()):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    offsets = factories.arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=x.dtype, device=x.device)
    terms = lgamma(ew.add(offsets, shape.unsqueeze(x, -1)))
    return ew.add(reduction.sum(terms, -1), p * (p - 1) * math.log(math.pi) * 0.25)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


mvlgamma = multigammaln  # torch's top-level and Tensor name


TENSORS.polygamma = polygamma
# the kernels the slopes call, as Tensor ops
TENSORS.special = lambda name, *xs: {"i0": i0, "i1": i1, "i0e": i0e, "i1e": i1e, "zeta": zeta}[name](*xs)

_OUT_OF_PLACE: dict[str, Any] = {
    "erf": erf, "erfc": erfc, "erfinv": erfinv, "lgamma": lgamma, "digamma": digamma, "polygamma": _polygamma_method,
    "i0": i0, "mvlgamma": mvlgamma,
}
METHODS: dict[str, Any] = {
    **_OUT_OF_PLACE, **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _OUT_OF_PLACE.items()},
}
