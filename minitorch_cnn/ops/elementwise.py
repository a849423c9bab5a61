"""Elementwise ops: arithmetic, exp/log/pow, activations, clamp, where, maximum/minimum, comparisons.

Every binary op broadcasts like NumPy; its backward sums the gradient back to each input's
shape (``unbroadcast``).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import backend, kernels
from ..autograd import Function, Tensor
from ..kernels import logistic
from ._util import as_tensor, binary_operands, cast, check_same_device, out_arg, sum_to, to_float, unbroadcast


class Add(Function):
    torch_edges = (0, 1)  # a Python scalar operand is listed as (None, 0), as torch's wrapped number

    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, g: Any) -> tuple:
        sa, sb = self.shapes
        return unbroadcast(g, sa), unbroadcast(g, sb)

    def backward_graph(self, g: Tensor) -> tuple:
        sa, sb = self.shapes
        return sum_to(g, sa), sum_to(g, sb)


class Sub(Function):
    torch_edges = (0, 1)

    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, g: Any) -> tuple:
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        return (unbroadcast(g, sa) if need_a else None), (unbroadcast(-g, sb) if need_b else None)

    def backward_graph(self, g: Tensor) -> tuple:
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        return (sum_to(g, sa) if need_a else None), (sum_to(-g, sb) if need_b else None)


class Mul(Function):
    torch_edges = (0, 1)

    fresh_grads = True  # backward allocates every array it returns

    def forward(self, a: Any, b: Any) -> Any:
        need_a, need_b = self.needs_input_grad
        self.a = a if need_b else None
        self.b = b if need_a else None
        self.shapes = (a.shape, b.shape)
        return a * b

    def backward(self, g: Any) -> tuple:
        sa, sb = self.shapes
        ga = unbroadcast(g * self.b, sa) if self.b is not None else None
        gb = unbroadcast(g * self.a, sb) if self.a is not None else None
        return ga, gb

    def backward_graph(self, g: Tensor) -> tuple:
        sa, sb = self.shapes
        ga = sum_to(g * self.input_tensor(1, self.b), sa) if self.b is not None else None
        gb = sum_to(g * self.input_tensor(0, self.a), sb) if self.a is not None else None
        return ga, gb


class Div(Function):
    torch_edges = (0, 1)

    # y = a / b;  dy/da = 1/b;  dy/db = -(a/b)/b, torch's formula. As torch, the node keeps b (for a's gradient)
    # and a (for b's, only when b needs one), never its output, so the output may be modified in place.
    def forward(self, a: Any, b: Any) -> Any:
        self.a = a if self.needs_input_grad[1] else None
        self.b = b
        self.shapes = (a.shape, b.shape)
        return a / b

    def backward(self, g: Any) -> tuple:
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        ga = unbroadcast(g / self.b, sa) if need_a else None
        gb = unbroadcast(-g * ((self.a / self.b) / self.b), sb) if need_b else None
        return ga, gb

    def backward_graph(self, g: Tensor) -> tuple:
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        b = self.input_tensor(1, self.b)
        ga = sum_to(g / b, sa) if need_a else None
        gb = sum_to(-g * ((self.input_tensor(0, self.a) / b) / b), sb) if need_b else None
        return ga, gb


class Neg(Function):
    def forward(self, a: Any) -> Any:
        return -a

    def backward(self, g: Any) -> Any:
        return -g

    def backward_graph(self, g: Tensor) -> Tensor:
        return -g


class Pow(Function):
    # y = a^b;  dy/da = b a^(b-1) (0 where b == 0);  dy/db = y ln a (0 where a == 0 and b >= 0), as torch masks them.
    # As torch, the output is kept only for b's gradient (a scalar exponent saves the base alone).
    def forward(self, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.shapes = (a.shape, getattr(b, "shape", ()))
        out = a**b
        self.out = out if self.needs_input_grad[1] else None
        return out

    def backward(self, g: Any) -> tuple:
        a, b = self.a, self.b
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        xp = backend.array_module(g)
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):  # the masked entries may be inf/nan before masking
            if need_a:
                ga = unbroadcast(xp.where(b == 0, 0, g * (b * a ** (b - 1))), sa)
            if need_b:
                with_log = xp.where((a == 0) & (b >= 0), 0, self.out * xp.log(xp.where(a == 0, 1, a)))
                gb = unbroadcast(g * with_log, sb)
        return ga, gb

    def backward_graph(self, g: Tensor) -> tuple:
        # the same masks as backward, as constants: where they pick 0 the second derivative is 0 too
        a, b = self.input_tensor(0, self.a), self.input_tensor(1, self.b)
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        xp = backend.array_module(g._data)
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                keep = self.b != 0
                ga = sum_to(where(keep, g * (b * a ** where(keep, b - 1, 1)), 0.0), sa)
            if need_b:
                keep = ~((self.a == 0) & (self.b >= 0))
                safe_a = where(xp.asarray(self.a) == 0, 1.0, a)
                gb = sum_to(where(keep, g * (self.output_tensor(self.out) * log(safe_a)), 0.0), sb)
        return ga, gb


class Exp(Function):
    def forward(self, a: Any) -> Any:
        self.out = backend.array_module(a).exp(a)
        return self.out

    def backward(self, g: Any) -> Any:
        return g * self.out

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * self.output_tensor(self.out)


class Log(Function):
    def forward(self, a: Any) -> Any:
        self.a = a
        return backend.array_module(a).log(a)

    def backward(self, g: Any) -> Any:
        return g / self.a

    def backward_graph(self, g: Tensor) -> Tensor:
        return g / self.input_tensor(0, self.a)


class Sqrt(Function):
    def forward(self, a: Any) -> Any:
        self.out = backend.array_module(a).sqrt(a)
        return self.out

    def backward(self, g: Any) -> Any:
        return g / (2 * self.out)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g / (2 * self.output_tensor(self.out))


class Abs(Function):
    def forward(self, a: Any) -> Any:
        self.a = a
        return builtins.abs(a)

    def backward(self, g: Any) -> Any:
        return g * backend.array_module(self.a).sign(self.a)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * backend.array_module(self.a).sign(self.a)


class Sign(Function):
    # sign(x) = (x > 0) - (x < 0): in {-1, 0, 1}, 0 at ±0 and at NaN (torch's formula, where NumPy's sign gives
    # NaN); piecewise constant, so its gradient is 0 everywhere, as torch's
    def forward(self, a: Any) -> Any:
        self.shape = a.shape
        if a.dtype == bool:
            return a.copy()
        return (a > 0).astype(a.dtype) - (a < 0).astype(a.dtype)

    def backward(self, g: Any) -> Any:
        return backend.array_module(g).zeros(self.shape, dtype=g.dtype)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * 0


class Relu(Function):
    # the gradient at exactly 0 is 0, as torch's threshold_backward; the loops are kernels
    fresh_grads = True  # backward allocates every array it returns

    def forward(self, a: Any) -> Any:
        out = kernels.get("relu_forward", a)(a)
        self.out = out
        return out

    def backward(self, g: Any) -> Any:
        return kernels.get("relu_backward", g)(g, self.out)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * (self.out > 0).astype(self.out.dtype)  # a constant mask: relu'' = 0


class LeakyRelu(Function):
    def forward(self, a: Any, slope: float) -> Any:
        self.mask = a > 0
        self.slope = slope
        return backend.array_module(a).where(self.mask, a, a * a.dtype.type(slope))

    def backward(self, g: Any) -> Any:
        return backend.array_module(g).where(self.mask, g, g * g.dtype.type(self.slope))

    def backward_graph(self, g: Tensor) -> Tensor:
        dt = g.dtype.type
        return g * backend.array_module(self.mask).where(self.mask, dt(1), dt(self.slope))


class Sigmoid(Function):
    # σ(x) = 1 / (1 + e^-x) (e^-x = inf gives 0, the limit); σ' = σ(1-σ)
    def forward(self, a: Any) -> Any:
        self.out = logistic.sigmoid(a)
        return self.out

    def backward(self, g: Any) -> Any:
        return logistic.sigmoid_backward(g, self.out)

    def backward_graph(self, g: Tensor) -> Tensor:
        y = self.output_tensor(self.out)
        return g * y * (1 - y)


class Tanh(Function):
    def forward(self, a: Any) -> Any:
        self.out = backend.array_module(a).tanh(a)
        return self.out

    def backward(self, g: Any) -> Any:
        return g * (1 - self.out * self.out)

    def backward_graph(self, g: Tensor) -> Tensor:
        y = self.output_tensor(self.out)
        return g * (1 - y * y)


class Clamp(Function):
    # gradient passes where min < x < max: torch (2.15) gives 0 exactly at a bound; older torch gave 1
    def forward(self, a: Any, lo: Any, hi: Any) -> Any:
        xp = backend.array_module(a)
        mask = xp.ones(a.shape, dtype=bool)
        out = a
        if lo is not None:
            mask &= a > lo
            out = xp.maximum(out, a.dtype.type(lo))
        if hi is not None:
            mask &= a < hi
            out = xp.minimum(out, a.dtype.type(hi))
        self.mask = mask
        return out

    def backward(self, g: Any) -> Any:
        return g * self.mask

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * self.mask.astype(g.dtype)


class Where(Function):
    def forward(self, cond: Any, a: Any, b: Any) -> Any:
        self.cond = cond
        self.shapes = (a.shape, b.shape)
        return backend.array_module(a).where(cond, a, b)

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        sa, sb = self.shapes
        zero = g.dtype.type(0)
        return None, unbroadcast(xp.where(self.cond, g, zero), sa), unbroadcast(xp.where(self.cond, zero, g), sb)

    def backward_graph(self, g: Tensor) -> tuple:
        sa, sb = self.shapes
        on = self.cond.astype(g.dtype)
        return None, sum_to(g * on, sa), sum_to(g * (1 - on), sb)


class _MaxMin(Function):
    # ties share the gradient equally, as torch's maximum/minimum backward
    pick_a: Any = None
    combine: Any = None

    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        self.a_wins = self.pick_a(a, b)
        self.tie = a == b
        return self.combine(a, b)  # NaN propagates, as in torch

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        sa, sb = self.shapes
        half = g * g.dtype.type(0.5)
        ga = xp.where(self.tie, half, xp.where(self.a_wins, g, 0))
        gb = xp.where(self.tie, half, xp.where(self.a_wins, 0, g))
        return unbroadcast(ga, sa), unbroadcast(gb, sb)

    def backward_graph(self, g: Tensor) -> tuple:
        xp = backend.array_module(self.tie)
        sa, sb = self.shapes
        wa = xp.where(self.tie, 0.5, xp.where(self.a_wins, 1.0, 0.0)).astype(g.dtype)
        return sum_to(g * wa, sa), sum_to(g * (1 - wa), sb)


class Maximum(_MaxMin):
    pick_a = staticmethod(lambda a, b: a > b)
    combine = staticmethod(lambda a, b: backend.array_module(a).maximum(a, b))


class Minimum(_MaxMin):
    pick_a = staticmethod(lambda a, b: a < b)
    combine = staticmethod(lambda a, b: backend.array_module(a).minimum(a, b))


# ---- public functions --------------------------------------------------------------------
@out_arg
def add(a: Any, b: Any, alpha: float = 1) -> Tensor:
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    a, b = binary_operands(a, b)
    return Add.apply(a, b)


@out_arg
def sub(a: Any, b: Any, alpha: float = 1) -> Tensor:
    if alpha != 1:
        b = mul(b, alpha) if isinstance(b, Tensor) else b * alpha
    a, b = binary_operands(a, b)
    return Sub.apply(a, b)


@out_arg
def mul(a: Any, b: Any) -> Tensor:
    a, b = binary_operands(a, b)
    return Mul.apply(a, b)


@out_arg
def div(a: Any, b: Any) -> Tensor:
    a, b = binary_operands(a, b)
    if isinstance(a, Tensor) and a._data.dtype.kind != "f":
        a = to_float(a)
        b = cast(b, a._data.dtype) if isinstance(b, Tensor) else a._data.dtype.type(b)
    elif isinstance(b, Tensor) and b._data.dtype.kind != "f":
        b = to_float(b)
        a = cast(a, b._data.dtype) if isinstance(a, Tensor) else b._data.dtype.type(a)
    return Div.apply(a, b)


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - torch's name
    a, b = binary_operands(a, b)
    return Pow.apply(a, b)


def exp(a: Tensor) -> Tensor:
    return Exp.apply(to_float(a))


def log(a: Tensor) -> Tensor:
    return Log.apply(to_float(a))


def sqrt(a: Tensor) -> Tensor:
    return Sqrt.apply(to_float(a))


def abs(a: Tensor) -> Tensor:  # noqa: A001 - torch's name
    return Abs.apply(a)


def sign(a: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element, in ``a``'s dtype (bool: itself); gradient 0, as torch's."""
    return Sign.apply(a)


def relu(a: Tensor) -> Tensor:
    return Relu.apply(a)


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    if a.dtype.kind != "f":  # torch has no integer leaky_relu (the slope would be truncated)
        raise NotImplementedError(f"leaky_relu: not implemented for {a.dtype} input: expected a floating dtype")
    return LeakyRelu.apply(a, negative_slope)


def sigmoid(a: Tensor) -> Tensor:
    return Sigmoid.apply(to_float(a))


def tanh(a: Tensor) -> Tensor:
    return Tanh.apply(to_float(a))


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return Clamp.apply(a, min, max)


def _scalar_dtype(a: Any, b: Any) -> Any:
    """torch's result type of two Python numbers: bool if both are, int64 if both integral, else the default float."""
    if isinstance(a, (bool, int, np.integer)) and isinstance(b, (bool, int, np.integer)):
        return np.dtype(bool if isinstance(a, bool) and isinstance(b, bool) else np.int64)
    return backend.get_default_dtype()


def where(condition: Any, a: Any = None, b: Any = None) -> Any:
    if a is None and b is None:  # torch.where(cond): nonzero(cond, as_tuple=True)
        return tuple(Tensor._wrap(c.astype(np.int64)) for c in condition._data.reshape(condition.shape or 1).nonzero())
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        if not isinstance(condition, Tensor):
            raise TypeError("where: at least one of the condition and the two value arguments must be a Tensor")
        # torch.where(cond, 1, 0): two numbers give a tensor of their result type on the condition's device
        a = Tensor._wrap(backend.move_to(np.asarray(a, dtype=_scalar_dtype(a, b)), condition.device))
        like = a
    a, b = binary_operands(a, b)
    a = a if isinstance(a, Tensor) else as_tensor(a, b)
    b = b if isinstance(b, Tensor) else as_tensor(b, a)
    if isinstance(condition, Tensor):
        check_same_device("where", ("input", like), ("condition", condition))
    cond = condition._data if isinstance(condition, Tensor) else backend.move_to(condition, like.device)
    return Where.apply(cond.astype(bool, copy=False), a, b)


def maximum(a: Tensor, b: Tensor) -> Tensor:
    a, b = binary_operands(a, b)
    return Maximum.apply(a, as_tensor(b, a))


def minimum(a: Tensor, b: Tensor) -> Tensor:
    a, b = binary_operands(a, b)
    return Minimum.apply(a, as_tensor(b, a))


def _compare(name: str):
    def op(a: Any, b: Any) -> Tensor:
        a, b = binary_operands(a, b)
        x = a._data if isinstance(a, Tensor) else a
        y = b._data if isinstance(b, Tensor) else b
        try:
            return Tensor._wrap(backend.array_module(x).asarray(getattr(x, name)(y)))
        except ValueError as exc:
            raise RuntimeError(
                f"{op.__name__}: the shapes {tuple(x.shape)} and {tuple(y.shape)} cannot be broadcast together"
            ) from exc

    op.__name__ = name.strip("_")
    op.__doc__ = f"Elementwise ``{name}`` (no gradient); a bool tensor."
    return op


eq, ne, lt, le, gt, ge = (_compare(n) for n in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"))
