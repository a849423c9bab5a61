"""Division with rounding and its remainders, as torch's, broadcasting (integer tensors stay integer):

    divide(a, b, rounding_mode=None | "trunc" | "floor")   a / b, trunc(a / b), floor(a / b)
    floor_divide(a, b) = floor(a / b)          remainder(a, b) = a - b·floor(a / b)   (the divisor's sign)
    fmod(a, b) = a - b·trunc(a / b)            (the dividend's sign)
    d/da fmod = d/da remainder = 1;  d/db fmod = -trunc(a / b), d/db remainder = -floor(a / b)
    a rounded quotient has gradient 0; floor_divide, heaviside and nextafter's other operand have none (torch)

On NumPy float arrays the fmod family runs the chosen kernel path (``numba_kernels/division.py``: exact, one
vectorised pass; NumPy's fmod is glibc's bit-by-bit loop); these formulas are the reference, and CuPy's.
Integer division by zero raises torch's "ZeroDivisionError"; floating division by zero gives inf or NaN.
Also ``gcd``/``lcm`` (integers), ``nextafter``, ``heaviside``, ``rsub`` and torch's aliases (``true_divide``,
``multiply``, ``subtract``, ``greater``, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..kernels.choice import chosen
from . import elementwise as ew
from . import inplace
from ._util import as_tensor, binary_operands, out_arg, sum_to
from .binary_math import float_operands
from .pointwise_base import Binary, no_derivative, refuse_dtype, require_tensor


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _check_int_divisor(a: Any, b: Any) -> None:
    if (_raw(a).dtype.kind if isinstance(a, Tensor) else _raw(b).dtype.kind) in "biu" and (_raw(b) == 0).any():
        raise RuntimeError("ZeroDivisionError")


def _compiled(op: str, a: Any, b: Any) -> Any:
    """``op`` of the fmod family by the chosen kernel path where it has one for these operands (NumPy float32 or
    float64 of one dtype, b of a's shape or a single element), else None: the formulas here run."""
    if not (isinstance(a, np.ndarray) and isinstance(b, (np.ndarray, np.generic)) and a.dtype == b.dtype
            and a.dtype in (np.float32, np.float64) and a.size
            and (b.shape == a.shape or (b.size == 1 and b.ndim <= a.ndim))):
        return None
    fast = chosen("fmod_family", a)
    return None if fast is None else fast(op, a, b)


def _fmod(xp: Any, a: Any, b: Any) -> Any:
    fast = _compiled("fmod", a, b)
    return xp.fmod(a, b) if fast is None else fast


def trunc_div(xp: Any, a: Any, b: Any) -> Any:
    """a / b rounded toward zero (integers exactly; floats as torch's ``trunc(a / b)``)."""
    if a.dtype.kind == "f":
        return xp.trunc(a / b)
    q = a // b
    return q + ((q < 0) & (q * b != a))


def floor_div(xp: Any, a: Any, b: Any) -> Any:
    """a / b rounded down: integers exactly; floats by torch's ``div_floor_floating`` (through fmod, so that the
    quotient is the one ``remainder`` agrees with)."""
    if a.dtype.kind != "f":
        return a // b
    fast = _compiled("floor_divide", a, b)
    if fast is not None:
        return fast
    mod = xp.fmod(a, b)
    div = (a - mod) / b
    div = div - ((mod != 0) & ((b < 0) != (mod < 0)))
    floor = xp.floor(div)
    floor = floor + (div - floor > 0.5)
    return xp.where(b == 0, a / b, xp.where(div != 0, floor, xp.copysign(0 * div, a / b)))


def _remainder(xp: Any, a: Any, b: Any) -> Any:
    if a.dtype.kind != "f":
        return xp.remainder(a, b)
    fast = _compiled("remainder", a, b)
    if fast is not None:
        return fast
    mod = xp.fmod(a, b)
    return xp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


class Fmod(Binary):
    torch_name = "FmodBackward1"
    value = staticmethod(lambda m, a, b: _fmod(m.xp, a, b))

    @staticmethod
    def grads(m: Any, g: Any, a: Any, b: Any, y: Any) -> tuple:
        ra = m.raw(a)
        return g * 1, -g * trunc_div(backend.array_module(ra), ra, m.raw(b))


class Remainder(Binary):
    torch_name = "RemainderBackward1"
    value = staticmethod(lambda m, a, b: _remainder(m.xp, a, b))

    @staticmethod
    def grads(m: Any, g: Any, a: Any, b: Any, y: Any) -> tuple:
        ra = m.raw(a)
        return g * 1, -g * floor_div(backend.array_module(ra), ra, m.raw(b))


class FmodScalar(Fmod):
    torch_name = "FmodBackward0"


class RemainderScalar(Remainder):
    torch_name = "RemainderBackward0"


def _int_safe(a: Any, b: Any) -> tuple[Any, Any]:
    a, b = binary_operands(a, b)
    _check_int_divisor(a, b)
    return a, b


@out_arg
def fmod(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The C remainder: a - b·trunc(a / b), with a's sign."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    a, b = _int_safe(input, other)
    return (Fmod if isinstance(b, Tensor) else FmodScalar).apply(a, b)


@out_arg
def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """Python's modulus: a - b·floor(a / b), with b's sign."""
    a, b = _int_safe(input, other)
    if not isinstance(a, Tensor):  # torch has no derivative for remainder(number, tensor)
        return no_derivative("remainder", lambda y: _remainder(backend.array_module(y), a, y), b)
    return (Remainder if isinstance(b, Tensor) else RemainderScalar).apply(a, b)


class DivRounded(Function):
    """A rounded quotient: piecewise constant, gradient 0 for both operands (torch's DivBackward2)."""

    torch_name = "DivBackward2"

    def forward(self, a: Any, b: Any, mode: str) -> Any:
        self.shapes = (a.shape, getattr(b, "shape", ()))
        xp = backend.array_module(a)
        with np.errstate(divide="ignore", invalid="ignore"):  # a float zero divisor gives inf/NaN, as torch's
            return (trunc_div if mode == "trunc" else floor_div)(xp, a, b)

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        return tuple(xp.zeros(s, dtype=g.dtype) if n else None for s, n in zip(self.shapes, self.needs_input_grad))

    def backward_graph(self, g: Tensor) -> tuple:
        return tuple(sum_zero(g, s) if n else None for s, n in zip(self.shapes, self.needs_input_grad))


def sum_zero(g: Tensor, shape: tuple) -> Tensor:
    return sum_to(g * 0, shape)


@out_arg
def divide(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002 - torch's name
    """a / b; ``rounding_mode="trunc"`` rounds toward zero, ``"floor"`` down (then integer dtypes stay)."""
    if rounding_mode is None:
        return ew.div(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    a, b = _int_safe(input, other)
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    return DivRounded.apply(a, b, rounding_mode)


@out_arg
def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """floor(a / b) (torch's rounding since 1.13); no derivative, as torch."""
    a, b = _int_safe(input, other)
    a = a if isinstance(a, Tensor) else as_tensor(a, b)
    b = b if isinstance(b, Tensor) else as_tensor(b, a)
    return no_derivative("floor_divide", lambda x, y: floor_div(backend.array_module(x), x, y), a, b)


def _integers(name: str, a: Any, b: Any) -> tuple[Any, Any]:
    a, b = binary_operands(a, b)
    a = a if isinstance(a, Tensor) else as_tensor(a, b)
    b = b if isinstance(b, Tensor) else as_tensor(b, a)
    if a._data.dtype.kind not in "iu":
        raise refuse_dtype(f"{name}_cpu", a._data.dtype)
    return a, b


@out_arg
def gcd(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The greatest common divisor (non-negative), integer tensors only."""
    a, b = _integers("gcd", input, other)
    return Tensor._wrap(backend.array_module(a._data).gcd(a._data, b._data))


@out_arg
def lcm(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The least common multiple (non-negative; 0 when either is 0), integer tensors only."""
    a, b = _integers("lcm", input, other)
    return Tensor._wrap(backend.array_module(a._data).lcm(a._data, b._data))


class Nextafter(Binary):
    value = staticmethod(lambda m, a, b: m.nextafter(a, b))
    grads = staticmethod(lambda m, g, a, b, y: (m.where(m.raw(a) == m.raw(b), 0.0, g), g * 0))


@out_arg
def nextafter(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The next representable float after input toward other."""
    a, b = float_operands(input, other, "nextafter_cpu")
    return Nextafter.apply(a, as_tensor(b, a))


@out_arg
def heaviside(input: Tensor, values: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """0 where input < 0, 1 where input > 0, ``values`` where input == 0 (NaN input gives 0); no derivative."""
    require_tensor("heaviside", input)
    require_tensor("heaviside", values, 2, "values")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")

    def step(x: Any, v: Any) -> Any:
        return backend.array_module(x).where(x == 0, v, (x > 0).astype(x.dtype))

    return no_derivative("heaviside", step, input, values)


@out_arg
def rsub(input: Tensor, other: Any, alpha: Any = 1) -> Tensor:  # noqa: A002 - torch's name
    """other - alpha · input (the reflected subtraction)."""
    require_tensor("rsub", input)
    return ew.sub(other, input, alpha=alpha)


true_divide = ew.div
multiply, subtract = ew.mul, ew.sub
greater, greater_equal, less, less_equal, not_equal = ew.gt, ew.ge, ew.lt, ew.le, ew.ne

_OUT_OF_PLACE: dict[str, Any] = {
    "fmod": fmod, "remainder": remainder, "divide": divide, "floor_divide": floor_divide, "gcd": gcd, "lcm": lcm,
    "nextafter": nextafter, "heaviside": heaviside, "true_divide": true_divide, "multiply": multiply,
    "subtract": subtract, "greater": greater, "greater_equal": greater_equal, "less": less,
    "less_equal": less_equal, "not_equal": not_equal,
}
METHODS: dict[str, Any] = {
    **_OUT_OF_PLACE, **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _OUT_OF_PLACE.items()},
    # x.div(y, rounding_mode=...) and x.div_(...): torch's div takes the rounding mode too
    "div": divide, "div_": inplace.inplace(divide, "div_"),
    "__floordiv__": floor_divide, "__rfloordiv__": lambda self, other: floor_divide(other, self),
    "__mod__": remainder, "__rmod__": lambda self, other: remainder(other, self),
    "__ifloordiv__": inplace.inplace(floor_divide, "__ifloordiv__"), "__imod__": inplace.inplace(remainder, "__imod__"),
}
