"""Attach the ops to ``Tensor`` as methods and operators, under torch's names.

This is the one place where the ops floor reaches up into the Tensor class; every entry
forwards to a function defined in the op family files.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import (
    addmm,
    arrange,
    binary_math,
    bit_ops,
    compare,
    detach_inplace,
    diagonal,
    differences,
    division,
    factories,
    flip,
    gather,
    incomplete_gamma,
    index_ops,
    index_reduce,
    indexing,
    inplace,
    least_squares,
    legacy_types,
    linalg,
    linalg_composite,
    logical,
    lu,
    matmul,
    matrix_exp,
    method_surface,
    order_stats,
    predicates,
    products,
    random_fill,
    reduction,
    repeat_interleave,
    rounding,
    sampling,
    scan,
    scatter_reduce,
    shape,
    shared_memory,
    softmax,
    sorting,
    special_fns,
    spectral,
    stacking,
    statistics,
    strided,
    tensor_info,
    triangular,
    triangular_solve,
    trig,
    truth,
    unary_math,
)
from . import elementwise as ew
from ._util import ToDevice, cast


def parse_to(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """(device, dtype) from torch's ``.to`` forms: to(device), to(dtype), to(device, dtype), to(tensor).

    Shared by ``Tensor.to`` and ``nn.Module.to``; either may be None.
    """
    dev, dtype = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, backend.Device) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "meta")):
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
    fmt = kwargs.get("memory_format")
    return out if fmt is None else shape.contiguous(out, fmt)


def _scalar(self: Tensor, kind: type) -> Any:
    return kind(self.item())


# the out-of-place op each `x.<name>_(...)` writes back
_INPLACE: dict[str, Any] = {
    "sin": trig.sin, "cos": trig.cos, "tan": trig.tan, "scatter": gather.scatter,
    "add": ew.add, "sub": ew.sub, "mul": ew.mul, "pow": ew.pow, "neg": ew.neg, "abs": ew.abs,
    "sign": ew.sign, "exp": ew.exp, "log": ew.log, "sqrt": ew.sqrt, "relu": ew.relu, "sigmoid": ew.sigmoid,
    "tanh": ew.tanh, "clamp": ew.clamp, "clip": ew.clamp, "triu": triangular.triu, "tril": triangular.tril,
}
# `x += y` and friends are the same in-place ops under Python's augmented-assignment names
_IOPS: dict[str, Any] = {
    "add": ew.add, "sub": ew.sub, "mul": ew.mul, "truediv": ew.div, "pow": ew.pow,
}


_add, _sub, _mul, _div, _matmul = (f.__wrapped__ for f in (ew.add, ew.sub, ew.mul, ew.div, matmul.matmul))


def _new(factory: Any, name: str) -> Any:
    """``x.new_<name>(*size, dtype=None, device=None)``: a factory taking ``x``'s dtype and device by default."""

    def method(self: Tensor, *args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return factory(*args, dtype=self.dtype if dtype is None else dtype,
                       device=self.device if device is None else device, requires_grad=requires_grad)

    method.__name__ = f"new_{name}"
    return method


def _adjoint(self: Tensor) -> Tensor:
    if self.ndim > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.")
    return shape.t(self)


def _reflect(fn: Any) -> Any:
    return lambda self, other: fn(other, self)


_METHODS: dict[str, Any] = {
    # arithmetic and operators
    # operators take no out=: they bind the undecorated functions (one call less on every a + b)
    # 1 + x and 2 * x are x + 1 and x * 2, as torch records them (the scalar second)
    "__add__": _add, "__radd__": _add, "__sub__": _sub, "__rsub__": _reflect(_sub),
    "__mul__": _mul, "__rmul__": _mul, "__truediv__": _div, "__rtruediv__": _reflect(_div),
    "__pow__": ew.pow, "__rpow__": _reflect(ew.pow), "__neg__": ew.neg, "__abs__": ew.abs,
    "__matmul__": _matmul, "__rmatmul__": _reflect(_matmul),
    "__eq__": lambda self, other: NotImplemented if other is None else ew.eq(self, other),
    "__ne__": lambda self, other: NotImplemented if other is None else ew.ne(self, other),
    "__lt__": ew.lt, "__le__": ew.le, "__gt__": ew.gt, "__ge__": ew.ge,
    "__getitem__": indexing.getitem, "__setitem__": indexing.setitem,
    "__float__": lambda self: _scalar(self, float), "__int__": lambda self: _scalar(self, int),
    "__index__": lambda self: _scalar(self, int), **truth.METHODS,
    "__iter__": lambda self: (self[i] for i in range(len(self))),
    "__hash__": object.__hash__,
    "add": ew.add, "sub": ew.sub, "mul": ew.mul, "neg": ew.neg, "pow": ew.pow,
    "exp": ew.exp, "log": ew.log, "sqrt": ew.sqrt, "abs": ew.abs, "sign": ew.sign, "relu": ew.relu,
    "sigmoid": ew.sigmoid, "tanh": ew.tanh, "clamp": ew.clamp, "clip": ew.clamp, "maximum": ew.maximum,
    "minimum": ew.minimum, "eq": ew.eq, "ne": ew.ne, "lt": ew.lt, "le": ew.le, "gt": ew.gt, "ge": ew.ge,
    "isclose": compare.isclose, "allclose": compare.allclose, "equal": compare.equal,
    "matmul": matmul.matmul, "mm": matmul.mm, "mv": matmul.mv, "dot": matmul.dot, "vdot": matmul.vdot,
    "bmm": matmul.bmm,
    "sin": trig.sin, "cos": trig.cos, "tan": trig.tan, "sinh": trig.sinh, "cosh": trig.cosh, "asin": trig.asin,
    "acos": trig.acos, "atan": trig.atan, "arcsin": trig.asin, "arccos": trig.acos, "arctan": trig.atan,
    "gather": gather.gather, "scatter": gather.scatter, "topk": gather.topk, "norm": reduction.norm,
    "bincount": indexing.bincount, "diag": indexing.diag,
    # reductions
    "sum": reduction.sum, "mean": reduction.mean, "max": reduction.max, "min": reduction.min,
    "amax": reduction.amax, "amin": reduction.amin, "argmax": reduction.argmax, "argmin": reduction.argmin,
    "var": reduction.var, "std": reduction.std, "prod": reduction.prod, "all": reduction.all, "any": reduction.any,
    # shapes
    "reshape": shape.reshape, "view": shape.view, "flatten": shape.flatten, "unflatten": shape.unflatten,
    "permute": shape.permute, "transpose": shape.transpose, "t": shape.t, "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze, "expand": shape.expand, "expand_as": shape.expand_as,
    "contiguous": shape.contiguous, "split": shape.split, "chunk": shape.chunk, "repeat": shape.repeat,
    "swapaxes": shape.swapaxes, "swapdims": shape.swapaxes, "narrow": shape.narrow, "select": shape.select,
    "movedim": shape.movedim, "moveaxis": shape.movedim, "diagonal": diagonal.diagonal,
    "flip": flip.flip_method,
    "view_as": lambda self, other: shape.view(self, other.shape),
    "reshape_as": lambda self, other: shape.reshape(self, other.shape),
    "softmax": softmax.softmax, "log_softmax": softmax.log_softmax,
    "triu": triangular.triu, "tril": triangular.tril, **logical.METHODS,
    **shared_memory.METHODS,
    **matrix_exp.METHODS,
    **sorting.METHODS,
    **scan.METHODS,
    **order_stats.METHODS,
    **statistics.METHODS,
    **products.METHODS,
    **differences.METHODS,
    "inverse": linalg.inverse, "det": linalg.det, "slogdet": linalg.slogdet, "logdet": linalg.logdet,
    "unbind": repeat_interleave.unbind, "repeat_interleave": repeat_interleave.repeat_interleave,
    # conversions
    "to": _to, "cpu": lambda self: _to(self, "cpu"), "cuda": lambda self, device=None: _to(self, "cuda"),
    "float": lambda self: cast(self, np.float32), "double": lambda self: cast(self, np.float64),
    "half": lambda self: cast(self, np.float16), "long": lambda self: cast(self, np.int64),
    "int": lambda self: cast(self, np.int32), "bool": lambda self: cast(self, np.bool_),
    "type": legacy_types.tensor_type,
    "type_as": lambda self, other: cast(self, other.dtype),
    "clone": arrange.clone,
    "new_ones": _new(factories.ones, "ones"), "new_zeros": _new(factories.zeros, "zeros"),
    "new_empty": _new(factories.empty, "empty"), "new_full": _new(factories.full, "full"),
    "new_tensor": _new(factories.tensor, "tensor"),
    # in place: written into the storage (aliases and views see it), recorded in the graph as torch's
    **{f"{name}_": inplace.inplace(fn, f"{name}_") for name, fn in _INPLACE.items()},
    **{f"__i{name}__": inplace.inplace(fn, f"__i{name}__") for name, fn in _IOPS.items()},
    "zero_": inplace.zero_, "fill_": inplace.fill_, "copy_": inplace.copy_, "uniform_": inplace.uniform_,
    "normal_": inplace.normal_, "bernoulli_": inplace.bernoulli_, "exponential_": inplace.exponential_,
    "random_": inplace.random_, "masked_fill": inplace.masked_fill, "masked_fill_": inplace.masked_fill_,
    **index_ops.METHODS,
    **scatter_reduce.METHODS,
    **arrange.METHODS,
    **addmm.METHODS,
    **stacking.METHODS,
    **strided.METHODS,
    **tensor_info.METHODS,
    **sampling.METHODS,
    **unary_math.METHODS, **special_fns.METHODS, **rounding.METHODS, **predicates.METHODS, **binary_math.METHODS,
    **division.METHODS,
    **detach_inplace.METHODS,
    **least_squares.METHODS,
    **linalg_composite.METHODS,
    **lu.METHODS,
    **spectral.METHODS,
    **triangular_solve.METHODS,
    **bit_ops.METHODS,
    **incomplete_gamma.METHODS,
    **index_reduce.METHODS,
    **method_surface.METHODS,
    **random_fill.METHODS,
}


def install() -> None:
    """Bind every entry of the table onto ``Tensor``."""
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(lambda self: shape.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: shape.transpose(self, -2, -1))
    Tensor.H = property(_adjoint)  # conjugate transpose: the transpose, for the real tensors here
