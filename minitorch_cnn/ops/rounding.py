"""Rounding elementwise, as torch's: ``floor``, ``ceil``, ``round`` (half to even, optionally at ``decimals``),
``trunc`` (``fix``) and ``frac``.

    y = floor x, ceil x, round x, trunc x    dy/dx = 0 (piecewise constant; torch's gradient is 0 everywhere)
    y = frac x = x - trunc x                 dy/dx = 1
    round(x, decimals=d) = rint(x · 10ᵈ) / 10ᵈ for d >= 0, rint(x / 10⁻ᵈ) · 10⁻ᵈ for d < 0 (torch's order)

Integer tensors round to a copy of themselves (``round`` with decimals, ``frac`` refuse them, as torch); bool
tensors are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import inplace
from ._util import out_arg
from .pointwise_base import refuse_dtype, require_tensor


class _PiecewiseConstant(Function):
    """y = fn(x) with a zero gradient."""

    fn: Any = None

    def forward(self, x: Any, *args: Any) -> Any:
        self.shape = x.shape
        return self.fn(backend.array_module(x), x, *args)

    def backward(self, g: Any) -> Any:
        return backend.array_module(g).zeros(self.shape, dtype=g.dtype)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * 0


class Floor(_PiecewiseConstant):
    fn = staticmethod(lambda xp, x: xp.floor(x))


class Ceil(_PiecewiseConstant):
    fn = staticmethod(lambda xp, x: xp.ceil(x))


class Round(_PiecewiseConstant):
    fn = staticmethod(lambda xp, x: xp.rint(x))


def _round_decimals(xp: Any, x: Any, decimals: int) -> Any:
    ten_pow = x.dtype.type(10.0 ** abs(decimals))  # torch's pow(10, d) in the tensor's precision
    return xp.rint(x / ten_pow) * ten_pow if decimals < 0 else xp.rint(x * ten_pow) / ten_pow


class RoundDecimals(_PiecewiseConstant):
    torch_name = "RoundBackward1"
    fn = staticmethod(_round_decimals)


class Trunc(_PiecewiseConstant):
    fn = staticmethod(lambda xp, x: xp.trunc(x))


class Frac(Function):
    def forward(self, x: Any) -> Any:
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, as torch's
            return x - backend.array_module(x).trunc(x)

    def backward(self, g: Any) -> Any:
        return g

    def backward_graph(self, g: Tensor) -> Tensor:
        return g


def _rounded(cls: type, kernel: str, input: Tensor, *args: Any) -> Tensor:  # noqa: A002 - torch's name
    require_tensor(kernel.split("_")[0], input)
    kind = input._data.dtype.kind
    if kind == "b":
        raise refuse_dtype(kernel, input._data.dtype)
    if kind in "iu":
        return Tensor._wrap(input._data.copy())
    return cls.apply(input, *args)


@out_arg
def floor(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The largest integer <= x, in x's dtype."""
    return _rounded(Floor, "floor_vml_cpu", input)


@out_arg
def ceil(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The smallest integer >= x, in x's dtype."""
    return _rounded(Ceil, "ceil_vml_cpu", input)


@out_arg
def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001, A002 - torch's names
    """The nearest integer, ties to even; with ``decimals``, to that many decimal places (negative: tens ...)."""
    require_tensor("round", input)
    if decimals == 0:
        return _rounded(Round, "round_vml_cpu", input)
    if input._data.dtype.kind != "f":
        raise refuse_dtype("round_cpu", input._data.dtype)
    return RoundDecimals.apply(input, int(decimals))


@out_arg
def trunc(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """x rounded toward zero."""
    return _rounded(Trunc, "trunc_vml_cpu", input)


fix = trunc


@out_arg
def frac(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """x - trunc(x), with x's sign; floating tensors only, as torch."""
    require_tensor("frac", input)
    if input._data.dtype.kind != "f":
        raise refuse_dtype("frac_cpu", input._data.dtype)
    return Frac.apply(input)


_OUT_OF_PLACE: dict[str, Any] = {
    "floor": floor, "ceil": ceil, "round": round, "trunc": trunc, "fix": fix, "frac": frac,
}
METHODS: dict[str, Any] = {
    **_OUT_OF_PLACE, **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _OUT_OF_PLACE.items()},
}
