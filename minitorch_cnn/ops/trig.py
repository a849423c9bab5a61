"""Trigonometric and hyperbolic functions, elementwise on any shape.

    y = sin x     dy/dx = cos x          y = sinh x    dy/dx = cosh x
    y = cos x     dy/dx = -sin x         y = cosh x    dy/dx = sinh x
    y = tan x     dy/dx = 1 + y²         y = asin x    dy/dx = 1 / √(1 - x²)
    y = atan x    dy/dx = 1 / (1 + x²)   y = acos x    dy/dx = -1 / √(1 - x²)
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from ._util import to_float
from .elementwise import sqrt as _sqrt


class _Unary(Function):
    """``forward`` keeps its input; ``slope(x, y)`` is dy/dx."""

    def forward(self, x: Any) -> Any:
        self.x = x
        self.y = getattr(backend.array_module(x), self.fn_name)(x)
        return self.y

    def backward(self, g: Any) -> Any:
        return g * self.slope(backend.array_module(g), self.x, self.y)

    def backward_graph(self, g: Tensor) -> Tensor:
        """The same slope in Tensor ops (the module's own functions), so it differentiates again."""
        return g * self.slope(_TensorOps, self.input_tensor(0, self.x), self.output_tensor(self.y))


class _TensorOps:
    """What the slopes call on ``xp``, for Tensors: this module's functions and the elementwise sqrt."""

    sin = cos = sinh = cosh = sqrt = None  # bound below, once the functions exist


class Sin(_Unary):
    fn_name, torch_name = "sin", "SinBackward0"
    slope = staticmethod(lambda xp, x, y: xp.cos(x))


class Cos(_Unary):
    fn_name, torch_name = "cos", "CosBackward0"
    slope = staticmethod(lambda xp, x, y: -xp.sin(x))


class Tan(_Unary):
    fn_name, torch_name = "tan", "TanBackward0"
    slope = staticmethod(lambda xp, x, y: 1 + y * y)


class Sinh(_Unary):
    fn_name, torch_name = "sinh", "SinhBackward0"
    slope = staticmethod(lambda xp, x, y: xp.cosh(x))


class Cosh(_Unary):
    fn_name, torch_name = "cosh", "CoshBackward0"
    slope = staticmethod(lambda xp, x, y: xp.sinh(x))


class Asin(_Unary):
    fn_name, torch_name = "arcsin", "AsinBackward0"
    slope = staticmethod(lambda xp, x, y: 1 / xp.sqrt(1 - x * x))


class Acos(_Unary):
    fn_name, torch_name = "arccos", "AcosBackward0"
    slope = staticmethod(lambda xp, x, y: -1 / xp.sqrt(1 - x * x))


class Atan(_Unary):
    fn_name, torch_name = "arctan", "AtanBackward0"
    slope = staticmethod(lambda xp, x, y: 1 / (1 + x * x))


def _make(cls: type) -> Any:
    def op(x: Tensor) -> Tensor:
        return cls.apply(to_float(x))

    op.__name__ = cls.__name__.lower()
    op.__doc__ = f"Elementwise ``{op.__name__}`` (integer inputs become the default float dtype, as in torch)."
    return op


sin, cos, tan, sinh, cosh, asin, acos, atan = (_make(c) for c in (Sin, Cos, Tan, Sinh, Cosh, Asin, Acos, Atan))

_TensorOps.sin, _TensorOps.cos, _TensorOps.sinh, _TensorOps.cosh = (staticmethod(f) for f in (sin, cos, sinh, cosh))
_TensorOps.sqrt = staticmethod(_sqrt)
