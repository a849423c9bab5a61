"""Helpers shared by the op families: argument coercion, dtype promotion, broadcast reduction."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..autograd.grad_mode import _enabled


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``: the adjoint of NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def sum_to(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``unbroadcast`` in differentiable ops (for ``backward_graph``)."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    return grad.reshape(shape)


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""

    def forward(self, x: Any, dtype: np.dtype) -> Any:
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, grad: Any) -> Any:
        return grad.astype(self.src)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return cast(grad, self.src)


def cast(t: Tensor, dtype: Any) -> Tensor:
    dtype = backend.to_dtype(dtype)
    if t._data.dtype == dtype:
        return t
    return Cast.apply(t, dtype)


def to_float(t: Tensor) -> Tensor:
    """``t`` itself if floating, else cast to the default float dtype (torch's rule for true division etc.)."""
    return t if t._data.dtype.kind == "f" else cast(t, backend.get_default_dtype())


def as_tensor(x: Any, like: Tensor) -> Tensor:
    """``x`` as a Tensor on ``like``'s device (Python numbers and arrays become constants)."""
    if isinstance(x, Tensor):
        return x
    xp = backend.array_module(like._data)
    if isinstance(x, (bool, int, float)):
        return Tensor._wrap(xp.asarray(x, dtype=scalar_dtype(like._data.dtype, x)))
    if isinstance(x, (list, tuple, np.ndarray, np.generic)) or type(x).__module__.startswith("cupy"):
        arr = backend.move_to(x, like.device)
        backend.to_dtype(arr.dtype)
        return Tensor._wrap(arr)
    raise TypeError(f"expected a Tensor, a number or an array as operand, got {type(x).__name__}")


def scalar_dtype(dtype: np.dtype, s: Any) -> np.dtype:
    """torch's result dtype for tensor ``dtype`` combined with a Python scalar ``s``."""
    if isinstance(s, bool) or dtype.kind == "f":
        return dtype
    if isinstance(s, float):
        return backend.get_default_dtype()
    return dtype if dtype.kind in "iu" else np.dtype(np.int64)


def _category(dt: np.dtype) -> int:
    return 0 if dt.kind == "b" else 1 if dt.kind in "iu" else 2


def binary_operands(a: Any, b: Any) -> tuple[Any, Any]:
    """Coerce two operands to a common device and dtype, torch's way.

    Python scalars stay raw (they need no gradient), converted to the result dtype.
    """
    if not isinstance(a, Tensor):
        a, b = b, a
        swapped = True
    else:
        swapped = False
    if isinstance(b, Tensor):
        da, db = a._data.dtype, b._data.dtype
        if type(a._data) is not type(b._data) and backend.device_of(a._data) != backend.device_of(b._data):
            raise RuntimeError(
                f"expected all tensors to be on the same device, but found at least two devices, "
                f"{a.device} and {b.device}"
            )
        if da is not db and da != db:
            # torch: a 0-d tensor yields to a dimensioned one unless its category (bool < int < float) is higher
            za, zb = a._data.ndim == 0, b._data.ndim == 0
            if zb and not za and _category(db) <= _category(da):
                target = da
            elif za and not zb and _category(da) <= _category(db):
                target = db
            else:
                target = backend.promote_types(da, db)
            a, b = cast(a, target), cast(b, target)
    elif isinstance(b, (bool, int, float)):
        da = a._data.dtype
        dt = scalar_dtype(da, b)
        if dt is not da and dt != da:
            a = cast(a, dt)
        b = dt.type(b)
    else:
        b = as_tensor(b, a)
        return binary_operands(b, a) if swapped else binary_operands(a, b)
    return (b, a) if swapped else (a, b)


class ToDevice(Function):
    """Move to another device; the gradient moves back."""

    def forward(self, x: Any, dev: Any) -> Any:
        self.src = backend.device_of(x)
        return backend.move_to(x, dev)

    def backward(self, grad: Any) -> Any:
        return backend.move_to(grad, self.src)

    def backward_graph(self, grad: Tensor) -> Tensor:
        return ToDevice.apply(grad, self.src)


class Clone(Function):
    def forward(self, x: Any) -> Any:
        return x.copy()

    def backward(self, grad: Any) -> Any:
        return grad

    def backward_graph(self, grad: Tensor) -> Tensor:
        return grad


def check_same_device(op: str, first: tuple[str, Tensor], *others: tuple[str, Tensor | None]) -> None:
    """A clear error naming both devices when any of ``others`` (name, tensor) is not on ``first``'s device."""
    name0, t0 = first
    for name, t in others:
        if t is not None and type(t._data) is not type(t0._data) and t.device != t0.device:
            raise RuntimeError(
                f"{op}: expected all tensors to be on the same device, but {name0} is on {t0.device} and "
                f"{name} is on {t.device}"
            )


def dim_aliases(fn: Any) -> Any:
    """torch's NumPy-style keywords on a dim-taking function: ``axis=`` for ``dim=``, ``keepdims=`` for
    ``keepdim=`` (``x.sum(axis=0, keepdims=True)``, ``mt.cat(ts, axis=1)``)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for alias, name in (("axis", "dim"), ("keepdims", "keepdim")):
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got both '{name}' and its alias '{alias}'")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return wrapper


def out_arg(fn: Any) -> Any:
    """torch's ``out=`` on a function: the result is written into ``out`` (resized when its shape differs, as
    torch does), which is returned. As torch, refused when the inputs require grad in grad mode."""

    @functools.wraps(fn)
    def wrapper(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        if out is None:
            return fn(*args, **kwargs)
        if _enabled[0] and any(isinstance(a, Tensor) and a.requires_grad for a in args):
            raise RuntimeError(
                f"{fn.__name__}(): functions with out=... arguments don't support automatic differentiation, but "
                "one of the arguments requires grad."
            )
        result = fn(*args, **kwargs)._data
        if result.shape == out._data.shape and result.dtype == out._data.dtype:
            out._data[...] = result
        else:
            out._data = result
        out._version_counter[0] += 1
        return out

    return wrapper
