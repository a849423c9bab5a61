"""Elementwise exponentials, logarithms, powers and their relatives, as torch's (integer inputs become the default
float dtype, except ``square``, ``sgn``, ``negative``, ``positive``, ``absolute``, which keep it):

    y = log1p x    dy/dx = 1 / (1 + x)           y = expm1 x    dy/dx = y + 1
    y = log2 x     dy/dx = 1 / (x ln 2)          y = log10 x    dy/dx = 1 / (x ln 10)
    y = exp2 x     dy/dx = y ln 2                y = rsqrt x    dy/dx = -y³ / 2
    y = 1 / x      dy/dx = -y²                   y = x²         dy/dx = 2x (torch's pow)
    y = asinh x    dy/dx = 1 / √(x² + 1)         y = acosh x    dy/dx = 1 / √(x² - 1)
    y = atanh x    dy/dx = 1 / (1 - x²)          y = x·π/180    dy/dx = π/180 (deg2rad; rad2deg likewise)
    y = sinc x = sin(πx) / (πx), 1 at 0          dy/dx = (πx cos πx - sin πx) / (πx²), 0 at 0
    y = logit x = log(z / (1 - z)), z = clamp(x, eps, 1 - eps) when eps is given
                                                 dy/dx = 1 / (x (1 - x)) inside [eps, 1 - eps], 0 outside
                                                 (without eps: NaN outside [0, 1]), torch's logit_backward
    y = sgn x      dy/dx = 0                     (the sign, for real tensors)
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd import Tensor
from . import elementwise as ew
from . import inplace, trig
from ._util import out_arg, to_float
from .pointwise_base import TENSORS, Unary, float_unary_op, refuse_dtype

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_PI_180, _180_PI = math.pi / 180, 180 / math.pi


class Log1p(Unary):
    torch_name = "Log1PBackward0"
    value = staticmethod(lambda m, x: m.log1p(x))
    slope = staticmethod(lambda m, x, y: 1 / (1 + x))


class Expm1(Unary):
    value = staticmethod(lambda m, x: m.expm1(x))
    slope = staticmethod(lambda m, x, y: y + 1)


class Log2(Unary):
    value = staticmethod(lambda m, x: m.log2(x))
    slope = staticmethod(lambda m, x, y: 1 / (x * _LN2))


class Log10(Unary):
    value = staticmethod(lambda m, x: m.log10(x))
    slope = staticmethod(lambda m, x, y: 1 / (x * _LN10))


class Exp2(Unary):
    value = staticmethod(lambda m, x: m.exp2(x))
    slope = staticmethod(lambda m, x, y: y * _LN2)


class Rsqrt(Unary):
    value = staticmethod(lambda m, x: 1 / m.sqrt(x))
    slope = staticmethod(lambda m, x, y: -0.5 * (y * y * y))


class Reciprocal(Unary):
    value = staticmethod(lambda m, x: 1 / x)
    slope = staticmethod(lambda m, x, y: -(y * y))


class Asinh(Unary):
    value = staticmethod(lambda m, x: m.arcsinh(x))
    slope = staticmethod(lambda m, x, y: 1 / m.sqrt(x * x + 1))


class Acosh(Unary):
    value = staticmethod(lambda m, x: m.arccosh(x))
    slope = staticmethod(lambda m, x, y: 1 / m.sqrt(x * x - 1))


class Atanh(Unary):
    value = staticmethod(lambda m, x: m.arctanh(x))
    slope = staticmethod(lambda m, x, y: 1 / (1 - x * x))


class Deg2Rad(Unary):
    value = staticmethod(lambda m, x: x * _PI_180)
    slope = staticmethod(lambda m, x, y: _PI_180)


class Rad2Deg(Unary):
    value = staticmethod(lambda m, x: x * _180_PI)
    slope = staticmethod(lambda m, x, y: _180_PI)


def _sinc_value(m: Any, x: Any) -> Any:
    zero = x == 0
    px = math.pi * m.where(zero, 1, x)
    return m.where(zero, 1, m.sin(px) / px)


def _sinc_slope(m: Any, x: Any, y: Any) -> Any:
    zero = m.raw(x) == 0
    xs = m.where(zero, 1.0, x)  # the masked point must stay finite for the second derivative
    px = math.pi * xs
    return m.where(zero, 0.0, (px * m.cos(px) - m.sin(px)) / (math.pi * xs * xs))


class Sinc(Unary):
    value = staticmethod(_sinc_value)
    slope = staticmethod(_sinc_slope)


class Logit(Unary):
    def forward(self, x: Any, eps: float | None) -> Any:
        dt = x.dtype.type
        self.bounds = None if eps is None or eps < 0 else (dt(eps), dt(1) - dt(eps))
        return super().forward(x)

    def value(self, m: Any, x: Any) -> Any:
        z = x if self.bounds is None else m.clip(x, *self.bounds)
        return m.log(z / (1 - z))

    def slope(self, m: Any, x: Any, y: Any) -> Any:
        lo, hi = (0, 1) if self.bounds is None else self.bounds
        raw = m.raw(x)
        outside = (raw < lo) | (raw > hi)
        return m.where(outside, math.nan if self.bounds is None else 0.0, 1 / (x * (1 - x)))


class Sgn(ew.Sign):
    """The sign for real tensors, with its zero gradient; its own node name, as torch's."""


log1p = float_unary_op(Log1p, "log1p", "log(1 + x), accurate for small x.")
expm1 = float_unary_op(Expm1, "expm1", "exp(x) - 1, accurate for small x.")
log2 = float_unary_op(Log2, "log2", "Base-2 logarithm.")
log10 = float_unary_op(Log10, "log10", "Base-10 logarithm.")
exp2 = float_unary_op(Exp2, "exp2", "2 ** x.")
rsqrt = float_unary_op(Rsqrt, "rsqrt", "1 / sqrt(x).")
reciprocal = float_unary_op(Reciprocal, "reciprocal", "1 / x.")
asinh = float_unary_op(Asinh, "asinh", "Inverse hyperbolic sine.")
acosh = float_unary_op(Acosh, "acosh", "Inverse hyperbolic cosine.")
atanh = float_unary_op(Atanh, "atanh", "Inverse hyperbolic tangent.")
sinc = float_unary_op(Sinc, "sinc", "The normalised sinc, sin(πx) / (πx), 1 at 0.")
deg2rad = float_unary_op(Deg2Rad, "deg2rad", "Degrees to radians.")
rad2deg = float_unary_op(Rad2Deg, "rad2deg", "Radians to degrees.")
arcsinh, arccosh, arctanh = asinh, acosh, atanh


@out_arg
def logit(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002 - torch's name
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given (None or negative: no clamp)."""
    return Logit.apply(to_float(input), eps)


@out_arg
def square(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """x², torch's ``pow(x, 2)``: integer dtypes stay (bool becomes int64)."""
    if input._data.dtype.kind == "b":
        input = input.long()
    return ew.pow(input, 2)


@out_arg
def sgn(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The sign of each element (for real tensors, ``sign``), gradient 0."""
    return Sgn.apply(input)


def _no_bool(input: Tensor, what: str, hint: str = "") -> None:  # noqa: A002 - torch's name
    if input._data.dtype.kind == "b":
        raise NotImplementedError(f"{what}, on a bool tensor is not supported.{hint}")


@out_arg
def negative(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """-x (torch's alias of ``neg``)."""
    _no_bool(input, "Negation, the `-` operator", " If you are trying to invert a mask, use the `~` or "
             "`logical_not()` operator instead.")
    return ew.neg(input)


def positive(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``input`` itself, as torch's (refused for bool)."""
    _no_bool(input, "The `+` operator")
    return input


@out_arg
def absolute(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """|x| (torch's alias of ``abs``); refused for bool, as torch's."""
    if input._data.dtype.kind == "b":
        raise refuse_dtype("abs_cpu", input._data.dtype)
    return ew.abs(input)


TENSORS.sqrt, TENSORS.log, TENSORS.exp, TENSORS.where = ew.sqrt, ew.log, ew.exp, ew.where
TENSORS.sin, TENSORS.cos = trig.sin, trig.cos
TENSORS.log1p, TENSORS.exp2 = log1p, exp2

_OUT_OF_PLACE: dict[str, Any] = {
    "log1p": log1p, "expm1": expm1, "log2": log2, "log10": log10, "exp2": exp2, "rsqrt": rsqrt,
    "reciprocal": reciprocal, "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsinh": arcsinh, "arccosh": arccosh,
    "arctanh": arctanh, "sinc": sinc, "deg2rad": deg2rad, "rad2deg": rad2deg, "logit": logit, "square": square,
    "sgn": sgn, "negative": negative, "absolute": absolute,
}
METHODS: dict[str, Any] = {
    **_OUT_OF_PLACE, "positive": positive,
    **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _OUT_OF_PLACE.items()},
}
