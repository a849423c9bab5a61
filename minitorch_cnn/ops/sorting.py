"""Sorting and searching: sort, argsort, msort, searchsorted, bucketize, unique, unique_consecutive.

    sort:   values = gather(x, dim, order)         dx = scatter of g back to ``order`` (each place once)
            order is a stable permutation; NaN sorts as the largest value, as torch
    the rest return indices or counts and carry no gradient.
"""

from __future__ import annotations

from typing import Any

from .. import backend, return_types
from ..autograd import Tensor
from ._util import dim_aliases, out_arg
from .gather import Gather
from .shape import _wrap_dim


class SortValues(Gather):
    """The sorted values: a gather by the sorting permutation, under torch's node name."""

    torch_name = "SortBackward0"


def _order(data: Any, dim: int, descending: bool) -> Any:
    """The stable sorting permutation of ``data`` along ``dim`` (int64). Descending sorts the reversed array
    ascending and reverses back, so equal values keep their order and NaN comes first, as torch."""
    xp = backend.array_module(data)
    if not descending:
        return xp.argsort(data, axis=dim, kind="stable").astype("int64", copy=False)
    n = data.shape[dim]
    rev = xp.argsort(xp.flip(data, axis=dim), axis=dim, kind="stable")
    return (n - 1 - xp.flip(rev, axis=dim)).astype("int64", copy=False)


@dim_aliases
def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool | None = False) -> Any:
    """``(values, indices)`` of ``x`` sorted along ``dim`` (ascending unless ``descending``), as torch.sort.

    The order is always stable (torch's ``stable=True``; its default order among ties is unspecified).
    """
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"sort(): argument 'dim' must be int, not {type(dim).__name__}")
    if x.ndim == 0:
        _wrap_dim(dim, 0, "sort")
        values, indices = sort(x.reshape(1), 0, descending)
        return return_types.sort(values.reshape(()), indices.reshape(()))
    d = _wrap_dim(dim, x.ndim, "sort")
    idx = _order(x._data, d, descending)
    return return_types.sort(SortValues.apply(x, d, idx), Tensor._wrap(idx))


@dim_aliases
def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim``, as torch.argsort (stable)."""
    return sort(x, dim, descending).indices


@out_arg
def msort(x: Tensor) -> Tensor:
    """``x`` sorted along its first dim: ``sort(x, dim=0).values``."""
    return sort(x, 0).values


def _side(right: bool, side: str | None) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left while "
                           "right was True")
    return side


@out_arg
def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """Where each value of ``input`` would go into ``sorted_sequence`` (along its last dim) to keep it sorted:
    the first such place, or the last with ``right=True``/``side="right"``. The sequence is 1-D, or its leading
    dims match ``input``'s."""
    seq = sorted_sequence._data
    xp = backend.array_module(seq)
    scalar = not isinstance(input, Tensor)
    vals = xp.asarray(input, dtype=seq.dtype) if scalar else input._data
    how = _side(right, side)
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    if seq.ndim != 1 and (scalar or seq.shape[:-1] != vals.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                           "of boundaries tensor and input value tensor must match, but we got boundaries tensor "
                           f"{list(seq.shape)} and input value tensor {list(vals.shape)}")
    if seq.ndim == 1:
        res = xp.searchsorted(seq, vals, side=how)
    else:
        flat_seq, flat_vals = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        res = xp.stack([xp.searchsorted(s, v, side=how) for s, v in zip(flat_seq, flat_vals)]).reshape(vals.shape)
    return Tensor._wrap(xp.asarray(res).astype("int32" if out_int32 else "int64"))


@out_arg
def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each value of ``input``: i with boundaries[i-1] < v <= boundaries[i] (``right=True``:
    boundaries[i-1] <= v < boundaries[i]), from a 1-D sorted ``boundaries``, as torch.bucketize."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _unique_result(values: Any, inverse: Any, counts: Any, return_inverse: bool, return_counts: bool) -> Any:
    out = [Tensor._wrap(values)]
    if return_inverse:
        out.append(Tensor._wrap(inverse.astype("int64", copy=False)))
    if return_counts:
        out.append(Tensor._wrap(counts.astype("int64", copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002 - torch's name
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values of ``x`` (the distinct slices along ``dim``), sorted, as torch.unique; with
    ``return_inverse`` where each element went, with ``return_counts`` how often each occurs. NaNs stay apart."""
    data = x._data
    xp = backend.array_module(data)
    if dim is None:
        flat = data.reshape(-1)
        order = xp.argsort(flat, kind="stable")
        s = flat[order]
        new = xp.ones(s.shape, dtype=bool)
        new[1:] = s[1:] != s[:-1]  # NaN != NaN: each NaN its own value, as torch
        group = xp.cumsum(new) - 1
        inverse = xp.empty_like(group)
        inverse[order] = group
        starts = xp.flatnonzero(new)
        counts = xp.diff(xp.append(starts, s.size))
        return _unique_result(s[new], inverse.reshape(data.shape), counts, return_inverse, return_counts)
    d = _wrap_dim(dim, x.ndim, "unique")
    values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True, axis=d)
    return _unique_result(values, inverse.reshape(-1), counts, return_inverse, return_counts)


def unique_consecutive(x: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """``x`` with each run of equal consecutive values (slices along ``dim``) kept once, as
    torch.unique_consecutive, with the inverse and the run lengths on request."""
    data = x._data
    xp = backend.array_module(data)
    if dim is None:
        moved = data.reshape(-1, 1)
        d = 0
    else:
        d = _wrap_dim(dim, x.ndim, "unique_consecutive")
        moved = xp.moveaxis(data, d, 0).reshape(data.shape[d], -1) if data.ndim else data.reshape(1, 1)
    new = xp.ones(moved.shape[0], dtype=bool)
    new[1:] = (moved[1:] != moved[:-1]).any(axis=1)
    inverse = xp.cumsum(new) - 1
    counts = xp.diff(xp.append(xp.flatnonzero(new), moved.shape[0]))
    if dim is None:
        values, inverse = data.reshape(-1)[new], inverse.reshape(data.shape)
    else:
        values = xp.compress(new, data, axis=d)
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


METHODS: dict[str, Any] = {
    "sort": sort, "argsort": argsort, "msort": msort, "unique": unique, "unique_consecutive": unique_consecutive,
}
