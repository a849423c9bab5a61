"""Indexing: slices, integers, None/Ellipsis, integer arrays and boolean masks.

The backward of an index is a scatter-add into zeros: repeated integer indices accumulate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor


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


def _raw_index(i: Any, x: Tensor) -> Any:
    if isinstance(i, Tensor):
        if type(i.data) is not type(x.data):
            raise RuntimeError(f"indices are on {i.device} but the indexed tensor is on {x.device}")
        return i.data
    if isinstance(i, (list, np.ndarray)):
        return backend.move_to(np.asarray(i), x.device)
    return i


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with torch's rules; bounds are checked before any work."""
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_raw_index(i, x) for i in index)
    dim = 0
    for i in index:
        if isinstance(i, int):
            if dim >= x.ndim or not -x.shape[dim] <= i < x.shape[dim]:
                size = x.shape[dim] if dim < x.ndim else 0
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            dim += 1
        elif isinstance(i, slice):
            dim += 1
        elif i is not None and i is not Ellipsis:
            dim += i.ndim if i.dtype == bool else 1
    return GetItem.apply(x, index)


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` in place (not offered on tensors inside a graph)."""
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_raw_index(i, x) for i in index)
    x._check_inplace()
    x.data[index] = value.data if isinstance(value, Tensor) else value
    x._version += 1


def one_hot(x: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (..., num_classes) with a 1 at each label, as torch.nn.functional.one_hot."""
    if x.data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors, got dtype {x.dtype}")
    xp = backend.array_module(x.data)
    labels = x.data
    if labels.size and int(labels.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(labels.min())}")
    n = int(labels.max()) + 1 if num_classes == -1 else num_classes
    if labels.size and int(labels.max()) >= n:
        raise RuntimeError(f"one_hot: class value {int(labels.max())} is out of range for {n} classes")
    out = xp.zeros(labels.shape + (n,), dtype=np.int64)
    xp.put_along_axis(out, labels[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._wrap(out)
