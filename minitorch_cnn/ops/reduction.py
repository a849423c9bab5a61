"""Reductions: sum, mean, max/min (with indices), argmax/argmin, var, std."""

from __future__ import annotations

import builtins
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from ._util import to_float


def _axes(dim: Any, ndim: int) -> tuple[int, ...] | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    for d in dims:
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
    return tuple(sorted(d % builtins.max(ndim, 1) for d in dims)) if ndim else ()


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


class Sum(Function):
    def forward(self, x: Any, axes: Any, keepdim: bool) -> Any:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return backend.array_module(g).broadcast_to(g, self.shape)


class Mean(Function):
    def forward(self, x: Any, axes: Any, keepdim: bool) -> Any:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        out = x.mean(axis=axes, keepdims=keepdim)
        self.count = x.size // builtins.max(out.size, 1) if x.size else 0
        return out

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim) / g.dtype.type(builtins.max(self.count, 1))
        return backend.array_module(g).broadcast_to(g, self.shape)


class AMax(Function):
    """max/min over axes without indices: ties share the gradient evenly, as torch's amax."""

    def forward(self, x: Any, axes: Any, keepdim: bool, is_max: bool) -> Any:
        if x.size == 0:
            raise IndexError("max(): expected a non-empty tensor when no dim is given or the reduced dim is empty")
        out = x.max(axis=axes, keepdims=True) if is_max else x.min(axis=axes, keepdims=True)
        self.mask = x == out
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        return out if keepdim else out.reshape(tuple(n for i, n in enumerate(x.shape) if axes is not None and i not in axes))

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return self.mask * (g / count.astype(g.dtype))


class MaxDim(Function):
    """max/min along one dim with indices: the gradient goes to the returned index."""

    def forward(self, x: Any, dim: int, keepdim: bool, is_max: bool) -> Any:
        xp = backend.array_module(x)
        if x.shape[dim] == 0:
            raise IndexError(f"max(): cannot reduce over an empty dimension {dim} of shape {tuple(x.shape)}")
        idx = xp.argmax(x, axis=dim) if is_max else xp.argmin(x, axis=dim)
        idx = xp.expand_dims(idx, dim)
        out = xp.take_along_axis(x, idx, axis=dim)
        self.idx, self.dim, self.shape, self.keepdim = idx, dim, x.shape, keepdim
        self.indices = idx if keepdim else idx.squeeze(dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        if not self.keepdim:
            g = xp.expand_dims(g, self.dim)
        out = xp.zeros(self.shape, dtype=g.dtype)
        xp.put_along_axis(out, self.idx, g, axis=self.dim)
        return out


class Var(Function):
    # var = Σ(x-μ)² / (n - correction);  dvar/dx = 2(x-μ) / (n - correction)
    def forward(self, x: Any, axes: Any, correction: float, keepdim: bool) -> Any:
        mean = x.mean(axis=axes, keepdims=True)
        self.centered = x - mean
        n = x.size // builtins.max(mean.size, 1) if x.size else 0
        self.denom = builtins.max(n - correction, 0)
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        out = (self.centered * self.centered).sum(axis=axes, keepdims=keepdim)
        return out / x.dtype.type(self.denom)

    def backward(self, g: Any) -> Any:
        g = _expand_back(g, self.shape, self.axes, self.keepdim)
        return g * self.centered * (g.dtype.type(2) / g.dtype.type(self.denom))


def _correction(unbiased: bool | None, correction: float | None) -> float:
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


# ---- public functions --------------------------------------------------------------------
def sum(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001
    from ._util import cast

    if x.data.dtype.kind in "bu" or (x.data.dtype.kind == "i" and x.data.dtype.itemsize < 8):
        x = cast(x, "int64")
    if dtype is not None:
        x = cast(x, dtype)
    return Sum.apply(x, _axes(dim, x.ndim), keepdim)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    if x.data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be floating point, got {x.dtype}")
    return Mean.apply(x, _axes(dim, x.ndim), keepdim)


def _max_min(x: Tensor, dim: Any, keepdim: bool, is_max: bool) -> Any:
    from .shape import namedtuple_values_indices

    if dim is None:
        return AMax.apply(x, None, False, is_max)
    if isinstance(dim, Tensor):
        raise TypeError("max(tensor, tensor) is mt.maximum")
    d = _axes(dim, x.ndim)
    node_dim = d[0] if d else 0
    if x.ndim == 0:
        return namedtuple_values_indices(x, Tensor._wrap(backend.array_module(x.data).zeros((), dtype="int64")))
    values = MaxDim.apply(x, node_dim, keepdim, is_max)
    ctx_indices = values.grad_fn.indices if values.grad_fn is not None else None
    if ctx_indices is None:
        xp = backend.array_module(x.data)
        idx = xp.argmax(x.data, axis=node_dim) if is_max else xp.argmin(x.data, axis=node_dim)
        ctx_indices = xp.expand_dims(idx, node_dim) if keepdim else idx
    return namedtuple_values_indices(values, Tensor._wrap(ctx_indices.astype("int64", copy=False)))


def max(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``x.max()`` → the largest value; ``x.max(dim)`` → (values, indices) like torch."""
    if isinstance(dim, Tensor):
        from .elementwise import maximum

        return maximum(x, dim)
    return _max_min(x, dim, keepdim, True)


def min(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    if isinstance(dim, Tensor):
        from .elementwise import minimum

        return minimum(x, dim)
    return _max_min(x, dim, keepdim, False)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return AMax.apply(x, _axes(dim, x.ndim), keepdim, True)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return AMax.apply(x, _axes(dim, x.ndim), keepdim, False)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    xp = backend.array_module(x.data)
    if dim is None:
        return Tensor._wrap(xp.asarray(xp.argmax(x.data)).astype("int64"))
    return Tensor._wrap(xp.argmax(x.data, axis=dim, keepdims=keepdim).astype("int64"))


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    xp = backend.array_module(x.data)
    if dim is None:
        return Tensor._wrap(xp.asarray(xp.argmin(x.data)).astype("int64"))
    return Tensor._wrap(xp.argmin(x.data, axis=dim, keepdims=keepdim).astype("int64"))


def var(
    x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None
) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``), as torch.var."""
    return Var.apply(to_float(x), _axes(dim, x.ndim), _correction(unbiased, correction), keepdim)


def std(
    x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: float | None = None
) -> Tensor:
    from .elementwise import sqrt

    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))
