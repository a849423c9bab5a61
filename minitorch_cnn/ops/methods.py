"""Attach the ops to ``Tensor`` as methods and operators, under torch's names.

This is the one place where the ops floor reaches up into the Tensor class; every entry
forwards to a function defined in the op family files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import elementwise as ew
from . import indexing, matmul, reduction, shape, softmax
from ._util import Clone, ToDevice, cast


def parse_to(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """(device, dtype) from torch's ``.to`` forms: to(device), to(dtype), to(device, dtype), to(tensor).

    Shared by ``Tensor.to`` and ``nn.Module.to``; either may be None.
    """
    dev, dtype = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, backend.Device) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda")):
            dev = a
        elif a is not None:
            dtype = a
    return dev, dtype


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``.to(device)``, ``.to(dtype)``, ``.to(device, dtype)`` or ``.to(other_tensor)``."""
    dev, dtype = parse_to(args, kwargs)
    out = self
    if dev is not None and backend.Device(dev) != self.device:
        out = ToDevice.apply(out, backend.Device(dev))
    if dtype is not None:
        out = cast(out, dtype)
    return out


def _scalar(self: Tensor, kind: type) -> Any:
    return kind(self.item())


def _inplace(fn: Any) -> Any:
    """``x.op_(...)``: compute out of place, then write into x's storage (bumping its version)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        self._check_inplace()
        result = fn(self.detach(), *args, **kwargs)._data
        return self._set_(result)

    method.__name__ = fn.__name__ + "_"
    return method


def _zero_(self: Tensor) -> Tensor:
    return self._set_(0)


def _fill_(self: Tensor, value: Any) -> Tensor:
    return self._set_(value._data if isinstance(value, Tensor) else value)


def _copy_(self: Tensor, src: Any) -> Tensor:
    data = src._data if isinstance(src, Tensor) else src
    return self._set_(backend.move_to(data, self.device))


def _uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    arr = backend.generator().uniform(a, b, size=self.shape)
    return self._set_(backend.move_to(arr.astype(self.dtype), self.device))


def _normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    arr = backend.generator().normal(mean, std, size=self.shape)
    return self._set_(backend.move_to(arr.astype(self.dtype), self.device))


def _addcmul_(self: Tensor, t1: Tensor, t2: Tensor, value: float = 1) -> Tensor:
    return self._set_(self._data + value * t1._data * t2._data)


def _addcdiv_(self: Tensor, t1: Tensor, t2: Tensor, value: float = 1) -> Tensor:
    return self._set_(self._data + value * t1._data / t2._data)


def _reflect(fn: Any) -> Any:
    return lambda self, other: fn(other, self)


_METHODS: dict[str, Any] = {
    # arithmetic and operators
    "__add__": ew.add, "__radd__": _reflect(ew.add), "__sub__": ew.sub, "__rsub__": _reflect(ew.sub),
    "__mul__": ew.mul, "__rmul__": _reflect(ew.mul), "__truediv__": ew.div, "__rtruediv__": _reflect(ew.div),
    "__pow__": ew.pow, "__rpow__": _reflect(ew.pow), "__neg__": ew.neg, "__abs__": ew.abs,
    "__matmul__": matmul.matmul, "__rmatmul__": _reflect(matmul.matmul),
    "__eq__": lambda self, other: NotImplemented if other is None else ew.eq(self, other),
    "__ne__": lambda self, other: NotImplemented if other is None else ew.ne(self, other),
    "__lt__": ew.lt, "__le__": ew.le, "__gt__": ew.gt, "__ge__": ew.ge,
    "__getitem__": indexing.getitem, "__setitem__": indexing.setitem,
    "__float__": lambda self: _scalar(self, float), "__int__": lambda self: _scalar(self, int),
    "__bool__": lambda self: _scalar(self, bool), "__index__": lambda self: _scalar(self, int),
    "__iter__": lambda self: (self[i] for i in range(len(self))),
    "__hash__": object.__hash__,
    "add": ew.add, "sub": ew.sub, "mul": ew.mul, "div": ew.div, "neg": ew.neg, "pow": ew.pow,
    "exp": ew.exp, "log": ew.log, "sqrt": ew.sqrt, "abs": ew.abs, "relu": ew.relu, "sigmoid": ew.sigmoid,
    "tanh": ew.tanh, "clamp": ew.clamp, "clip": ew.clamp, "maximum": ew.maximum, "minimum": ew.minimum,
    "eq": ew.eq, "ne": ew.ne, "lt": ew.lt, "le": ew.le, "gt": ew.gt, "ge": ew.ge,
    "matmul": matmul.matmul, "mm": matmul.matmul,
    # reductions
    "sum": reduction.sum, "mean": reduction.mean, "max": reduction.max, "min": reduction.min,
    "amax": reduction.amax, "amin": reduction.amin, "argmax": reduction.argmax, "argmin": reduction.argmin,
    "var": reduction.var, "std": reduction.std,
    # shapes
    "reshape": shape.reshape, "view": shape.view, "flatten": shape.flatten, "unflatten": shape.unflatten,
    "permute": shape.permute, "transpose": shape.transpose, "t": shape.t, "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze, "expand": shape.expand, "expand_as": shape.expand_as,
    "contiguous": shape.contiguous, "split": shape.split, "chunk": shape.chunk,
    "view_as": lambda self, other: shape.view(self, other.shape),
    "reshape_as": lambda self, other: shape.reshape(self, other.shape),
    "softmax": softmax.softmax, "log_softmax": softmax.log_softmax,
    # conversions
    "to": _to, "cpu": lambda self: _to(self, "cpu"), "cuda": lambda self, device=None: _to(self, "cuda"),
    "float": lambda self: cast(self, np.float32), "double": lambda self: cast(self, np.float64),
    "half": lambda self: cast(self, np.float16), "long": lambda self: cast(self, np.int64),
    "int": lambda self: cast(self, np.int32), "bool": lambda self: cast(self, np.bool_),
    "type": lambda self, dtype=None: str(self.dtype) if dtype is None else cast(self, dtype),
    "type_as": lambda self, other: cast(self, other.dtype),
    "clone": lambda self: Clone.apply(self),
    # in place (for optimizers and init, under no_grad)
    "add_": _inplace(ew.add), "sub_": _inplace(ew.sub), "mul_": _inplace(ew.mul), "div_": _inplace(ew.div),
    "clamp_": _inplace(ew.clamp), "pow_": _inplace(ew.pow), "sqrt_": _inplace(ew.sqrt),
    "zero_": _zero_, "fill_": _fill_, "copy_": _copy_, "uniform_": _uniform_, "normal_": _normal_,
    "addcmul_": _addcmul_, "addcdiv_": _addcdiv_,
}


def install() -> None:
    """Bind every entry of the table onto ``Tensor``."""
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(lambda self: shape.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: shape.transpose(self, -2, -1))
