"""Windows and strides: ``Tensor.unfold(dim, size, step)``, ``as_strided``, and the in-place view changes
``t_ transpose_ squeeze_ unsqueeze_ swapaxes_ swapdims_``.

unfold: dim d of length n becomes (n - size) // step + 1 windows, each window's ``size`` elements a new last dim:

    out[..., w, ..., j] = x[..., w * step + j, ...]     dx[..., i, ...] = sum of g over the (w, j) with w*step+j = i

It is a read-only strided view of x (windows may overlap, so a write through it would be ambiguous).

as_strided(size, stride, offset): out[i_0, ..., i_k] = flat(x)[offset + sum_k i_k * stride_k], on a copy, with
flat(x) the elements of x in row-major order (x's storage when x is contiguous and owns it, as torch reads it);
dflat = scatter-add of g at those positions (overlaps add up), reshaped as x.

The in-place view changes give the tensor the new view and the node of the out-of-place op, as torch's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..autograd.grad_mode import _enabled
from .indexing import GetItem
from .shape import (
    Permute,
    Reshape,
    SqueezeAll,
    SqueezeDim,
    SqueezeDims,
    T,
    Transpose,
    Unsqueeze,
    _wrap_dim,
    reshape,
    squeeze,
    swapaxes,
    t,
    transpose,
    unsqueeze,
)


class AsStrided(GetItem):
    """as_strided as the index of the flattened tensor it is, under torch's node name."""

    name = Function.name


def _windows(x: Any, d: int, size: int, step: int) -> Any:
    xp = backend.array_module(x)
    count = (x.shape[d] - size) // step + 1
    shape = x.shape[:d] + (count,) + x.shape[d + 1:] + (size,)
    strides = x.strides[:d] + (x.strides[d] * step,) + x.strides[d + 1:] + (x.strides[d],)
    out = xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)
    if hasattr(out.flags, "writeable"):  # NumPy's flag (CuPy has none): windows overlap, so writes are refused
        out.flags.writeable = False
    return out


def _unwindow(g: Any, shape: tuple, d: int, size: int, step: int) -> Any:
    """The adjoint of ``_windows``: every window's j-th element added back at its place, j = 0 .. size-1."""
    out = backend.array_module(g).zeros(shape, dtype=g.dtype)
    count = g.shape[d]
    for j in range(size):  # within one j the places are distinct, so a plain += adds each once
        out[(slice(None),) * d + (slice(j, j + step * (count - 1) + 1, step),)] += g[..., j]
    return out


class Unfold(Function):
    def forward(self, x: Any, d: int, size: int, step: int) -> Any:
        self.shape, self.args = x.shape, (d, size, step)
        return _windows(x, d, size, step)

    def backward(self, g: Any) -> Any:
        return _unwindow(g, self.shape, *self.args)

    def backward_graph(self, g: Tensor) -> Tensor:
        return UnfoldBackward.apply(g, self.shape, *self.args)


class UnfoldBackward(Function):
    """Unfold's backward as a node (windows added back into zeros); its own backward is the unfold again."""

    def forward(self, g: Any, shape: tuple, d: int, size: int, step: int) -> Any:
        self.args = (d, size, step)
        return _unwindow(g, shape, d, size, step)

    def backward(self, h: Any) -> Any:
        return backend.array_module(h).ascontiguousarray(_windows(h, *self.args))

    def backward_graph(self, h: Tensor) -> Tensor:
        return Unfold.apply(h, *self.args)


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """The windows of ``size`` elements every ``step`` along ``dimension``, as a new last dim (a view)."""
    x = reshape(self, 1) if self.ndim == 0 else self
    d = _wrap_dim(dimension, x.ndim, "unfold")
    if size > x.shape[d]:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {x.shape[d]} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    out = Unfold.apply(x, d, size, step)
    return reshape(out, (out.shape[-1],)) if self.ndim == 0 else out


def as_strided(input: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:  # noqa: A002
    """The elements at ``offset + sum_k i_k * stride_k`` of the flattened tensor, shaped ``size`` (a copy)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides for {len(size)} dims")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    offset = 0 if storage_offset is None else int(storage_offset)
    need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if math.prod(size) else 0
    if need > input.numel():
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {input._data.itemsize} requiring a storage size of {need * input._data.itemsize} "
                           f"are out of bounds for storage of size {input.numel() * input._data.itemsize}")
    positions = np.full(size, offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        positions += (np.arange(n) * s).reshape((n,) + (1,) * (len(size) - k - 1))
    return AsStrided.apply(reshape(input, -1), (backend.move_to(positions, input.device),))


# torch names the in-place view changes' nodes apart from the out-of-place ones (``x.t_()``: TBackward1); the same
# nodes under those names
class TInplace(T):
    torch_name = "TBackward1"


class TransposeInplace(Transpose):
    torch_name = "TransposeBackward1"


class UnsqueezeInplace(Unsqueeze):
    torch_name = "UnsqueezeBackward1"


class SqueezeAllInplace(SqueezeAll):
    torch_name = "SqueezeBackward3"


class SqueezeDimInplace(SqueezeDim):
    torch_name = "SqueezeBackward4"


class SqueezeDimsInplace(SqueezeDims):
    torch_name = "SqueezeBackward5"


_INPLACE_NODE = {T: TInplace, Transpose: TransposeInplace, Unsqueeze: UnsqueezeInplace, SqueezeAll: SqueezeAllInplace,
                 SqueezeDim: SqueezeDimInplace, SqueezeDims: SqueezeDimsInplace}


def _current(node: Any, counter: list) -> None:
    """The node's recorded versions of its inputs (one storage, one counter) set to the counter's present value."""
    node.versions = tuple(counter[0] if t is not None else v for t, v in zip(node.inputs, node.versions))


def _view_inplace(fn: Any, name: str) -> Any:
    """``x.<name>(...)``: x becomes ``fn(x, ...)`` (a view of the same storage), its version bumped, as torch."""

    def method(self: Tensor, *args: Any) -> Tensor:
        recording = _enabled[0] and self.requires_grad
        if recording and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if recording and self._base is not None:
            raise RuntimeError(f"{name}: changing the shape of a view in place inside an autograd graph is not "
                               "offered; use the out-of-place op")
        out, prev = fn(self, *args), self.grad_fn
        self._data = out._data
        counter = self._version_counter
        counter[0] += 1
        if prev is not None and prev._out_vc is counter:
            prev._out_vc = [prev._out_version]  # the values it made (and may have saved) are unchanged
        if isinstance(prev, (Permute, Reshape)):  # an earlier view change saved nothing either (x.t_().unsqueeze_(0))
            _current(prev, counter)
        node = out.grad_fn
        if node is not None and node is not prev:
            _current(node, counter)
            node._out_version = counter[0]
            node.__class__ = _INPLACE_NODE.get(type(node), type(node))  # the same node, under torch's in-place name
            self.grad_fn, self._output_nr = node, 0
        return self

    method.__name__ = name
    method.__doc__ = f"In place: ``x.{name}(...)`` makes x the view ``x.{name.rstrip('_')}(...)``."
    return method


METHODS: dict[str, Any] = {
    "unfold": unfold, "as_strided": as_strided,
    "t_": _view_inplace(t, "t_"), "transpose_": _view_inplace(transpose, "transpose_"),
    "squeeze_": _view_inplace(squeeze, "squeeze_"), "unsqueeze_": _view_inplace(unsqueeze, "unsqueeze_"),
    "swapaxes_": _view_inplace(swapaxes, "swapaxes_"), "swapdims_": _view_inplace(swapaxes, "swapdims_"),
}
