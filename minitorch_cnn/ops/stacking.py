"""Stacking and splitting by NumPy's names: atleast_1d/2d/3d, hstack, vstack/row_stack, dstack, column_stack,
tensor_split, hsplit, vsplit, dsplit, split_with_sizes.

All are reshapes, concatenations and slices (views), so their gradients are those ops' own: a stack's gradient
is g cut back into the pieces, a split's the pieces' gradients placed side by side (zeros for unused ones).
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ._util import dim_aliases, out_arg
from .indexing import GetItem
from .shape import _wrap_dim, cat, reshape, split


def _atleast(tensors: tuple, name: str, fit: Any) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fit(tensors[0])
    seq = tensors[0] if len(tensors) == 1 else tensors
    if not all(isinstance(t, Tensor) for t in seq):
        raise TypeError(f"{name}(): expected Tensors, got {[type(t).__name__ for t in seq]}")
    return tuple(fit(t) for t in seq)


def _1d(t: Tensor) -> Tensor:
    return reshape(t, 1) if t.ndim == 0 else t


def _2d(t: Tensor) -> Tensor:
    return reshape(t, (1,) * (2 - t.ndim) + tuple(t.shape)) if t.ndim < 2 else t


def _3d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return reshape(t, (1, 1, 1))
    if t.ndim == 1:
        return reshape(t, (1, t.shape[0], 1))
    return reshape(t, tuple(t.shape) + (1,)) if t.ndim == 2 else t


def atleast_1d(*tensors: Any) -> Any:
    """A 0-d tensor as (1,); others unchanged. Several tensors (or one list) give a tuple."""
    return _atleast(tensors, "atleast_1d", _1d)


def atleast_2d(*tensors: Any) -> Any:
    """0-d as (1, 1), 1-d (n,) as (1, n); others unchanged."""
    return _atleast(tensors, "atleast_2d", _2d)


def atleast_3d(*tensors: Any) -> Any:
    """0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1); others unchanged."""
    return _atleast(tensors, "atleast_3d", _3d)


def _tensor_list(name: str, tensors: Any) -> list:
    seq = list(tensors)
    if not seq:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return seq


@out_arg
def hstack(tensors: Any) -> Tensor:
    """1-d tensors joined end to end, others along dim 1."""
    seq = [_1d(t) for t in _tensor_list("hstack", tensors)]
    return cat(seq, 0 if seq[0].ndim == 1 else 1)


@out_arg
def vstack(tensors: Any) -> Tensor:
    """Rows stacked: each at least 2-d, joined along dim 0 (``row_stack`` is its alias)."""
    return cat([_2d(t) for t in _tensor_list("vstack", tensors)], 0)


@out_arg
def dstack(tensors: Any) -> Tensor:
    """Joined along dim 2, each at least 3-d."""
    return cat([_3d(t) for t in _tensor_list("dstack", tensors)], 2)


@out_arg
def column_stack(tensors: Any) -> Tensor:
    """0-d and 1-d tensors as columns (n, 1), then all joined along dim 1."""
    seq = _tensor_list("column_stack", tensors)
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in seq], 1)


@dim_aliases
def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:  # noqa: A002 - torch's name
    """Views along ``dim``: ``n`` sections (the first ``size % n`` one longer), or cut before each index."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = _wrap_dim(dim, input.ndim, "tensor_split")
    size = input.shape[d]
    arg = indices_or_sections
    if isinstance(arg, Tensor):
        if arg._data.dtype.kind not in "iu" or arg.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor of int64, but got a tensor with {arg.ndim} dims")
        arg = int(arg.item()) if arg.ndim == 0 else [int(v) for v in arg._data.tolist()]
    if isinstance(arg, int):
        if arg <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {arg}")
        small, extra = divmod(size, arg)
        lengths = [small + (i < extra) for i in range(arg)]
        cuts = [sum(lengths[:i]) for i in range(1, arg)]
    else:
        cuts = [int(c) for c in arg]
    bounds = [0, *cuts, size]  # Python's slice rules: negative cuts count from the end, a cut before its
    # predecessor gives an empty piece, as torch's
    return tuple(GetItem.apply(input, (slice(None),) * d + (slice(a, b),))
                 for a, b in zip(bounds[:-1], bounds[1:]))


def _np_split(name: str, x: Tensor, arg: Any, dim: int, need: int) -> tuple:
    if x.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but got a tensor with "
                           f"{x.ndim} dimensions!")
    if isinstance(arg, int) and (arg == 0 or x.shape[dim] % arg):
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{x.shape[dim]} is not divisible by the split_size {arg}!")
    return tensor_split(x, arg, dim)


def hsplit(input: Tensor, indices_or_sections: Any) -> tuple:  # noqa: A002
    """``tensor_split`` along dim 1 (dim 0 for a 1-d tensor), equal sections only."""
    return _np_split("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input: Tensor, indices_or_sections: Any) -> tuple:  # noqa: A002
    """``tensor_split`` along dim 0 of an at least 2-d tensor, equal sections only."""
    return _np_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections: Any) -> tuple:  # noqa: A002
    """``tensor_split`` along dim 2 of an at least 3-d tensor, equal sections only."""
    return _np_split("dsplit", input, indices_or_sections, 2, 3)


@dim_aliases
def split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple:  # noqa: A002
    """Views of the given sizes along ``dim``, which must add up to its size."""
    d = _wrap_dim(dim, input.ndim, "split_with_sizes")
    sizes = [int(s) for s in split_sizes]
    if sum(sizes) != input.shape[d] or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {input.shape[d]} (input tensor's "
                           f"size at dimension {d}), but got split_sizes={sizes}")
    return split(input, sizes, d)


def _method(fn: Any) -> Any:
    """``x.hsplit(2)`` or ``x.hsplit(1, 3)`` (indices given one by one), as torch's methods take them."""
    def method(self: Tensor, *args: Any, **kwargs: Any) -> tuple:
        arg = args[0] if len(args) == 1 else list(args)
        return fn(self, arg, **kwargs) if args else fn(self, **kwargs)

    method.__name__ = fn.__name__
    return method


METHODS: dict[str, Any] = {
    "tensor_split": tensor_split, "hsplit": _method(hsplit), "vsplit": _method(vsplit), "dsplit": _method(dsplit),
    "split_with_sizes": split_with_sizes,
}
