"""Running reductions along one dim: cumsum, cumprod, cummax, cummin, logcumsumexp; and logsumexp.

    cumsum:        y_i = Σ_{j≤i} x_j                 dx_k = Σ_{i≥k} g_i                 (a reversed cumsum)
    cumprod:       y_i = Π_{j≤i} x_j                 dx_k = Σ_{i≥k} g_i Π_{j≤i, j≠k} x_j
                   no zero before k: dx_k = revcumsum(g·y)_k / x_k; at the first zero k: revcumsum(g·y')_k with
                   y' the cumprod of x with that zero read as 1; after it: 0 (torch's cumprod_backward)
    cummax/cummin: y_i = x_{idx_i} (idx_i the last place of the running extreme, NaN wins)
                                                     dx = scatter-add of g at idx
    logcumsumexp:  y_i = log Σ_{j≤i} e^{x_j}         dx_k = Σ_{i≥k} g_i e^{x_k - y_i}, summed in log space for
                   the positive and the negative parts of g apart (torch's logcumsumexp_backward)
    logsumexp:     y = m + log Σ e^{x - m}, m the max (0 where infinite)      dx = g e^{x - y}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, return_types
from ..autograd import Function, Tensor
from ..kernels.choice import chosen
from . import elementwise as ew
from . import inplace
from ._util import cast, dim_aliases, out_arg, to_float
from .flip import Flip
from .gather import Gather
from .reduction import _axes
from .shape import _wrap_dim


def _cumsum(xp: Any, a: Any, dim: int, reverse: bool = False) -> Any:
    """The running sum along ``dim`` (from the end when ``reverse``): the chosen kernel path's loop for NumPy
    floats (the same adds in the same order), else NumPy's cumsum."""
    fast = chosen("cumsum_along", a) if xp is np else None
    out = None if fast is None else fast(a, dim, reverse)
    if out is not None:
        return out
    return xp.flip(xp.cumsum(xp.flip(a, axis=dim), axis=dim), axis=dim) if reverse else xp.cumsum(a, axis=dim)


def _rev_cumsum(xp: Any, a: Any, dim: int) -> Any:
    return _cumsum(xp, a, dim, reverse=True)


def _rev_cumsum_graph(a: Tensor, dim: int) -> Tensor:
    return Flip.apply(Cumsum.apply(Flip.apply(a, (dim,)), dim), (dim,))


class Cumsum(Function):
    torch_name = "CumsumBackward0"

    def forward(self, x: Any, dim: int) -> Any:
        self.dim = dim
        return _cumsum(backend.array_module(x), x, dim)

    def backward(self, g: Any) -> Any:
        return _rev_cumsum(backend.array_module(g), g, self.dim)

    def backward_graph(self, g: Tensor) -> Tensor:
        return _rev_cumsum_graph(g, self.dim)


class Cumprod(Function):
    torch_name = "CumprodBackward0"

    def forward(self, x: Any, dim: int) -> Any:
        self.x, self.dim = x, dim
        self.y = backend.array_module(x).cumprod(x, axis=dim)
        return self.y

    def _places(self, xp: Any) -> tuple[Any, Any, bool]:
        """(before, at, anyzero): masks of the places before the first zero along dim and of that zero, and
        whether there is any zero at all."""
        zero = self.x == 0
        pos = xp.arange(self.x.shape[self.dim]).reshape((-1,) + (1,) * (self.x.ndim - 1 - self.dim))
        first = xp.where(zero.any(axis=self.dim, keepdims=True), zero.argmax(axis=self.dim, keepdims=True),
                         self.x.shape[self.dim])
        return pos < first, pos == first, bool(zero.any())

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            plain = _rev_cumsum(xp, self.y * g, self.dim) / self.x
        before, at, anyzero = self._places(xp)
        if not anyzero:
            return plain
        y_skip = xp.cumprod(xp.where(at, 1, self.x), axis=self.dim)  # the cumprod with the first zero read as 1
        at_zero = _rev_cumsum(xp, y_skip * g, self.dim)
        return xp.where(before, plain, xp.where(at, at_zero, 0)).astype(g.dtype, copy=False)

    def backward_graph(self, g: Tensor) -> Tensor:
        x = self.input_tensor(0, self.x)
        if not (self.x == 0).any():
            return _rev_cumsum_graph(self.output_tensor(self.y) * g, self.dim) / x
        # with zeros, torch's O(n²) form, whose derivative is cumprod's second derivative:
        # dx_k = Σ_{i≥k} g_i C[k, i] with C[k, i] = Π_{j≤i, j≠k} x_j, the cumprod of x with x_k read as 1
        xp = backend.array_module(self.x)
        n = self.x.shape[self.dim]
        row = x.movedim(self.dim, -1).unsqueeze(-2)  # (..., 1, n)
        skip_k = Cumprod.apply(ew.where(xp.eye(n, dtype=bool), 1.0, row), row.ndim - 1)  # (..., n, n): C[k, i]
        terms = ew.where(xp.triu(xp.ones((n, n), dtype=bool)), skip_k * g.movedim(self.dim, -1).unsqueeze(-2), 0.0)
        return terms.sum(-1).movedim(-1, self.dim)


class Logcumsumexp(Function):
    torch_name = "LogcumsumexpBackward0"

    def forward(self, x: Any, dim: int) -> Any:
        self.x, self.dim = x, dim
        self.y = backend.array_module(x).logaddexp.accumulate(x, axis=dim)
        return self.y

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        lowest = np.finfo(g.dtype).min
        with np.errstate(divide="ignore"):
            log_abs = xp.log(xp.abs(g))

        def part(mask: Any) -> Any:
            shifted = xp.where(mask, log_abs, lowest) - self.y
            rev = xp.flip(xp.logaddexp.accumulate(xp.flip(shifted, axis=self.dim), axis=self.dim), axis=self.dim)
            with np.errstate(over="ignore"):  # lowest - y may pass -max: it is -inf, whose exp is the 0 meant
                return xp.exp(rev + self.x)

        return part(g > 0) - part(g < 0)

    def backward_graph(self, g: Tensor) -> Tensor:
        x, y = self.input_tensor(0, self.x), self.output_tensor(self.y)
        lowest = float(np.finfo(g._data.dtype).min)
        log_abs = ew.log(ew.abs(g))

        def part(mask: Any) -> Tensor:
            shifted = ew.where(mask, log_abs, lowest) - y
            rev = Flip.apply(Logcumsumexp.apply(Flip.apply(shifted, (self.dim,)), self.dim), (self.dim,))
            return ew.exp(rev + x)

        return part(g._data > 0) - part(g._data < 0)


class Logsumexp(Function):
    torch_name = "LogsumexpBackward0"

    def forward(self, x: Any, axes: tuple | None, keepdim: bool) -> Any:
        xp = backend.array_module(x)
        m = x.max(axis=axes, keepdims=True) if x.size else xp.zeros([1] * x.ndim, dtype=x.dtype)
        m = xp.where(xp.isinf(m), 0, m)
        with np.errstate(divide="ignore"):
            y = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.x, self.y_kept, self.keepdim = x, y, keepdim
        self.y = y if keepdim else y.reshape(tuple(n for i, n in enumerate(x.shape) if i not in (axes or ())))
        return self.y

    def _kept(self, g: Any) -> Any:
        return g if self.keepdim else g.reshape(self.y_kept.shape)

    def backward(self, g: Any) -> Any:
        return self._kept(g) * backend.array_module(g).exp(self.x - self.y_kept)

    def backward_graph(self, g: Tensor) -> Tensor:
        x, y = self.input_tensor(0, self.x), self._kept(self.output_tensor(self.y))
        return self._kept(g) * ew.exp(x - y)


class CummaxValues(Gather):
    torch_name = "CummaxBackward0"


class CumminValues(Gather):
    torch_name = "CumminBackward0"


def _scan(cls: type, x: Tensor, dim: int, name: str) -> Tensor:
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = _wrap_dim(dim, x.ndim, name)
    if x.ndim == 0:
        return cls.apply(x.reshape(1), 0).reshape(())
    return cls.apply(x, d)


def _int64_or(x: Tensor, dtype: Any) -> Tensor:
    if dtype is not None:
        return cast(x, dtype)
    kind = x._data.dtype.kind
    return cast(x, "int64") if kind in "bu" or (kind == "i" and x._data.dtype.itemsize < 8) else x


@out_arg
@dim_aliases
def cumsum(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The running sum along ``dim``; bool and integer inputs give int64 unless ``dtype`` says otherwise."""
    return _scan(Cumsum, _int64_or(x, dtype), dim, "cumsum")


@out_arg
@dim_aliases
def cumprod(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The running product along ``dim`` (gradient exact with zeros in x, as torch)."""
    return _scan(Cumprod, _int64_or(x, dtype), dim, "cumprod")


@out_arg
@dim_aliases
def logcumsumexp(x: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(x), dim))`` computed stably (a running log-add-exp); floating inputs only, as torch."""
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{x.dtype}\'')
    return _scan(Logcumsumexp, x, dim, "logcumsumexp")


@out_arg
@dim_aliases
def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x), dim))`` computed stably, as torch.logsumexp (integer inputs become float)."""
    return Logsumexp.apply(to_float(x), _axes(dim, x.ndim) if x.ndim else None, keepdim)


def _cum_extreme(x: Tensor, dim: int, is_max: bool, name: str) -> Any:
    rt = return_types.cummax if is_max else return_types.cummin
    if x.ndim == 0:
        _wrap_dim(dim, 0, name)
        values, indices = _cum_extreme(x.reshape(1), 0, is_max, name)
        return rt(values.reshape(()), indices.reshape(()))
    d = _wrap_dim(dim, x.ndim, name)
    data = x._data
    xp = backend.array_module(data)
    running = (xp.maximum if is_max else xp.minimum).accumulate(data, axis=d)
    nan = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, dtype=bool)
    pos = xp.arange(data.shape[d]).reshape((-1,) + (1,) * (data.ndim - 1 - d))
    idx = xp.maximum.accumulate(xp.where((data == running) | nan, pos, 0), axis=d).astype("int64", copy=False)
    return rt((CummaxValues if is_max else CumminValues).apply(x, d, idx), Tensor._wrap(idx))


@dim_aliases
def cummax(x: Tensor, dim: int) -> Any:
    """(values, indices): the running maximum along ``dim`` and where it was last reached (NaN propagates)."""
    return _cum_extreme(x, dim, True, "cummax")


@dim_aliases
def cummin(x: Tensor, dim: int) -> Any:
    """(values, indices): the running minimum along ``dim`` and where it was last reached (NaN propagates)."""
    return _cum_extreme(x, dim, False, "cummin")


METHODS: dict[str, Any] = {
    "cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin, "logcumsumexp": logcumsumexp,
    "logsumexp": logsumexp,
    "cumsum_": inplace.inplace(cumsum, "cumsum_"), "cumprod_": inplace.inplace(cumprod, "cumprod_"),
}
