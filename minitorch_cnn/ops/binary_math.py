"""Binary elementwise math, broadcasting, with Python numbers as either operand (integer tensors become the
default float dtype where torch's result is floating):

    y = atan2(a, b)        dy/da = b / (a² + b²)              dy/db = -a / (a² + b²)
    y = hypot(a, b)        dy/da = a / y                      dy/db = b / y
    y = xlogy(a, b)        dy/da = log b (0 where a = 0, b <= 0)   dy/db = a / b     (y = 0 where a = 0)
    y = xlog1py(a, b)      dy/da = log(1 + b) (0 where a = 0, b <= -1)   dy/db = a / (1 + b)
    y = zeta(x, q) = Σₖ (k + q)^-x               dy/dq = -x ζ(x + 1, q)          (none in x, as torch)
    y = logaddexp(a, b) = log(eᵃ + eᵇ)            dy/da = 1 / (1 + e^(b-a))       (and symmetrically)
    y = logaddexp2(a, b) = log₂(2ᵃ + 2ᵇ)          dy/da = 1 / (1 + 2^(b-a))
    y = copysign(a, b) = |a| · sign b             dy/da = y / a (0 at a = 0)      dy/db = 0
    y = fmax(a, b), fmin(a, b): NaN loses         dy/da = 1 where a wins, ½ at a tie (torch's max/min rule)
    y = ldexp(a, b) = a · 2ᵇ                      dy/da = 2ᵇ                      dy/db = y ln 2
    y = lerp(s, e, w) = s + w (e - s)             dy/ds = 1 - w    dy/de = w      dy/dw = e - s
    y = addcmul(x, t₁, t₂, v) = x + v t₁ t₂       dy/dt₁ = v t₂                   dy/dt₂ = v t₁
    y = addcdiv(x, t₁, t₂, v) = x + v t₁ / t₂     dy/dt₁ = v / t₂                 dy/dt₂ = -v t₁ / t₂²
    float_power: ``pow`` in float64; clamp_min / clamp_max: ``clamp`` with one bound (or ``maximum`` /
    ``minimum`` for a tensor bound), under torch's node names.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import elementwise as ew
from . import inplace
from ._util import as_tensor, binary_operands, cast, out_arg, scalar_dtype, sum_to, unbroadcast
from .pointwise_base import TENSORS, Binary, refuse_dtype, torch_type_name

_LN2 = math.log(2.0)


def float_operands(a: Any, b: Any, kernel: str | None = None) -> tuple[Any, Any]:
    """torch's promotion of two operands, then integer results to the default float dtype (or, with ``kernel``,
    torch's refusal of integer inputs)."""
    a, b = binary_operands(a, b)
    dt = (a if isinstance(a, Tensor) else b)._data.dtype
    if dt.kind != "f":
        if kernel is not None:
            raise refuse_dtype(kernel, dt)
        f = backend.get_default_dtype()
        a, b = (cast(x, f) if isinstance(x, Tensor) else f.type(x) for x in (a, b))
    return a, b


class Atan2(Binary):
    value = staticmethod(lambda m, a, b: m.arctan2(a, b))

    @staticmethod
    def grads(m: Any, g: Any, a: Any, b: Any, y: Any) -> tuple:
        r = 1 / (a * a + b * b)
        return g * b * r, g * -a * r


class Hypot(Binary):
    value = staticmethod(lambda m, a, b: m.hypot(a, b))
    grads = staticmethod(lambda m, g, a, b, y: (g * a / y, g * b / y))


class Xlogy(Binary):
    value = staticmethod(lambda m, a, b: m.xlogy(a, b))

    @staticmethod
    def grads(m: Any, g: Any, a: Any, b: Any, y: Any) -> tuple:
        masked = (m.raw(a) == 0) & (m.raw(b) <= 0)
        return m.where(masked, 0.0, m.xlogy(g, b)), g * a / b


def _logaddexp_value(m: Any, a: Any, b: Any, exp: str, scale: float) -> Any:
    # torch's: max + log1p(e^-|a-b|), and the common infinity itself where a = b = ±inf
    top = m.maximum(a, b)
    return m.where(m.isinf(a) & (a == b), a, top + m.log1p(getattr(m, exp)(-abs(a - b))) * scale)


class Logaddexp(Binary):
    value = staticmethod(lambda m, a, b: _logaddexp_value(m, a, b, "exp", 1.0))
    grads = staticmethod(lambda m, g, a, b, y: (g / (1 + m.exp(b - a)), g / (1 + m.exp(a - b))))


class Logaddexp2(Binary):
    value = staticmethod(lambda m, a, b: _logaddexp_value(m, a, b, "exp2", 1 / _LN2))
    grads = staticmethod(lambda m, g, a, b, y: (g / (1 + m.exp2(b - a)), g / (1 + m.exp2(a - b))))


class Copysign(Binary):
    value = staticmethod(lambda m, a, b: m.copysign(a, b))

    @staticmethod
    def grads(m: Any, g: Any, a: Any, b: Any, y: Any) -> tuple:
        zero = m.raw(a) == 0
        return g * m.where(zero, 0.0, y / m.where(zero, 1.0, a)), g * 0


class CopysignScalar(Copysign):
    torch_name = "CopysignBackward1"


class Xlog1py(Binary):
    torch_name = "SpecialXlog1PyBackward0"
    value = staticmethod(lambda m, a, b: m.xlog1py(a, b))

    @staticmethod
    def grads(m: Any, g: Any, a: Any, b: Any, y: Any) -> tuple:
        masked = (m.raw(a) == 0) & (m.raw(b) <= -1)
        return m.where(masked, 0.0, m.xlog1py(g, b)), g * a / (b + 1)


class Zeta(Binary):
    torch_name = "SpecialZetaBackward0"
    value = staticmethod(lambda m, x, q: m.special("zeta", x, q))

    @staticmethod
    def grads(m: Any, g: Any, x: Any, q: Any, y: Any) -> tuple:
        # torch has no derivative in x (the order); in q: ∂ζ(x, q)/∂q = -x ζ(x + 1, q)
        return None, -g * x * m.special("zeta", x + 1, q)

    def backward(self, g: Any) -> tuple:
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return super().backward(g)

    def backward_graph(self, g: Tensor) -> tuple:
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return super().backward_graph(g)


class XlogyScalarSelf(Xlogy):
    torch_name = "XlogyBackward1"


class XlogyScalarOther(Xlogy):
    torch_name = "XlogyBackward2"


def _maxmin_grads(a_loses: Any) -> Any:
    def grads(m: Any, g: Any, a: Any, b: Any, y: Any) -> tuple:
        ra, rb = m.raw(a), m.raw(b)
        shared = m.where(ra == rb, g * 0.5, g)  # NaN against anything: both get g, as torch's
        return m.where(a_loses(ra, rb), 0.0, shared), m.where(a_loses(rb, ra), 0.0, shared)

    return staticmethod(grads)


class Fmax(Binary):
    value = staticmethod(lambda m, a, b: m.fmax(a, b))
    grads = _maxmin_grads(lambda a, b: a < b)


class Fmin(Binary):
    value = staticmethod(lambda m, a, b: m.fmin(a, b))
    grads = _maxmin_grads(lambda a, b: a > b)


class Ldexp(Binary):
    value = staticmethod(lambda m, a, b: a * m.exp2(b))
    grads = staticmethod(lambda m, g, a, b, y: (g * m.exp2(b), g * a * _LN2 * m.exp2(b)))


@out_arg
def atan2(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The angle of (other, input) in (-π, π], quadrant-aware."""
    return Atan2.apply(*float_operands(input, other))


@out_arg
def hypot(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """√(a² + b²) without overflow; floating tensors only, as torch."""
    return Hypot.apply(*float_operands(input, other, "hypot_cpu"))


@out_arg
def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """a · log b, 0 where a = 0 (even at b = 0), NaN where b is NaN."""
    a, b = float_operands(input, other)
    cls = Xlogy if isinstance(a, Tensor) and isinstance(b, Tensor) else XlogyScalarSelf if isinstance(b, Tensor) \
        else XlogyScalarOther
    return cls.apply(a, b)


@out_arg
def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """a · log(1 + b), 0 where a = 0, NaN where b is NaN (``mt.special.xlog1py``)."""
    return Xlog1py.apply(*float_operands(input, other))


@out_arg
def zeta(input: Any, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The Hurwitz zeta function ζ(x, q) = Σₖ (k + q)^-x (``mt.special.zeta``; torch's Cephes algorithm)."""
    return Zeta.apply(*float_operands(input, other))


@out_arg
def logaddexp(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """log(eᵃ + eᵇ) without overflow."""
    return Logaddexp.apply(*float_operands(input, other, "logaddexp_cpu"))


@out_arg
def logaddexp2(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """log₂(2ᵃ + 2ᵇ) without overflow."""
    return Logaddexp2.apply(*float_operands(input, other, "logaddexp2_cpu"))


@out_arg
def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """|input| with the sign of ``other`` (-0.0 counts as negative)."""
    a, b = float_operands(input, other)
    return (Copysign if isinstance(b, Tensor) else CopysignScalar).apply(a, b)


@out_arg
def fmax(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The larger of the two; a NaN loses to a number (``maximum`` propagates it)."""
    a, b = binary_operands(input, other)
    return Fmax.apply(a, as_tensor(b, a))


@out_arg
def fmin(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """The smaller of the two; a NaN loses to a number (``minimum`` propagates it)."""
    a, b = binary_operands(input, other)
    return Fmin.apply(a, as_tensor(b, a))


@out_arg
def ldexp(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """input · 2^other."""
    return Ldexp.apply(*float_operands(input, other))


class PowTensorExponent(ew.Pow):
    torch_name = "PowBackward1"


class PowScalarBase(ew.Pow):
    torch_name = "PowBackward2"


@out_arg
def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002 - torch's name
    """``pow`` computed in float64, whatever the inputs' dtypes (torch's)."""
    a, b = (cast(x, np.float64) if isinstance(x, Tensor) else np.float64(x) for x in (input, exponent))
    if not isinstance(b, Tensor):
        return ew.pow(a, b)
    return (PowTensorExponent if isinstance(a, Tensor) else PowScalarBase).apply(a, b)


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {torch_type_name(self._data.dtype)} but the "
                           "operation's result requires dtype Double")
    return inplace.apply_inplace(self, float_power, (exponent,), {}, "float_power_")


class ClampMin(ew.Clamp):
    torch_name = "ClampMinBackward0"


class ClampMax(ew.Clamp):
    torch_name = "ClampMaxBackward0"


class ClampMinTensor(ew.Maximum):
    torch_name = "ClampMinBackward1"


class ClampMaxTensor(ew.Minimum):
    torch_name = "ClampMaxBackward1"


def _clamp_one(input: Tensor, bound: Any, lower: bool) -> Tensor:  # noqa: A002 - torch's name
    if isinstance(bound, Tensor):
        a, b = binary_operands(input, bound)
        return (ClampMinTensor if lower else ClampMaxTensor).apply(a, b)
    dt = scalar_dtype(input._data.dtype, bound)
    x = cast(input, dt)
    return ClampMin.apply(x, bound, None) if lower else ClampMax.apply(x, None, bound)


@out_arg
def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002 - torch's names
    """max(input, min); the gradient passes where input > min (at a tensor bound's ties, half each)."""
    return _clamp_one(input, min, True)


@out_arg
def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002 - torch's names
    """min(input, max); the gradient passes where input < max (at a tensor bound's ties, half each)."""
    return _clamp_one(input, max, False)


# the dtypes as torch's lerp messages print them
_LERP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
               "bool": "bool", "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}


class Lerp(Function):
    def forward(self, start: Any, end: Any, weight: Any) -> Any:
        xp = backend.array_module(start)
        self.start, self.end, self.weight = start, end, weight
        self.shapes = (start.shape, end.shape, getattr(weight, "shape", ()))
        # torch's two-sided form: exact at both ends (w = 0 gives start, w = 1 gives end)
        return xp.where(abs(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))

    def backward(self, g: Any) -> tuple:
        w, (s0, s1, s2) = self.weight, self.shapes
        need = self.needs_input_grad
        return (unbroadcast(g * (1 - w), s0) if need[0] else None, unbroadcast(g * w, s1) if need[1] else None,
                unbroadcast(g * (self.end - self.start), s2) if need[2] else None)

    def backward_graph(self, g: Tensor) -> tuple:
        s, e = self.input_tensor(0, self.start), self.input_tensor(1, self.end)
        w = self.weight if self.inputs[2] is None else self.input_tensor(2, self.weight)  # a number, or a tensor
        (s0, s1, s2), need = self.shapes, self.needs_input_grad
        return (sum_to(g * (1 - w), s0) if need[0] else None, sum_to(g * w, s1) if need[1] else None,
                sum_to(g * (e - s), s2) if need[2] else None)


class LerpTensor(Lerp):
    torch_name = "LerpBackward1"


@out_arg
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002 - torch's name
    """input + weight · (end - input); ``weight`` a number, a tensor of input's dtype, or a 0-d tensor of any dtype
    (cast to input's, as torch takes it; its gradient comes back in its own dtype), all broadcasting."""
    dt = input._data.dtype
    tensor_w = isinstance(weight, Tensor)
    if tensor_w and weight.ndim == 0 and weight._data.dtype != dt:
        weight = cast(weight, dt)
    for name, t in (("end", end), ("weight", weight if tensor_w else None)):
        if t is not None and t._data.dtype != dt:
            raise RuntimeError(f"expected dtype {_LERP_NAMES[dt.name]} for `{name}` but got dtype "
                               f"{_LERP_NAMES[t._data.dtype.name]}")
    if dt.kind != "f":
        raise refuse_dtype("lerp_kernel_tensor_weight" if tensor_w else "lerp_kernel_scalar", dt)
    if tensor_w:
        return LerpTensor.apply(input, end, weight)
    return Lerp.apply(input, end, dt.type(weight))


class _AddcOp(Function):
    """x + v · combine(t₁, t₂); ``slopes`` gives d/dt₁ and d/dt₂ of combine."""

    combine: Any = None
    slopes: Any = None

    def forward(self, x: Any, t1: Any, t2: Any, value: Any) -> Any:
        self.t1, self.t2, self.v = t1, t2, value
        self.shapes = (x.shape, t1.shape, t2.shape)
        return x + self.combine(value * t1, t2)

    def _grads(self, g: Any, t1: Any, t2: Any, reduce: Any) -> tuple:
        d1, d2 = self.slopes(self.v, t1, t2)
        (s0, s1, s2), need = self.shapes, self.needs_input_grad
        return (reduce(g, s0) if need[0] else None, reduce(g * d1, s1) if need[1] else None,
                reduce(g * d2, s2) if need[2] else None)

    def backward(self, g: Any) -> tuple:
        return self._grads(g, self.t1, self.t2, unbroadcast)

    def backward_graph(self, g: Tensor) -> tuple:
        return self._grads(g, self.input_tensor(1, self.t1), self.input_tensor(2, self.t2), sum_to)


class Addcmul(_AddcOp):
    combine = staticmethod(lambda vt1, t2: vt1 * t2)
    slopes = staticmethod(lambda v, t1, t2: (t2 * v, t1 * v))


class Addcdiv(_AddcOp):
    combine = staticmethod(lambda vt1, t2: vt1 / t2)
    slopes = staticmethod(lambda v, t1, t2: (v / t2, -v * t1 / (t2 * t2)))


def _addc_operands(input: Tensor, t1: Tensor, t2: Tensor, value: Any) -> tuple:  # noqa: A002 - torch's name
    dt = backend.promote_types(backend.promote_types(input._data.dtype, t1._data.dtype), t2._data.dtype)
    return cast(input, dt), cast(t1, dt), cast(t2, dt), dt.type(value)


@out_arg
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value · tensor1 · tensor2, broadcasting."""
    return Addcmul.apply(*_addc_operands(input, tensor1, tensor2, value))


@out_arg
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
    """input + value · tensor1 / tensor2, broadcasting; refused for integer tensors, as torch."""
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                           "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                           "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                           "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                           "for all dtypes.")
    return Addcdiv.apply(*_addc_operands(input, tensor1, tensor2, value))


TENSORS.xlogy, TENSORS.xlog1py = xlogy, xlog1py
arctan2 = atan2

_OUT_OF_PLACE: dict[str, Any] = {
    "atan2": atan2, "arctan2": arctan2, "hypot": hypot, "xlogy": xlogy, "copysign": copysign, "ldexp": ldexp,
    "lerp": lerp, "clamp_min": clamp_min, "clamp_max": clamp_max, "addcmul": addcmul, "addcdiv": addcdiv,
}
METHODS: dict[str, Any] = {
    **_OUT_OF_PLACE, "logaddexp": logaddexp, "logaddexp2": logaddexp2, "fmax": fmax, "fmin": fmin,
    "float_power": float_power, "float_power_": _float_power_,
    **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _OUT_OF_PLACE.items()},
}
