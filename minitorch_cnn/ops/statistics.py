"""Statistics: nansum, nanmean, var_mean, std_mean, aminmax, count_nonzero, histc, histogram, cov, corrcoef.

Built from differentiable ops, so their gradients (and second order) are those of the pieces:

    nansum:   Σ_{x≠NaN} x                    dx = g where x is not NaN, 0 at the NaNs
    nanmean:  nansum / #{x≠NaN}
    cov:      C = (X - x̄) W (X - x̄)ᵀ / (Σw - c·Σ(w·a)/Σw)   X: (variables, observations), w = fweights·aweights,
              x̄ = Σ X w / Σw, a = aweights, c the correction (torch's formula, weights optional)
    corrcoef: R_ij = clip(C_ij / √(C_ii C_jj), -1, 1)
histc and histogram count and carry no gradient.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import backend, return_types
from ..autograd import Tensor
from . import elementwise as ew
from . import reduction
from ._util import cast, dim_aliases, out_arg, to_float
from .diagonal import diagonal
from .factories import torch_linspace
from .matmul import mm
from .reduction import _axes


def _not_nan(x: Tensor) -> Any:
    return ~backend.array_module(x._data).isnan(x._data) if x._data.dtype.kind == "f" else None


@out_arg
@dim_aliases
def nansum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum treating NaN as zero, as torch.nansum (integer inputs sum to int64)."""
    keep = _not_nan(x)
    if keep is not None and not keep.all():
        x = ew.where(Tensor._wrap(keep), x, 0.0)
    return reduction.sum(x, dim, keepdim, dtype=dtype)


@out_arg
@dim_aliases
def nanmean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the non-NaN elements (NaN where there is none), as torch.nanmean; floating inputs only."""
    if x._data.dtype.kind != "f" and dtype is None:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got {x.dtype}")
    if dtype is not None:
        x = cast(x, dtype)
    count = Tensor._wrap(_not_nan(x).astype(x._data.dtype))
    with np.errstate(invalid="ignore"):  # 0/0: NaN where a slice is all NaN, as torch
        return ew.div(nansum(x, dim, keepdim), reduction.sum(count, dim, keepdim))


def _floating(x: Tensor, name: str) -> None:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


@dim_aliases
def var_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(var(x, ...), mean(x, ...))`` with torch.var's arguments, as torch.var_mean."""
    if isinstance(dim, bool):  # torch's overload var_mean(input, unbiased)
        dim, unbiased = None, dim
    _floating(x, "var_mean")
    var = reduction.var(x, dim, unbiased, keepdim, correction=correction)
    return var, reduction.mean(to_float(x), dim, keepdim)


@dim_aliases
def std_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(std(x, ...), mean(x, ...))`` with torch.std's arguments, as torch.std_mean."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _floating(x, "std_mean")
    std = reduction.std(x, dim, unbiased, keepdim, correction=correction)
    return std, reduction.mean(to_float(x), dim, keepdim)


def aminmax(x: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """(min, max) over all elements or along ``dim``, as torch.aminmax (ties share each gradient evenly)."""
    if x._data.size == 0 or (dim is not None and x.ndim and x.shape[_axes(dim, x.ndim)[0]] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    if dim is None and keepdim:
        dims = tuple(range(x.ndim))
        return return_types.aminmax(reduction.amin(x, dims, True), reduction.amax(x, dims, True))
    return return_types.aminmax(reduction.amin(x, dim, keepdim), reduction.amax(x, dim, keepdim))


def count_nonzero(x: Tensor, dim: Any = None) -> Tensor:
    """The number of non-zero elements (over ``dim``: an int or a tuple), int64, as torch.count_nonzero."""
    nonzero = x._data != 0
    return Tensor._wrap(backend.array_module(nonzero).asarray(nonzero.sum(axis=_axes(dim, x.ndim))).astype("int64"))


def _float_only(x: Tensor, kernel: str) -> None:
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{str(x.dtype).split(".")[-1]}\'')


@out_arg
def histc(x: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002 - torch's names
    """Counts of the elements in ``bins`` equal-width bins over [min, max] (the data's range when both are 0;
    the last bin closed), as torch.histc; elements outside and NaNs are not counted."""
    _float_only(x, "histogram_cpu")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    data = x._data.reshape(-1)
    xp = backend.array_module(data)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    dt = data.dtype
    inside = (data >= dt.type(lo)) & (data <= dt.type(hi))
    pos = ((data[inside] - dt.type(lo)) * dt.type(bins) / (dt.type(hi) - dt.type(lo))).astype("int64")
    counts = xp.bincount(xp.minimum(pos, bins - 1), minlength=bins)
    return Tensor._wrap(counts.astype(dt))


def histogram(x: Tensor, bins: Any = 100, *, range: Any = None, weight: Tensor | None = None,  # noqa: A002
              density: bool = False) -> Any:
    """(hist, bin_edges) as torch.histogram: ``bins`` a count of equal-width bins over ``range`` (the data's
    range by default) or a 1-D tensor of increasing edges; the last bin closed; ``weight`` sums weights instead
    of counting; ``density`` divides by the total and the bin widths."""
    _float_only(x, "histogramdd")
    data = x._data.reshape(-1)
    xp = backend.array_module(data)
    dt = data.dtype
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): range= goes with an int number of bins, not with a Tensor of bin edges")
        edges = bins._data.astype(dt)
    else:
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif data.size:
            lo, hi = float(data.min()), float(data.max())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"torch.histogram(): min should not exceed max, but got min {lo} max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp.asarray(torch_linspace(lo, hi, int(bins) + 1, dt))
    n = edges.size - 1
    inside = (data >= edges[0]) & (data <= edges[-1])
    pos = xp.minimum(xp.searchsorted(edges, data[inside], side="right") - 1, n - 1)
    w = None if weight is None else weight._data.reshape(-1)[inside]
    hist = xp.bincount(pos, weights=w, minlength=n).astype(dt)
    if density:
        hist = hist / (hist.sum() * xp.diff(edges)).astype(dt)
    return return_types.histogram(Tensor._wrap(hist.astype(dt)), Tensor._wrap(edges))


def cov(x: Tensor, *, correction: int = 1, fweights: Tensor | None = None, aweights: Tensor | None = None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``x`` (observations in the columns), as torch.cov;
    ``fweights`` (integer repeat counts) and ``aweights`` weigh the observations."""
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {x.ndim} "
                           "dimensions")
    rows = to_float(x).reshape(1, -1) if x.ndim < 2 else to_float(x)
    n = rows.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights.ndim > 1 or weights.shape[0] != n:
            raise RuntimeError(f"cov(): expected {name} to have one dimension and {n} elements but got "
                               f"{tuple(weights.shape)}")
        if name == "fweights" and weights._data.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got {weights.dtype}")
        if weights._data.size and (weights._data < 0).any():
            raise RuntimeError(f"cov(): {name} cannot be negative")
        weights = cast(weights, rows.dtype)
        w = weights if w is None else ew.mul(w, weights)
    w_sum = reduction.sum(w) if w is not None else float(n)
    if w is not None and aweights is not None and correction != 0:
        norm = ew.sub(w_sum, ew.mul(reduction.sum(ew.mul(w, cast(aweights, rows.dtype))), correction / w_sum))
    else:
        norm = ew.sub(w_sum, correction) if isinstance(w_sum, Tensor) else w_sum - correction
    norm_value = norm.item() if isinstance(norm, Tensor) else norm
    if norm_value <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm = 0.0
    weighted = rows if w is None else ew.mul(rows, w)
    centred = ew.sub(rows, ew.div(reduction.sum(weighted, 1), w_sum).unsqueeze(1))
    c = mm(centred, (centred if w is None else ew.mul(centred, w)).t())
    with np.errstate(divide="ignore", invalid="ignore"):
        return ew.div(c, norm).squeeze()


def corrcoef(x: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the rows of ``x``, from ``cov``, clipped to [-1, 1] as torch."""
    c = cov(x)
    if c.ndim == 0:
        return ew.div(c, c)
    std = ew.sqrt(diagonal(c))
    c = ew.div(ew.div(c, std.reshape(-1, 1)), std.reshape(1, -1))
    return ew.clamp(c, -1, 1)


METHODS: dict[str, Any] = {
    "nansum": nansum, "nanmean": nanmean, "aminmax": aminmax, "count_nonzero": count_nonzero, "histc": histc,
    "histogram": histogram, "cov": cov, "corrcoef": corrcoef,
}
