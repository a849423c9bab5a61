"""scatter_add and scatter_reduce: ``src`` reduced into ``x`` at the places ``index`` names along ``dim``.

With ``P(p) = p | dim ← index[p]`` (as in gather) and S(q) the src elements sent to place q:

    scatter_add:    out[q] = x[q] + sum_{p in S(q)} src[p]          dx = g, dsrc[p] = g[P(p)]
    scatter_reduce: out[q] = reduce(x[q] (include_self), src[S(q)]) for reduce in sum, prod, mean, amax, amin;
                    places that receive nothing keep x.

Gradients (torch's ``scatter_reduce_backward``; r = out, n(q) the count of values reduced into q):

    sum:  dx = g,                      dsrc[p] = g[P(p)]
    mean: dx = g / n,                  dsrc[p] = (g / n)[P(p)]
    prod: dx = g r / x,                dsrc[p] = (g r)[P(p)] / src[p]   (zeros handled as torch: a single zero gets
          the product of the others, more than one zero gives 0)
    amax/amin: g shared evenly among the values equal to r: dx = [x == r] g / N, dsrc[p] = [src == r[P(p)]] (g/N)[P(p)]
          with N(q) = [x == r] + #{p in S(q): src[p] == r(q)}; x counted in N even when excluded, as torch.
With include_self=False the gradient of x is zero at the places that received src.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from . import inplace
from ._util import dim_aliases
from .gather import Along, TakeAlong, _check_index, _places
from .indexing import GetItem

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _at(name: str, out: Any, places: tuple, vals: Any) -> None:
    """``out[places] (name)= vals`` with repeats combined one by one (NumPy's ``ufunc.at``)."""
    getattr(backend.array_module(out), name).at(out, places, vals)


def _reduce(x: Any, src: Any, places: tuple, reduce: str, include_self: bool) -> tuple[Any, Any]:
    """(result, n): the reduction and the count of values reduced into each place (x counted when included)."""
    xp = backend.array_module(x)
    hit = xp.zeros(x.shape, dtype=bool)
    hit[places] = True
    out = x.copy()
    n = xp.ones(x.shape, dtype=x.dtype) if include_self else xp.zeros(x.shape, dtype=x.dtype)
    backend.scatter_add(n, places, xp.ones(src.shape, dtype=x.dtype))
    if not include_self:
        if reduce in ("sum", "mean"):
            out[hit] = 0
        elif reduce == "prod":
            out[hit] = 1
        else:
            info = xp.finfo(x.dtype) if x.dtype.kind == "f" else xp.iinfo(x.dtype)
            out[hit] = (-xp.inf if x.dtype.kind == "f" else info.min) if reduce == "amax" else \
                (xp.inf if x.dtype.kind == "f" else info.max)
    name = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}[reduce]
    _at(name, out, places, src)
    if reduce == "mean":
        count = xp.where(n == 0, 1, n).astype(x.dtype)
        out = out / count if x.dtype.kind == "f" else xp.floor_divide(out, count)
    return out, n


class ScatterReduce(Function):
    def forward(self, x: Any, src: Any, places: tuple, reduce: str, include_self: bool) -> Any:
        out, n = _reduce(x, src, places, reduce, include_self)
        self.places, self.reduce, self.include_self = places, reduce, include_self
        self.x, self.src, self.out, self.n = x, src, out, n
        return out

    def _coefficients(self) -> tuple[Any, Any]:
        """(cx, csrc): the backward is dx = cx * g and dsrc = csrc * g[P] for sum, mean, amax and amin."""
        xp = backend.array_module(self.x)
        x, src, r, places = self.x, self.src, self.out, self.places
        if self.reduce == "sum":
            cx, csrc = xp.ones_like(x), xp.ones_like(src)
        elif self.reduce == "mean":
            cx = 1 / xp.where(self.n == 0, 1, self.n)
            csrc = cx[places]
        else:
            x_is = (x == r).astype(x.dtype)
            src_is = (src == r[places]).astype(x.dtype)
            count = x_is.copy()
            backend.scatter_add(count, places, src_is)
            cx = x_is / count
            csrc = src_is / count[places]
        return self._zero_hit(cx), csrc

    def _zero_hit(self, gx: Any) -> Any:
        if not self.include_self:
            gx = gx.copy()
            gx[self.places] = 0
        return gx

    def backward(self, g: Any) -> tuple:
        if self.reduce == "prod":
            return self._prod_backward(g)
        cx, csrc = self._coefficients()
        return cx * g, csrc * g[self.places], None, None, None

    def _prod_backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        x, src, r, places = self.x, self.src, self.out, self.places
        masked_x = xp.where(x == 0, 1, x)
        masked_r, _ = _reduce(masked_x, src, places, "prod", self.include_self)
        gx = self._zero_hit(g * masked_r / masked_x)
        src_zero = src == 0
        zeros_at = xp.zeros(x.shape, dtype=x.dtype)
        backend.scatter_add(zeros_at, places, src_zero.astype(x.dtype))
        single = src_zero & (zeros_at[places] == 1)
        masked_src_r, _ = _reduce(x, xp.where(single, 1, src), places, "prod", self.include_self)
        gsrc = xp.where(single, (g * masked_src_r)[places], (g * r)[places] / xp.where(src_zero, 1, src))
        return gx, gsrc, None, None, None

    def backward_graph(self, g: Tensor) -> tuple:
        if self.reduce == "prod":
            raise RuntimeError("scatter_reduce(reduce='prod'): second-order gradients are not offered here")
        cx, csrc = self._coefficients()
        return g * Tensor._wrap(cx), GetItem.apply(g, self.places) * Tensor._wrap(csrc), None, None, None


class ScatterAdd(Function):
    """scatter_add by an ``gather.Along``: out = x, then src added at the places in the index's order (np.add.at's,
    compiled where the kernel path has it); dx = g, dsrc = g read at the places."""

    def forward(self, x: Any, src: Any, along: Any) -> Any:
        self.along = along
        out = x.copy()
        along.add_into(out, src)
        return out

    def backward(self, g: Any) -> tuple:
        return g, self.along.take(g) if self.needs_input_grad[1] else None, None

    def backward_graph(self, g: Tensor) -> tuple:
        return g, TakeAlong.apply(g, self.along) if self.needs_input_grad[1] else None, None


def _src_region(src: Tensor, index: Tensor) -> Tensor:
    """The part of ``src`` that index covers (src may be larger in every dim, as torch allows)."""
    if tuple(src.shape) == tuple(index.shape):
        return src
    return GetItem.apply(src, tuple(slice(0, n) for n in index.shape))


def _check(op: str, x: Tensor, dim: int, index: Tensor, src: Tensor) -> int:
    d = _check_index(op, x, dim, index)
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' must be Tensor, not {type(src).__name__}")
    if src.ndim != x.ndim or any(n > m for n, m in zip(index.shape, src.shape)):
        raise RuntimeError(f"{op}(): Expected index {tuple(index.shape)} to be smaller than src {tuple(src.shape)} "
                           f"in every dimension")
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype ({x.dtype} vs {src.dtype})")
    return d


@dim_aliases
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``input`` with ``src[p]`` added at ``input[p with dim ← index[p]]`` (repeats add up)."""
    d = _check("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, _src_region(src, index), Along(index._data, d, input.shape))


@dim_aliases
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """``src`` reduced (sum, prod, mean, amax, amin) into ``input`` at ``input[p with dim ← index[p]]``."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch's older names, still taken
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _check("scatter_reduce", input, dim, index, src)
    places = _places(index._data, d)
    return ScatterReduce.apply(input, _src_region(src, index), places, reduce, include_self)


METHODS: dict[str, Any] = {
    "scatter_add": scatter_add, "scatter_reduce": scatter_reduce,
    "scatter_add_": inplace.inplace(scatter_add, "scatter_add_"),
    "scatter_reduce_": inplace.inplace(scatter_reduce, "scatter_reduce_"),
}
