"""Indexing by index vectors, masks and flat positions: index_select/add/copy/fill/put, masked_select/scatter,
take, take_along_dim, put, nonzero, the *_scatter ops and fill_diagonal_.

With ``I = (:, ..., :, index)`` the place of ``index`` along ``dim`` (and for masks the True places):

    index_select: out = x[I]                         dx = scatter-add of g into zeros at I (repeats add up)
    index_add:    out = x + alpha * (src added at I)  dx = g, dsrc = alpha * g[I]
    index_copy / index_put / masked_scatter / *_scatter / index_fill / fill_diagonal_:
                  out = x with src written at I       dx = g zeroed at I, dsrc = g[I]  (see region_write)
    index_put(accumulate=True): as index_add with alpha = 1, indices as in ``x[indices]``
    masked_select: out = x[mask] (1-d)                dx = g scattered back onto the mask
    take / put: the same ops on ``x.reshape(-1)``, negative positions counted from the end
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import inplace
from ._util import dim_aliases, out_arg
from .gather import gather
from .indexing import GetItem
from .region_write import (
    DiagonalScatter,
    FillDiagonal,
    IndexAdd,
    IndexCopy,
    IndexFill,
    IndexPut,
    IndexPutAccumulate,
    MaskedScatter,
    Put,
    PutAccumulate,
    SelectScatter,
    SliceScatter,
    region_shape,
    write,
)
from .shape import _wrap_dim, expand, reshape


class NamedIndex(GetItem):
    """An index under the node name of the op it serves (torch's ``IndexSelectBackward0``...), not ``x[i]``'s."""

    name = Function.name


class IndexSelect(NamedIndex):
    pass


class Take(NamedIndex):
    pass


class MaskedSelect(NamedIndex):
    pass


def _along(d: int, idx: Any) -> tuple:
    return (slice(None),) * d + (idx,)


def _index_vector(op: str, x: Tensor, dim: int, index: Any) -> tuple[int, Any]:
    """(dim, index as a 1-d int64 array) with torch's checks."""
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector, got shape {tuple(index.shape)}")
    d = _wrap_dim(dim, x.ndim, op)
    idx = index._data.reshape(-1).astype(np.int64, copy=False)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= x.shape[d]):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"{op}(): index {bad} is out of bounds for dimension {d} with size {x.shape[d]} (index out "
                         "of range in self)")
    return d, idx


def _check_source(op: str, x: Tensor, d: int, n: int, source: Tensor) -> None:
    if source._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}(): self ({x.dtype}) and source ({source.dtype}) must have the same scalar type")
    want = tuple(x.shape[:d]) + (n,) + tuple(x.shape[d + 1:])
    if tuple(source.shape) != want:
        raise RuntimeError(f"{op}(): source tensor shape must match self tensor shape, excluding the specified "
                           f"dimension, with {n} slices along dim {d}. Got self.shape = {list(x.shape)} source.shape = "
                           f"{list(source.shape)}")


@out_arg
@dim_aliases
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The slices ``index`` along ``dim``, in that order (repeats allowed)."""
    d, idx = _index_vector("index_select", input, dim, index)
    return IndexSelect.apply(input, _along(d, idx))


@dim_aliases
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``input`` with ``alpha * source[i]`` added to slice ``index[i]`` along ``dim`` (repeats add up)."""
    d, idx = _index_vector("index_add_", input, dim, index)
    _check_source("index_add_", input, d, idx.size, source)
    return IndexAdd.apply(input, source, _along(d, idx), input._data.dtype.type(alpha))


@dim_aliases
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """``input`` with slice ``index[i]`` along ``dim`` replaced by ``source[i]``."""
    d, idx = _index_vector("index_copy_", input, dim, index)
    _check_source("index_copy_", input, d, idx.size, source)
    return write(IndexCopy, input, source, _along(d, idx))


@dim_aliases
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``input`` with the slices ``index`` along ``dim`` set to ``value`` (a number or a 0-d tensor)."""
    d, idx = _index_vector("index_fill_", input, dim, index)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.ndim} dimension(s).")
        value = value.to(input.dtype)
    # each slice once: the value's gradient is the sum over the filled places, as torch's (unique index)
    return write(IndexFill, input, value, _along(d, backend.array_module(idx).unique(idx)))


def _index_arrays(x: Tensor, indices: Any) -> tuple:
    """``indices`` (int or bool tensors, as in ``x[indices]``) as a tuple of int arrays, bool masks expanded."""
    out: list = []
    for t in indices:
        if not isinstance(t, Tensor) or t._data.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        arr = t._data
        if arr.dtype.kind == "b" or arr.dtype == np.uint8:
            out.extend(backend.array_module(arr).nonzero(arr.astype(bool)))
            continue
        dim = len(out)
        if dim >= x.ndim:
            raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
        n = x.shape[dim]
        if arr.size and (int(arr.min()) < -n or int(arr.max()) >= n):
            bad = int(arr.max()) if int(arr.max()) >= n else int(arr.min())
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        out.append(arr)
    if len(out) > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got {len(out)})")
    return tuple(out)


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``input`` with ``input[indices] = values`` (``+=`` with ``accumulate``, repeats adding up)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {input.dtype} for the "
                           f"destination and {values.dtype} for the source.")
    idx = _index_arrays(input, indices)
    if not accumulate:
        return write(IndexPut, input, values, idx)
    region = region_shape(tuple(input.shape), idx, input._data)
    v = values if tuple(values.shape) == region else expand(values, region)
    return IndexPutAccumulate.apply(input, v, idx, 1)


def _bool_mask(op: str, mask: Any) -> Any:
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError(f"{op}: expected BoolTensor for mask")
    return mask._data


@out_arg
def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002
    """The elements where ``mask`` (broadcast with ``input``) is True, as a 1-d tensor in row-major order."""
    m = _bool_mask("masked_select", mask)
    shape = np.broadcast_shapes(tuple(input.shape), m.shape)
    x = input if tuple(input.shape) == shape else expand(input, shape)
    xp = backend.array_module(m)
    return MaskedSelect.apply(x, xp.nonzero(xp.broadcast_to(m, shape)))


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """``input`` with its True places (``mask`` broadcast) filled by ``source``'s first elements in order."""
    m = _bool_mask("masked_scatter_", mask)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but got {input.dtype} and "
                           f"{source.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), m.shape)
    x = input if tuple(input.shape) == shape else expand(input, shape)
    xp = backend.array_module(m)
    places = xp.nonzero(xp.broadcast_to(m, shape))
    k = int(places[0].size)
    if source.numel() < k:
        raise RuntimeError(f"Number of elements of source < number of ones in mask ({source.numel()} < {k})")
    return write(MaskedScatter, x, GetItem.apply(reshape(source, -1), (slice(0, k),)), places)


def _flat_positions(op: str, x: Tensor, index: Any) -> Any:
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got {getattr(index, 'dtype', index)}")
    n, idx = x.numel(), index._data.astype(np.int64, copy=False)
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return idx % max(n, 1)


@out_arg
def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """``input.reshape(-1)[index]``: index's shape, negative positions from the end."""
    return Take.apply(reshape(input, -1), (_flat_positions("take", input, index),))


@out_arg
@dim_aliases
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """``gather`` after broadcasting input and indices in every dim but ``dim`` (dim None: on the flattened)."""
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    d = _wrap_dim(dim, input.ndim, "take_along_dim")
    sizes = list(input.shape)
    sizes[d] = indices.shape[d]
    try:
        shape = list(np.broadcast_shapes(tuple(sizes), tuple(indices.shape)))
    except ValueError as exc:
        raise RuntimeError(f"take_along_dim(): indices {tuple(indices.shape)} do not broadcast against input "
                           f"{tuple(input.shape)} outside dim {d}") from exc
    idx = indices if tuple(indices.shape) == tuple(shape) else expand(indices, tuple(shape))
    shape[d] = input.shape[d]
    x = input if tuple(input.shape) == tuple(shape) else expand(input, tuple(shape))
    return gather(x, d, idx)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``input`` with ``input.reshape(-1)[index] = source`` (``+=`` with ``accumulate``)."""
    idx = _flat_positions("put", input, index).reshape(-1)
    if source.numel() != idx.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got source: "
                           f"{source.numel()}, index: {idx.size}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self ({input.dtype}) and source ({source.dtype}) must have the same scalar type")
    places = backend.array_module(idx).unravel_index(idx, tuple(input.shape))  # flat positions as coordinates
    src = reshape(source, -1)
    return PutAccumulate.apply(input, src, places, 1) if accumulate else Put.apply(input, src, places)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The int64 coordinates of the nonzero elements: (n, ndim), or one 1-d tensor per dim with ``as_tuple``."""
    xp = backend.array_module(input._data)
    arr = input._data if input.ndim else input._data.reshape(1)
    coords = [c.astype(np.int64) for c in xp.nonzero(arr)]
    if as_tuple:
        return tuple(Tensor._wrap(c) for c in coords)
    if not input.ndim:
        return Tensor._wrap(xp.zeros((coords[0].size, 0), dtype=np.int64))
    return Tensor._wrap(xp.stack(coords, axis=1) if coords else xp.zeros((0, 0), dtype=np.int64))


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """``nonzero(input)``: (n, ndim) int64 coordinates."""
    return nonzero(input)


def _check_src(op: str, x: Tensor, src: Tensor, index: tuple) -> None:
    want = region_shape(tuple(x.shape), index, x._data)
    if tuple(src.shape) != want:
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(want)}")
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}: expected src of dtype {x.dtype}, got {src.dtype}")


@dim_aliases
def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """``input`` with ``input.select(dim, index)`` replaced by ``src``."""
    d = _wrap_dim(dim, input.ndim, "select_scatter")
    if not -input.shape[d] <= index < input.shape[d]:
        raise IndexError(f"select_scatter(): index {index} out of range for tensor of size {tuple(input.shape)} at "
                         f"dimension {d}")
    place = _along(d, index % input.shape[d])
    _check_src("select_scatter", input, src, place)
    return write(SelectScatter, input, src, place)


@dim_aliases
def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,  # noqa: A002
                  end: int | None = None, step: int = 1) -> Tensor:
    """``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
    d = _wrap_dim(dim, input.ndim, "slice_scatter")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    place = _along(d, slice(start, end, step))
    _check_src("slice_scatter", input, src, place)
    return write(SliceScatter, input, src, place)


def _diagonal_places(shape: tuple, offset: int, d1: int, d2: int, like: Any) -> tuple:
    xp = backend.array_module(like)
    ids = xp.diagonal(xp.arange(int(np.prod(shape))).reshape(shape), offset, d1, d2)
    return xp.unravel_index(ids, shape)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    d1, d2 = _wrap_dim(dim1, input.ndim, "diagonal_scatter"), _wrap_dim(dim2, input.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    place = _diagonal_places(tuple(input.shape), offset, d1, d2, input._data)
    _check_src("diagonal_scatter", input, src, place)
    return write(DiagonalScatter, input, src, place)


def _fill_diagonal(x: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """``x`` with its main diagonal (all dims equal, or a tall matrix: wrapping every n+1 rows) set to a number."""
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and len(set(x.shape)) > 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(tuple(x.shape), dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    places = tuple(backend.move_to(p, x.device) for p in np.nonzero(mask))
    return write(FillDiagonal, x, fill_value, places)


METHODS: dict[str, Any] = {
    "index_select": index_select, "index_add": index_add, "index_copy": index_copy, "index_fill": index_fill,
    "index_put": index_put, "masked_select": masked_select, "masked_scatter": masked_scatter, "take": take,
    "take_along_dim": take_along_dim, "put": put, "nonzero": nonzero, "argwhere": argwhere,
    "select_scatter": select_scatter, "slice_scatter": slice_scatter, "diagonal_scatter": diagonal_scatter,
    **{f"{f.__name__}_": inplace.inplace(f, f"{f.__name__}_")
       for f in (index_add, index_copy, index_fill, index_put, masked_scatter, put)},
    "fill_diagonal_": inplace.inplace(_fill_diagonal, "fill_diagonal_"),
}
