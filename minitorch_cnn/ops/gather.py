"""Index-along-a-dim ops: gather, scatter, topk.

``index`` is an int64 tensor with the input's number of dims; position p of the output reads (gather) or
writes (scatter) the input at p with its ``dim`` coordinate replaced by ``index[p]``:

    gather:   out[p] = x[p | dim ← index[p]]            dx = scatter-add of g at those places (repeats add up)
    scatter:  out = x; out[p | dim ← index[p]] = src[p]  dx = g, zero where written;
                                                         dsrc[p] = g[p | dim ← index[p]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..kernels.choice import chosen
from ._util import dim_aliases
from .shape import _wrap_dim, namedtuple_values_indices, pad


def _places(index: Any, dim: int) -> tuple:
    """The fancy index naming, for every position of ``index``, the element it points at."""
    xp = backend.array_module(index)
    nd = index.ndim
    grids = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1)) for i, n in enumerate(index.shape)]
    grids[dim] = index
    return tuple(grids)


def flat_offsets(index: Any, dim: int, shape: tuple) -> Any:
    """For every position p of ``index``, the C-order flat offset in an array of ``shape`` of ``p | dim ← index[p]``
    (int64, index's shape): one gather is then a ``take`` and one scatter-add a loop over a single index."""
    xp = backend.array_module(index)
    shape = tuple(shape) or (1,)
    strides = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    off = index.astype(xp.int64)
    if strides[dim] != 1:
        off *= strides[dim]
    nd = index.ndim
    for i, n in enumerate(index.shape):
        if i != dim and n > 1:
            off += (xp.arange(n, dtype=xp.int64) * strides[i]).reshape((1,) * i + (n,) + (1,) * (nd - i - 1))
    return off


class Along:
    """The places ``p | dim ← index[p]`` of an array of ``shape``, for every position p of ``index``: read
    (``take``) or added into (``add_into``, repeats in the index's C order, as np.add.at) by the chosen kernel
    path's loops along dim where it has them, else through C-order flat offsets (``take`` / add.at), computed once
    when first needed."""

    def __init__(self, index: Any, dim: int, shape: tuple) -> None:
        self.index, self.dim, self.shape = index, dim, tuple(shape)
        self._offsets: Any = None

    @property
    def offsets(self) -> Any:
        if self._offsets is None:
            self._offsets = flat_offsets(self.index, self.dim, self.shape)
        return self._offsets

    def take(self, x: Any) -> Any:
        """``x[p | dim ← index[p]]``, index's shape (x of ``shape``, any layout)."""
        fast = chosen("gather_along", x) if isinstance(x, np.ndarray) else None
        out = None if fast is None else fast(x, self.dim, self.index)
        return backend.array_module(x).take(x, self.offsets) if out is None else out

    def add_into(self, target: Any, values: Any) -> None:
        """``target[p | dim ← index[p]] += values[p]`` (target C-contiguous, of ``shape``)."""
        if isinstance(target, np.ndarray):
            fast = chosen("scatter_add_along", target)
            if fast is not None and fast(target, self.dim, self.index, values):
                return
            fast = chosen("scatter_add_flat", target)
            if fast is not None and fast(target.reshape(-1), self.offsets, values):
                return
        backend.scatter_add(target.reshape(-1), self.offsets, values)

    def zeros_plus(self, g: Any) -> Any:
        """Zeros of ``shape`` with g added at the places (gather's gradient)."""
        out = backend.array_module(g).zeros(self.shape, dtype=g.dtype)
        self.add_into(out, g)
        return out


class Gather(Function):
    def forward(self, x: Any, dim: int, index: Any) -> Any:
        self.along = Along(index, dim, x.shape)
        return self.along.take(x)

    def backward(self, g: Any) -> tuple:
        return self.along.zeros_plus(g), None, None

    def backward_graph(self, g: Tensor) -> tuple:
        return GatherBackward.apply(g, self.along), None, None


class GatherBackward(Function):
    """Gather's backward as a node of its own (scatter-add of g into zeros), linear in g: its own backward is
    the gather again, so gather differentiates any number of times."""

    def forward(self, g: Any, along: Along) -> Any:
        self.along = along
        return along.zeros_plus(g)

    def backward(self, gg: Any) -> tuple:
        return self.along.take(gg), None

    def backward_graph(self, gg: Tensor) -> tuple:
        return TakeAlong.apply(gg, self.along), None


class TakeAlong(Function):
    """``x[p | dim ← index[p]]`` by an ``Along``, whose backward is GatherBackward."""

    def forward(self, x: Any, along: Along) -> Any:
        self.along = along
        return along.take(x)

    def backward(self, g: Any) -> tuple:
        return self.along.zeros_plus(g), None

    def backward_graph(self, g: Tensor) -> tuple:
        return GatherBackward.apply(g, self.along), None


class Scatter(Function):
    def forward(self, x: Any, dim: int, index: Any, src: Any) -> Any:
        self.places, self.index, self.dim = _places(index, dim), index, dim
        self.src_shape = src.shape if getattr(src, "ndim", 0) else None  # None: a number (value=)
        self.region = tuple(slice(0, n) for n in index.shape)
        out = x.copy()
        out[self.places] = src[self.region] if self.src_shape is not None else src
        return out

    def backward(self, g: Any) -> tuple:
        gx = g.copy()
        gx[self.places] = 0
        gsrc = None
        if self.src_shape is not None and self.needs_input_grad[3]:
            gsrc = backend.array_module(g).zeros(self.src_shape, dtype=g.dtype)
            gsrc[self.region] = g[self.places]
        return gx, None, None, gsrc

    def backward_graph(self, g: Tensor) -> tuple:
        mask = backend.array_module(g._data).ones(g.shape, dtype=g._data.dtype)
        mask[self.places] = 0
        gx = g * Tensor._wrap(mask)
        gsrc = None
        if self.src_shape is not None and self.needs_input_grad[3]:
            # index's shape, then zeros beyond it up to src's shape
            taken = TakeAlong.apply(g, Along(self.index, self.dim, g.shape))
            widths = [w for n, m in zip(reversed(taken.shape), reversed(self.src_shape)) for w in (0, m - n)]
            gsrc = pad(taken, tuple(widths)) if any(widths) else taken
        return gx, None, None, gsrc


def _check_index(op: str, x: Tensor, dim: int, index: Tensor) -> int:
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    if max(index.ndim, 1) != max(x.ndim, 1):  # torch counts a 0-d tensor as 1-d here
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as input tensor "
                           f"(index shape {tuple(index.shape)}, input shape {tuple(x.shape)})")
    d = _wrap_dim(dim, x.ndim, op)
    for i, (n, m) in enumerate(zip(index.shape, x.shape)):
        if i != d and n > m:
            raise RuntimeError(f"{op}(): Size does not match at dimension {i}: index {tuple(index.shape)} "
                               f"is larger than input {tuple(x.shape)}")
    idx = index._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[d]):
        raise RuntimeError(f"{op}(): index {int(idx.max()) if int(idx.min()) >= 0 else int(idx.min())} is out of "
                           f"bounds for dimension {d} with size {x.shape[d]}")
    return d


@dim_aliases
def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[p] = x[p with its dim coordinate replaced by index[p]]``; out has index's shape."""
    d = _check_index("gather", x, dim, index)
    if index.ndim == 0:  # a 0-d index into a 1-d tensor picks one element, as a 0-d result
        return Gather.apply(x, d, index._data.reshape(1)).reshape(())
    return Gather.apply(x, d, index._data)


@dim_aliases
def scatter(x: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None) -> Tensor:
    """A copy of ``x`` with ``src[p]`` (or the number ``value``) written at ``x[p with dim ← index[p]]``."""
    d = _check_index("scatter", x, dim, index)
    if index.ndim == 0:  # the transforms tutorial's one-hot: zeros(10).scatter_(0, tensor(y), value=1)
        index = index.reshape(1)
    if src is None:
        src = value
    if isinstance(src, Tensor):
        if src.ndim != x.ndim or any(n > m for n, m in zip(index.shape, src.shape)):
            raise RuntimeError(f"scatter(): src of shape {tuple(src.shape)} must be at least index's "
                               f"{tuple(index.shape)} in every dim")
        if src._data.dtype != x._data.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype ({x.dtype} vs {src.dtype})")
        return Scatter.apply(x, d, index._data, src)
    return Scatter.apply(x, d, index._data, x._data.dtype.type(src))


@dim_aliases
def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """The k largest (``largest=False``: smallest) along ``dim``, as (values, indices), largest first."""
    if x.ndim == 0:  # torch treats a 0-d tensor as one element along dim 0 or -1
        values, indices = topk(x.reshape(1), k, 0, largest, sorted)
        return namedtuple_values_indices(values.reshape(()), indices.reshape(())) if k else (values, indices)
    d = _wrap_dim(dim, x.ndim, "topk")
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError(f"topk(): selected index k={k} out of range for dimension {d} of size {x.shape[d]}")
    idx = _first_of_stable_order(-x._data if largest else x._data, k, d).astype("int64", copy=False)
    return namedtuple_values_indices(Gather.apply(x, d, idx), Tensor._wrap(idx))


def _first_of_stable_order(key: Any, k: int, d: int) -> Any:
    """The first k indices along ``d`` of the stable argsort of ``key``: ordered by (key, index).

    For a few of many (k < n/4, NumPy floats without NaN) the set is selected first, every key below the k-th
    smallest and, of the keys equal to it, the lowest indices, and only those k are sorted (a top-5 of 1000 classes
    ran 17x torch's time sorting whole rows)."""
    xp = backend.array_module(key)
    n = key.shape[d]
    if not (xp is np and key.dtype.kind == "f" and 0 < 4 * k < n) or np.isnan(key).any():
        return xp.take(xp.argsort(key, axis=d, kind="stable"), xp.arange(k), axis=d)
    rows = np.moveaxis(key, d, -1)  # (..., n)
    kth = np.partition(rows, k - 1, axis=-1)[..., k - 1:k]
    less, tied = rows < kth, rows == kth
    room = k - less.sum(axis=-1, keepdims=True)
    take = less | (tied & (np.cumsum(tied, axis=-1) <= room)) if (tied.sum(axis=-1, keepdims=True) > room).any() \
        else less | tied
    idx = np.nonzero(take.reshape(-1, n))[1].reshape(rows.shape[:-1] + (k,))  # ascending per row
    idx = np.take_along_axis(idx, np.argsort(np.take_along_axis(rows, idx, -1), axis=-1, kind="stable"), -1)
    return np.moveaxis(idx, -1, d)
