"""Reductions: sum, mean, max/min (with indices), all/any, argmax/argmin, var, std."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ._util import Clone, dim_aliases, to_float
from .elementwise import where


def _axes(dim: Any, ndim: int) -> tuple[int, ...] | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = builtins.max(ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    axes = tuple(sorted(d % n for d in dims))
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {dim} names the same dimension more than once")
    return axes if ndim else ()


def _expand_back(g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None, keepdim: bool) -> Any:
    """Reshape a reduced gradient so it broadcasts against the input again."""
    if axes is None:
        return g.reshape((1,) * len(shape))
    if not keepdim:
        full = list(shape)
        for a in axes:
            full[a] = 1
        g = g.reshape(full)
    return g


def _expand_back_graph(g: Tensor, shape: tuple[int, ...], axes: tuple[int, ...] | None, keepdim: bool) -> Tensor:
    """``_expand_back`` then broadcast to ``shape``, in differentiable ops (for ``backward_graph``)."""
    if axes is None:
        g = g.reshape((1,) * len(shape))
    elif not keepdim:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return g.expand(*shape) if tuple(g.shape) != tuple(shape) else g


class Sum(Function):
    def forward(self, x: Any, axes: Any, keepdim: bool) -> Any:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return backend.array_module(g).broadcast_to(g, self.shape)

    def backward_graph(self, g: Tensor) -> Tensor:
        return _expand_back_graph(g, self.shape, self.axes, self.keepdim)


class Mean(Function):
    def forward(self, x: Any, axes: Any, keepdim: bool) -> Any:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        out = x.mean(axis=axes, keepdims=keepdim)
        self.count = x.size // builtins.max(out.size, 1) if x.size else 0
        return out

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim) / g.dtype.type(builtins.max(self.count, 1))
        return backend.array_module(g).broadcast_to(g, self.shape)

    def backward_graph(self, g: Tensor) -> Tensor:
        return _expand_back_graph(g, self.shape, self.axes, self.keepdim) / builtins.max(self.count, 1)


class AMax(Function):
    """max/min over axes without indices: ties share the gradient evenly, as torch's amax."""

    def forward(self, x: Any, axes: Any, keepdim: bool, is_max: bool) -> Any:
        if x.size == 0 and (axes is None or builtins.any(x.shape[a] == 0 for a in axes)):
            raise IndexError(
                f"max()/min(): cannot reduce over an empty dimension of shape {tuple(x.shape)} (no identity)"
            )
        out = x.max(axis=axes, keepdims=True) if is_max else x.min(axis=axes, keepdims=True)
        self.mask = x == out
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        if keepdim:
            return out
        return out.reshape(tuple(n for i, n in enumerate(x.shape) if axes is not None and i not in axes))

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return self.mask * (g / count.astype(g.dtype))

    def backward_graph(self, g: Tensor) -> Tensor:
        share = self.mask / self.mask.sum(axis=self.axes, keepdims=True)  # constant: ties share evenly
        return _expand_back_graph(g, self.shape, self.axes, self.keepdim) * share.astype(g.dtype)


class MaxDim(Function):
    """max/min along one dim, picked by ``idx`` (argmax/argmin kept with dims): the gradient goes to that index."""

    def forward(self, x: Any, idx: Any, dim: int, keepdim: bool) -> Any:
        out = backend.array_module(x).take_along_axis(x, idx, axis=dim)
        self.idx, self.dim, self.shape, self.keepdim = idx, dim, x.shape, keepdim
        return out if keepdim else out.squeeze(dim)

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        if not self.keepdim:
            g = xp.expand_dims(g, self.dim)
        out = xp.zeros(self.shape, dtype=g.dtype)
        xp.put_along_axis(out, self.idx, g, axis=self.dim)
        return out

    def backward_graph(self, g: Tensor) -> Tensor:
        return PutAlong.apply(g, self.idx, self.dim, self.keepdim, self.shape)


class PutAlong(Function):
    """MaxDim's backward as a node: g placed at ``idx`` along ``dim`` into zeros of ``shape``. Its own backward
    gathers by the same indices, which is MaxDim again."""

    fresh_grads = True

    def forward(self, g: Any, idx: Any, dim: int, keepdim: bool, shape: tuple) -> Any:
        xp = backend.array_module(g)
        self.idx, self.dim, self.keepdim = idx, dim, keepdim
        if not keepdim:
            g = xp.expand_dims(g, dim)
        out = xp.zeros(shape, dtype=g.dtype)
        xp.put_along_axis(out, idx, g, axis=dim)
        return out

    def backward(self, h: Any) -> Any:
        out = backend.array_module(h).take_along_axis(h, self.idx, axis=self.dim)
        return out if self.keepdim else out.squeeze(self.dim)

    def backward_graph(self, h: Tensor) -> Tensor:
        return MaxDim.apply(h, self.idx, self.dim, self.keepdim)


class Var(Function):
    # var = Σ(x-μ)² / max(n - correction, 0);  dvar/dx = 2(x-μ) / (n - correction)
    # With no degrees of freedom left torch's var_backward gives NaN where x == μ and inf elsewhere when
    # reducing everything, and 2(x-μ)/(n - correction) (possibly negative or inf) along dims: we follow it.
    def forward(self, x: Any, axes: Any, correction: float, keepdim: bool) -> Any:
        mean = x.mean(axis=axes, keepdims=True)
        self.x = x  # the second-order path recomputes the centring in differentiable ops
        self.centered = x - mean
        n = x.size // builtins.max(mean.size, 1) if x.size else 0
        self.dof = n - correction
        self.reduces_all = axes is None or x.ndim == 0
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        out = (self.centered * self.centered).sum(axis=axes, keepdims=keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return out / x.dtype.type(builtins.max(self.dof, 0))

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        xp = backend.array_module(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.dof <= 0 and self.reduces_all:
                return g * xp.where(self.centered == 0, np.nan, np.inf).astype(g.dtype)
            return g * self.centered * (g.dtype.type(2) / g.dtype.type(self.dof))

    def backward_graph(self, g: Tensor) -> Tensor:
        g = _expand_back_graph(g, self.shape, self.axes, self.keepdim)
        if self.dof <= 0 and self.reduces_all:
            return g * self.backward(backend.array_module(self.centered).ones(self.shape, dtype=g.dtype))
        x = self.input_tensor(0, self.x)
        centered = x - x.mean(dim=self.axes, keepdim=True) if self.axes is not None else x - x.mean()
        return g * centered * (2.0 / self.dof)


class Std(Var):
    # std = √var;  dstd/dx = dvar/dx / (2 std), with 0 where std == 0 (torch's std_backward masks it)
    def forward(self, x: Any, axes: Any, correction: float, keepdim: bool) -> Any:
        self.std = backend.array_module(x).sqrt(super().forward(x, axes, correction, keepdim))
        return self.std

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            g_var = xp.where(self.std == 0, 0, g / (2 * self.std)).astype(g.dtype, copy=False)
        return super().backward(g_var)

    def backward_graph(self, g: Tensor) -> Tensor:
        std = self.output_tensor(self.std)
        zero = self.std == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            g_var = where(zero, 0.0, g / (2 * where(zero, 1.0, std)))
        return super().backward_graph(g_var)


def _correction(unbiased: bool | None, correction: float | None) -> float:
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


# ---- public functions --------------------------------------------------------------------
@dim_aliases
def sum(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001
    from ._util import cast

    if x._data.dtype.kind in "bu" or (x._data.dtype.kind == "i" and x._data.dtype.itemsize < 8):
        x = cast(x, "int64")
    if dtype is not None:
        x = cast(x, dtype)
    return Sum.apply(x, _axes(dim, x.ndim), keepdim)


@dim_aliases
def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be floating point, got {x.dtype}")
    return Mean.apply(x, _axes(dim, x.ndim), keepdim)


def _max_min(x: Tensor, dim: Any, keepdim: bool, is_max: bool) -> Any:
    from .shape import namedtuple_values_indices

    if dim is None:
        return AMax.apply(x, None, False, is_max)
    if isinstance(dim, Tensor):
        raise TypeError("max(tensor, tensor) is mt.maximum")
    if not isinstance(dim, int):
        raise TypeError(f"max()/min(): dim must be an int, got {dim!r}")
    d = _axes(dim, x.ndim)
    xp = backend.array_module(x._data)
    if x.ndim == 0:
        return namedtuple_values_indices(Clone.apply(x), Tensor._wrap(xp.zeros((), dtype="int64")))
    node_dim = d[0]
    if x.shape[node_dim] == 0:
        raise IndexError(f"max()/min(): cannot reduce over the empty dim {dim} of shape {tuple(x.shape)}")
    idx = xp.expand_dims(xp.argmax(x._data, axis=node_dim) if is_max else xp.argmin(x._data, axis=node_dim), node_dim)
    values = MaxDim.apply(x, idx, node_dim, keepdim)
    indices = idx if keepdim else idx.squeeze(node_dim)
    return namedtuple_values_indices(values, Tensor._wrap(indices.astype("int64", copy=False)))


@dim_aliases
def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``x.max()`` → the largest value; ``x.max(dim)`` → (values, indices) like torch."""
    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(x, dim)
    return _max_min(x, dim, keepdim, True)


@dim_aliases
def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(x, dim)
    return _max_min(x, dim, keepdim, False)


@dim_aliases
def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return AMax.apply(x, _axes(dim, x.ndim), keepdim, True)


@dim_aliases
def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return AMax.apply(x, _axes(dim, x.ndim), keepdim, False)


def _arg_extreme(x: Tensor, dim: int | None, keepdim: bool, is_max: bool) -> Tensor:
    """int64 index of the first max/min (over the flattened tensor when ``dim`` is None), as torch.argmax."""
    xp = backend.array_module(x._data)
    pick = xp.argmax if is_max else xp.argmin
    name = "argmax" if is_max else "argmin"
    if dim is None:
        if x._data.size == 0:
            raise IndexError(f"{name}(): expected a non-empty tensor, got shape {tuple(x.shape)}")
        idx = xp.asarray(pick(x._data))
        if keepdim:
            idx = idx.reshape((1,) * x.ndim)
    elif x.ndim == 0:
        _axes(dim, 0)
        idx = xp.zeros((), dtype="int64")
    else:
        (d,) = _axes(dim, x.ndim)
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): expected reduction dim {dim} to have non-zero size, shape {tuple(x.shape)}")
        idx = xp.asarray(pick(x._data, axis=d, keepdims=keepdim))
    return Tensor._wrap(idx.astype("int64", copy=False))


def _truth_reduce(x: Tensor, dim: Any, keepdim: bool, is_all: bool) -> Tensor:
    """Whether all/any elements (over ``dim``) are non-zero: bool, or uint8 for uint8 input, as torch.all/any."""
    xp = backend.array_module(x._data)
    axes = _axes(dim, x.ndim)
    if dim is None and keepdim:
        axes = tuple(range(x.ndim))
    nonzero = x._data.astype(bool, copy=False)
    out = xp.asarray((xp.all if is_all else xp.any)(nonzero, axis=axes, keepdims=keepdim))
    return Tensor._wrap(out.astype(x._data.dtype if x._data.dtype == np.uint8 else bool, copy=False))


@dim_aliases
def all(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``: an int or a tuple) is non-zero, as torch.all; not differentiable."""
    return _truth_reduce(x, dim, keepdim, True)


@dim_aliases
def any(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element (over ``dim``: an int or a tuple) is non-zero, as torch.any; not differentiable."""
    return _truth_reduce(x, dim, keepdim, False)


@dim_aliases
def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg_extreme(x, dim, keepdim, True)


@dim_aliases
def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg_extreme(x, dim, keepdim, False)


@dim_aliases
def var(
    x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None
) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``), as torch.var.

    ``var(x, False)`` is torch's overload ``var(input, unbiased)``.
    """
    if isinstance(dim, bool):  # torch's overload var(input, unbiased)
        dim, unbiased = None, dim
    return Var.apply(to_float(x), _axes(dim, x.ndim), _correction(unbiased, correction), keepdim)


@dim_aliases
def std(
    x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None
) -> Tensor:
    """Standard deviation, √var, with torch's arguments (``std(x, False)`` is ``unbiased=False``)."""
    if isinstance(dim, bool):  # torch's overload std(input, unbiased)
        dim, unbiased = None, dim
    return Std.apply(to_float(x), _axes(dim, x.ndim), _correction(unbiased, correction), keepdim)


@dim_aliases
def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The vector p-norm over ``dim`` (all elements when None), as torch.norm: ``p`` 2/"fro" (default), 1,
    inf, -inf, 0 (count of non-zeros) or any other number: (Σ|x|^p)^(1/p). Built from differentiable ops."""
    from . import elementwise as ew
    from ._util import cast

    if dtype is not None:
        x = cast(x, dtype)
    x = to_float(x)
    if p == "fro":
        p = 2
    if p == "nuc" or isinstance(p, str):
        raise RuntimeError(f"norm: p={p!r} (a matrix norm) is not offered; the vector norms are")
    if p == float("inf"):
        return amax(ew.abs(x), dim, keepdim)
    if p == float("-inf"):
        return amin(ew.abs(x), dim, keepdim)
    if p == 0:
        count = sum(cast(ew.ne(x, 0), x.dtype), dim, keepdim)
        # piecewise constant: torch still records it, with a zero gradient, so a backward through it works
        return ew.add(count, sum(ew.mul(x, 0.0), dim, keepdim)) if x.requires_grad else count
    if p == 1:
        return sum(ew.abs(x), dim, keepdim)
    # p = 2 squares x itself: |x| would be a pass (and a node) for nothing
    total = sum(ew.mul(x, x), dim, keepdim) if p == 2 else sum(ew.pow(ew.abs(x), p), dim, keepdim)
    # The root's derivative is infinite at a zero norm; torch's norm_backward gives 0 there. Taking the root of
    # 1 where the total is 0 and selecting 0 keeps the gradient finite (0), in differentiable ops.
    zero = ew.eq(total, 0)
    safe = where(zero, 1.0, total)
    root = ew.sqrt(safe) if p == 2 else ew.pow(safe, 1.0 / p)
    return where(zero, 0.0, root)


class Prod(Function):
    """y = Π x over one axis (the flattened tensor when ``axis`` is None).

    dy/dx_i = Π_{j≠i} x_j, taken as (product of those before i) · (product of those after i) from two exclusive
    running products: exact with zeros in x, where y / x_i is not.
    """

    def forward(self, x: Any, axis: int | None, keepdim: bool) -> Any:
        self.shape, self.axis, self.keepdim = x.shape, axis, keepdim
        self.x = x
        return x.prod(axis=axis, keepdims=keepdim)

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        x = self.x.reshape(-1) if self.axis is None else xp.moveaxis(self.x, self.axis, -1)
        ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(x, -1)[..., :-1]], axis=-1), axis=-1), -1)
        others = before * after
        if self.axis is None:
            return (g.reshape(()) * others).reshape(self.shape)
        g = g if self.keepdim else xp.expand_dims(g, self.axis)
        return xp.moveaxis(others, -1, self.axis) * g


@dim_aliases
def prod(x: Tensor, dim: int | None = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The product of the elements (over ``dim``), as torch.prod; integer and bool inputs give int64."""
    from ._util import cast

    if dtype is not None:
        x = cast(x, dtype)
    elif x._data.dtype.kind in "bu" or (x._data.dtype.kind == "i" and x._data.dtype.itemsize < 8):
        x = cast(x, "int64")
    if dim is None:
        return Prod.apply(x, None, False)
    (axis,) = _axes(dim, x.ndim) or (0,)
    return Prod.apply(x, axis if x.ndim else None, keepdim)
