"""Indexing: slices, integers, None/Ellipsis, integer arrays and boolean masks.

The backward of an index is a scatter-add into zeros: repeated integer indices accumulate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..autograd.grad_mode import _enabled
from ..autograd.views import write_region
from ._util import cast


def _is_basic(index: tuple) -> bool:
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in index)


class GetItem(Function):
    def forward(self, x: Any, index: tuple) -> Any:
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        self.basic = _is_basic(index)
        return x[index]

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        out = xp.zeros(self.shape, dtype=g.dtype)
        if self.basic:
            out[self.index] = g
        else:
            backend.scatter_add(out, self.index, g)
        return out

    def backward_graph(self, g: Tensor) -> Tensor:
        return IndexScatter.apply(g, self.index, self.shape, self.basic)


class IndexScatter(Function):
    """GetItem's backward as a node: g scattered (added, for repeated indices) into zeros of ``shape``. Its own
    backward reads the same index, which is GetItem again. Its gradient ``h[index]`` is a view of ``h`` for a basic
    index, so it is not declared fresh: the engine must not add other gradients into it in place (that wrote into
    the upstream gradient of a second-order pass through two slices of one tensor)."""

    def forward(self, g: Any, index: tuple, shape: tuple, basic: bool) -> Any:
        self.index = index
        out = backend.array_module(g).zeros(shape, dtype=g.dtype)
        if basic:
            out[index] = g
        else:
            backend.scatter_add(out, index, g)
        return out

    def backward(self, h: Any) -> Any:
        return h[self.index]

    def backward_graph(self, h: Tensor) -> Tensor:
        return GetItem.apply(h, self.index)


def _raw_index(i: Any, x: Tensor) -> Any:
    if isinstance(i, Tensor):
        if type(i._data) is not type(x._data) and i.device != x.device:
            raise RuntimeError(f"indices are on {i.device} but the indexed tensor is on {x.device}")
        return i._data
    if isinstance(i, (list, range, np.ndarray)):  # torch reads a range as the integer tensor it enumerates
        arr = np.asarray(i)
        if arr.size == 0 and arr.dtype.kind == "f":  # [] selects nothing, as torch's empty long index
            arr = arr.astype(np.int64)
        return backend.move_to(arr, x.device)
    return i


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with torch's rules; bounds are checked before any work."""
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_raw_index(i, x) for i in index)
    dims_used = [_dims_consumed(i) for i in index]
    if sum(i is Ellipsis for i in index) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if sum(dims_used) > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}: index {index} for shape {tuple(x.shape)}")
    dim = 0
    for i, used in zip(index, dims_used):
        if i is Ellipsis:
            dim += x.ndim - sum(dims_used)
        elif isinstance(i, int) and not isinstance(i, bool):
            if not -x.shape[dim] <= i < x.shape[dim]:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {x.shape[dim]}")
        dim += used
    return GetItem.apply(x, index)


def _dims_consumed(i: Any) -> int:
    """How many dims of the indexed tensor one index item uses up (None, ... and True/False use none)."""
    if i is None or i is Ellipsis or isinstance(i, bool):
        return 0
    if isinstance(i, (int, slice)):
        return 1
    return i.ndim if i.dtype == bool else 1


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` in place; inside a graph (x or value requires grad) the write is recorded as torch's
    CopySlices: x's old values get no gradient where overwritten, ``value`` the gradient of the written elements."""
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_raw_index(i, x) for i in index)
    if _enabled[0] and (x.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
        write_region(x, index, lambda cur: _fitted(value, cur), "__setitem__")
        return
    x._check_inplace()
    x._check_writable("__setitem__")
    x._data[index] = value._data if isinstance(value, Tensor) else value
    x._version += 1


def _fitted(value: Any, cur: Tensor) -> Tensor:
    """``value`` as the written elements: cur's dtype, broadcast to cur's shape (leading 1s dropped, as NumPy)."""
    if not isinstance(value, Tensor):
        return Tensor._wrap(backend.array_module(cur._data).full(cur.shape, value, dtype=cur._data.dtype))
    if value._data.dtype != cur._data.dtype:
        value = cast(value, cur._data.dtype)
    extra = value.ndim - cur.ndim
    if extra > 0:
        if any(n != 1 for n in value.shape[:extra]):
            raise RuntimeError(f"__setitem__: value of shape {tuple(value.shape)} does not fit the written shape "
                               f"{tuple(cur.shape)}")
        value = value.reshape(value.shape[extra:])
    return value.expand(cur.shape)  # Tensor methods: shape ops import this module


def one_hot(x: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (..., num_classes) with a 1 at each label, as torch.nn.functional.one_hot."""
    if x._data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors, got dtype {x.dtype}")
    xp = backend.array_module(x._data)
    labels = x._data
    if num_classes == -1 and labels.size == 0:
        raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor; pass num_classes")
    if labels.size and int(labels.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(labels.min())}")
    n = int(labels.max()) + 1 if num_classes == -1 else num_classes
    if labels.size and int(labels.max()) >= n:
        raise RuntimeError(f"one_hot: class value {int(labels.max())} is out of range for {n} classes")
    out = xp.zeros(labels.shape + (n,), dtype=np.int64)
    xp.put_along_axis(out, labels[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._wrap(out)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value 0, 1, ... occurs in a 1-d non-negative integer tensor (summing ``weights`` instead
    of counting, when given), at least ``minlength`` bins. int64 counts; float32 weights give float32 sums, any
    other weights float64, as torch's. Not differentiable (a count), as in torch."""
    x = input._data
    if x.dtype.kind == "f":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or x.dtype.kind not in "iub" or (x.size and int(x.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = backend.array_module(x)
    if weights is None:
        return Tensor._wrap(xp.bincount(x, minlength=minlength).astype(np.int64))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = np.float32 if w.dtype == np.float32 else np.float64
    return Tensor._wrap(xp.bincount(x, weights=w, minlength=minlength).astype(dtype))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - torch's name
    """A 1-d (n,) tensor as the ``diagonal``-th diagonal of a square (n + |k|, n + |k|) matrix, or a 2-d
    tensor's ``diagonal``-th diagonal as 1-d. An index (and its scatter adjoint), so it differentiates as those."""
    k = int(diagonal)
    if input.ndim == 1:
        n = input.shape[0]
        rows = np.arange(n) + max(-k, 0)
        index = tuple(backend.move_to(i, input.device) for i in (rows, rows + k))
        return IndexScatter.apply(input, index, (n + abs(k),) * 2, False)
    if input.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    h, w = input.shape
    length = max(0, min(h + min(k, 0), w - max(k, 0)))
    rows = np.arange(length) + max(-k, 0)
    return getitem(input, (rows, rows + k))
