"""What the elementwise math families share: a unary and a binary ``Function`` whose derivative is written once
and read twice, on raw arrays for the backward pass and on Tensors for ``backward_graph`` (second order).

A unary op defines ``value(m, x) -> y`` and ``slope(m, x, y) -> dy/dx``; a binary op defines ``value(m, a, b)``
and ``grads(m, g, a, b, y) -> (dL/da, dL/db)`` at full (broadcast) shape, summed back to each input's shape
here. ``m`` is a namespace of functions: :class:`Arrays` (NumPy or CuPy, plus the special functions) or
``TENSORS`` (the package's own differentiable ops, bound by the op files as they load).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..kernels import special_math
from ._util import out_arg, sum_to, to_float, unbroadcast


class Arrays:
    """``xp`` (numpy or cupy) with the special functions beside it; ``raw`` is the array itself."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def __getattr__(self, name: str) -> Any:
        return getattr(self.xp, name)

    @staticmethod
    def raw(x: Any) -> Any:
        return x

    @staticmethod
    def special(name: str, *arrays: Any) -> Any:
        """A function of ``kernels.special_math`` by name (erf, lgamma, i0, ...)."""
        return special_math.apply(name, *arrays)

    def polygamma(self, n: int, x: Any) -> Any:
        if n == 0:
            return special_math.apply("digamma", x)
        if n == 1:
            return special_math.apply("trigamma", x)
        # ψ⁽ⁿ⁾(x) = (-1)ⁿ⁺¹ n! ζ(n + 1, x), torch's calc_polygamma
        zeta = special_math.apply("zeta", self.xp.full(x.shape, n + 1.0, dtype=x.dtype), x)
        return zeta * x.dtype.type((1.0 if n % 2 else -1.0) * math.factorial(n))

    def xlogy(self, x: Any, y: Any) -> Any:
        xp = self.xp
        # 0 where x == 0, even at y = 0 or y < 0; NaN wherever y is NaN (torch's xlogy)
        return xp.where(xp.isnan(y), y, xp.where(x == 0, 0, x * xp.log(y)))

    def xlog1py(self, x: Any, y: Any) -> Any:
        # the same with log(1 + y): 0 where x == 0, even at y = -1
        xp = self.xp
        return xp.where(xp.isnan(y), y, xp.where(x == 0, 0, x * xp.log1p(y)))


class _TensorMath:
    """The Tensor ops the slopes call, bound by the op files (``TENSORS.<name> = fn``) once they exist."""

    @staticmethod
    def raw(x: Tensor) -> Any:
        return x._data


TENSORS: Any = _TensorMath()


def arrays(x: Any) -> Arrays:
    return Arrays(backend.array_module(x))


class Unary(Function):
    """y = value(x); dL/dx = g · slope(x, y)."""

    value: Any = None
    slope: Any = None

    def forward(self, x: Any) -> Any:
        self.x = x
        with np.errstate(all="ignore"):
            self.y = self.value(arrays(x), x)
        return self.y

    def backward(self, g: Any) -> Any:
        with np.errstate(all="ignore"):
            return g * self.slope(arrays(g), self.x, self.y)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * self.slope(TENSORS, self.input_tensor(0, self.x), self.output_tensor(self.y))


class Binary(Function):
    """y = value(a, b), broadcasting; ``grads`` gives both input gradients at the broadcast shape."""

    value: Any = None
    grads: Any = None

    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.shapes = (a.shape, b.shape)
        m = arrays(b if isinstance(a, np.generic) else a)  # a Python-number operand: the other one's device
        with np.errstate(all="ignore"):
            self.y = self.value(m, a, b)
        return self.y

    def backward(self, g: Any) -> tuple:
        with np.errstate(all="ignore"):
            ga, gb = self.grads(arrays(g), g, self.a, self.b, self.y)
        need_a, need_b = self.needs_input_grad
        sa, sb = self.shapes
        return (unbroadcast(ga, sa) if need_a else None), (unbroadcast(gb, sb) if need_b else None)

    def backward_graph(self, g: Tensor) -> tuple:
        a, b = self.input_tensor(0, self.a), self.input_tensor(1, self.b)
        ga, gb = self.grads(TENSORS, g, a, b, self.output_tensor(self.y))
        need_a, need_b = self.needs_input_grad
        sa, sb = self.shapes
        return (sum_to(ga, sa) if need_a else None), (sum_to(gb, sb) if need_b else None)


class NoDerivative(Function):
    """An op torch computes but does not differentiate: the output sits in the graph and backward raises torch's
    error, naming the op (``op_name``)."""

    op_name = ""

    def forward(self, compute: Any, *arrays: Any) -> Any:
        with np.errstate(all="ignore"):
            return compute(*arrays)

    def backward(self, g: Any) -> Any:
        raise RuntimeError(f"derivative for aten::{self.op_name} is not implemented")


@functools.cache
def _no_derivative_class(op_name: str) -> type:
    return type(f"{op_name.title().replace('_', '')}NoDerivative", (NoDerivative,),
                {"op_name": op_name, "torch_name": "NotImplemented"})


def no_derivative(op_name: str, compute: Any, *tensors: Any) -> Tensor:
    """``compute(*arrays)`` as a node whose backward raises, as torch's for ``op_name``."""
    return _no_derivative_class(op_name).apply(compute, *tensors)


_TORCH_TYPE_NAMES = {"b": "Bool", "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                     "float64": "Double", "float32": "Float", "float16": "Half"}


def torch_type_name(dtype: Any) -> str:
    """torch's C++ name of a dtype, as its messages print it: 'Float', 'Long', 'Bool' ..."""
    dt = np.dtype(dtype)
    return _TORCH_TYPE_NAMES["b" if dt.kind == "b" else dt.name]


def refuse_dtype(kernel: str, dtype: Any) -> NotImplementedError:
    """torch's error for a kernel that has no implementation for ``dtype``: '"floor_vml_cpu" not implemented for
    'Bool''."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{torch_type_name(dtype)}\'')


def require_tensor(op: str, input: Any, position: int = 1, name: str = "input") -> None:  # noqa: A002
    """torch's TypeError when an op that takes a Tensor is handed something else."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not {type(input).__name__}")


def float_unary_op(cls: type, name: str, doc: str) -> Any:
    """The public function ``name`` of the Unary ``cls``: a Tensor input (integers promoted to the default float
    dtype), ``out=``, and ``doc`` as its docstring."""

    @out_arg
    def op(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        require_tensor(name, input)
        return cls.apply(to_float(input))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + " Integer inputs give the default float dtype, as torch's."
    return op
