"""Order statistics: median, nanmedian, kthvalue, mode, quantile, nanquantile.

Each picks values out of the sorted input, so its gradient goes back to the places picked:

    along a dim:      y = x[idx]                    dx = scatter of g to idx           (median, kthvalue, mode)
    whole tensor:     y = the lower median m        dx = g / #{x = m} at each x = m     (ties share, as torch)
    quantile (linear) y = (1 - w)·s_lo + w·s_hi     ds_lo = (1 - w) g, ds_hi = w g, s the sorted values,
                      rank q·(n - 1), lo/hi its floor/ceil, w its fraction (lower/higher/nearest pick one,
                      midpoint takes w = ½)
NaN: median, kthvalue and quantile give NaN for a slice holding one (NaN sorts last); the nan- forms skip them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, return_types
from ..autograd import Function, Tensor
from ._util import out_arg
from .gather import Gather
from .reduction import MaxDim, _axes
from .shape import _wrap_dim
from .sorting import _order


class EvenShare(Function):
    """A value chosen from the whole of ``x`` (0-d); the gradient is shared evenly by the elements equal to it
    (the NaNs when it is NaN), as torch's evenly_distribute_backward."""

    def forward(self, x: Any, value: Any) -> Any:
        xp = backend.array_module(x)
        self.share = xp.isnan(x) if xp.isnan(value) else x == value
        self.share = self.share / self.share.sum()
        return value.copy()

    def backward(self, g: Any) -> Any:
        return g * self.share.astype(g.dtype)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * Tensor._wrap(self.share.astype(g._data.dtype))


class MedianShare(EvenShare):
    torch_name = "MedianBackward0"


class NanmedianShare(EvenShare):
    torch_name = "NanmedianBackward0"


def _picker(torch_name: str) -> type:
    """MaxDim (values taken at indices along a dim, the gradient put back there) under torch's node name."""
    return type(torch_name.replace("Backward", "Pick"), (MaxDim,), {"torch_name": torch_name})


_PICKERS = {name: _picker(f"{name.capitalize()}Backward{n}") for name, n in
            (("median", 1), ("nanmedian", 1), ("kthvalue", 0), ("mode", 0))}


def _pick_along(x: Tensor, dim: int, keepdim: bool, rank: Any, name: str, rt: Any) -> Any:
    """(values, indices): the element of sorted rank ``rank(nan_count, n)`` along ``dim`` (the rank an int, or
    an int array with the reduced dim kept, of size 1)."""
    if x.ndim == 0:
        _wrap_dim(dim, 0, name)
        values, indices = _pick_along(x.reshape(1), 0, False, rank, name, rt)
        return rt(values.reshape(()), indices.reshape(()))
    d = _wrap_dim(dim, x.ndim, name)
    if x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    _no_bool(x, "kthvalue_cpu" if name == "kthvalue" else "median_out")
    xp = backend.array_module(x._data)
    order = _order(x._data, d, False)
    nans = xp.isnan(x._data).sum(axis=d, keepdims=True) if x._data.dtype.kind == "f" else 0
    kept = tuple(1 if i == d else n for i, n in enumerate(x.shape))
    ranks = xp.broadcast_to(xp.asarray(rank(nans, x.shape[d]), dtype="int64"), kept)
    idx = xp.take_along_axis(order, ranks, axis=d)
    values = _PICKERS[name].apply(x, idx, d, keepdim)
    return rt(values, Tensor._wrap(idx if keepdim else idx.squeeze(d)))


def _no_bool(x: Tensor, kernel: str) -> None:
    if x._data.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _whole(x: Tensor, skip_nan: bool) -> Tensor:
    _no_bool(x, "median_cpu")
    flat = x._data.reshape(-1)
    xp = backend.array_module(flat)
    if flat.size == 0:
        return Tensor._wrap(xp.asarray(np.nan, dtype=flat.dtype))
    s = xp.sort(flat)
    nans = int(xp.isnan(flat).sum()) if flat.dtype.kind == "f" else 0
    share = NanmedianShare if skip_nan else MedianShare
    if nans and not skip_nan:
        return share.apply(x, s[-1].reshape(()))
    n = max(flat.size - nans, 1)
    return share.apply(x, xp.asarray(s[(n - 1) // 2]))


def _kept_shape(x: Tensor, keepdim: bool) -> tuple[int, ...]:
    return tuple(1 for _ in x.shape) if keepdim else ()


def median(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """``median(x)``: the lower median of all elements (NaN if any is NaN); ``median(x, dim)``: (values,
    indices) of the lower median along ``dim``, as torch.median."""
    if dim is None:
        return _whole(x, skip_nan=False)
    xp = backend.array_module(x._data)
    rank = lambda nans, n: xp.where(nans > 0, n - nans, (n - 1) // 2)  # noqa: E731 - the first NaN if any
    return _pick_along(x, dim, keepdim, rank, "median", return_types.median)


def nanmedian(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """As ``median``, ignoring NaNs (NaN only where a slice is all NaN), as torch.nanmedian."""
    if dim is None:
        return _whole(x, skip_nan=True)
    xp = backend.array_module(x._data)
    rank = lambda nans, n: xp.maximum(n - nans - 1, 0) // 2  # noqa: E731
    return _pick_along(x, dim, keepdim, rank, "nanmedian", return_types.nanmedian)


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices): the ``k``-th smallest element (1-based) along ``dim``, NaN counting as the largest."""
    n = x.shape[_wrap_dim(dim, x.ndim, "kthvalue")] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {_wrap_dim(dim, x.ndim, '')}")
    return _pick_along(x, dim, keepdim, lambda nans, size: k - 1, "kthvalue", return_types.kthvalue)


def mode(x: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices): the most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    last place it occurs, as torch.mode."""
    if x.ndim == 0:
        _wrap_dim(dim, 0, "mode")
        values, indices = mode(x.reshape(1), 0)
        return return_types.mode(values.reshape(()), indices.reshape(()))
    d = _wrap_dim(dim, x.ndim, "mode")
    xp = backend.array_module(x._data)
    order = xp.moveaxis(_order(x._data, d, False), d, -1)
    s = xp.take_along_axis(xp.moveaxis(x._data, d, -1), order, axis=-1)
    n = s.shape[-1]
    pos = xp.arange(n)
    starts = xp.ones(s.shape, dtype=bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]
    ends = xp.ones(s.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    first = xp.maximum.accumulate(xp.where(starts, pos, 0), axis=-1)
    last = xp.flip(xp.minimum.accumulate(xp.flip(xp.where(ends, pos, n), axis=-1), axis=-1), axis=-1)
    best = xp.argmax(last - first, axis=-1)[..., None]  # the first longest run: the smallest such value
    idx = xp.take_along_axis(order, xp.take_along_axis(last, best, axis=-1), axis=-1)
    idx = xp.moveaxis(idx, -1, d).astype("int64", copy=False)
    values = _PICKERS["mode"].apply(x, idx, d, keepdim)
    return return_types.mode(values, Tensor._wrap(idx if keepdim else idx.squeeze(d)))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str, skip_nan: bool) -> Tensor:
    name = "nanquantile" if skip_nan else "quantile"
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    xp = backend.array_module(x._data)
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._data.dtype != x._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        qs = q._data.reshape(-1)
    else:
        qs = xp.asarray([q], dtype=x._data.dtype)
    if qs.size and (float(qs.min()) < 0 or float(qs.max()) > 1):
        bad = float(qs.min()) if float(qs.min()) < 0 else float(qs.max())
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {bad:g}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if dim is None:
        rows, out_shape = x.reshape(-1), _kept_shape(x, keepdim)
    else:
        (d,) = _axes(dim, x.ndim) or (0,)
        rows = x.movedim(d, -1) if x.ndim else x.reshape(1)
        out_shape = tuple(1 if i == d else s for i, s in enumerate(x.shape)) if keepdim else rows.shape[:-1]
    n = rows.shape[-1]
    if n == 0:
        raise IndexError(f"{name}() input tensor must be non-empty")
    order = _order(rows._data, rows.ndim - 1, False)
    s = Gather.apply(rows, rows.ndim - 1, order)  # (..., n), NaN last
    nans = xp.isnan(rows._data).sum(axis=-1, keepdims=True)
    if skip_nan:
        ranks = qs * (n - nans - 1).astype(qs.dtype)
        ranks = xp.where(n - nans == 0, 0, ranks)  # all NaN: the NaN itself
    else:
        ranks = xp.where(nans > 0, n - 1, qs * (n - 1))
    ranks = ranks.astype(qs.dtype, copy=False)
    ranks = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}.get(interpolation, lambda r: r)(ranks)
    below = ranks.astype("int64")
    lo = Gather.apply(s, s.ndim - 1, below)  # (..., nq)
    if interpolation in ("linear", "midpoint"):
        weights = xp.full_like(ranks, 0.5) if interpolation == "midpoint" else (ranks - below).astype(ranks.dtype)
        hi = Gather.apply(s, s.ndim - 1, xp.ceil(ranks).astype("int64"))
        lo = lo + (hi - lo) * Tensor._wrap(weights)
    out = lo.movedim(-1, 0).reshape((qs.size,) + tuple(out_shape))
    return out.reshape(tuple(out_shape)) if not isinstance(q, Tensor) or q.ndim == 0 else out


@out_arg
def quantile(x: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles of ``x`` (all elements, or along ``dim``), as torch.quantile: ``q`` a number, a 0-d
    or a 1-D tensor (its values first in the result). NaN where a slice holds one."""
    return _quantile(x, q, dim, keepdim, interpolation, skip_nan=False)


@out_arg
def nanquantile(x: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """As ``quantile``, ignoring NaNs (NaN where a slice is all NaN)."""
    return _quantile(x, q, dim, keepdim, interpolation, skip_nan=True)


METHODS: dict[str, Any] = {
    "median": median, "nanmedian": nanmedian, "kthvalue": kthvalue, "mode": mode, "quantile": quantile,
    "nanquantile": nanquantile,
}
