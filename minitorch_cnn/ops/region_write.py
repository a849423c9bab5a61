"""Writing or adding into a region of a tensor out of place: the primitives behind index_copy, index_put,
index_fill, masked_scatter, select_scatter, slice_scatter, diagonal_scatter and fill_diagonal_ (RegionWrite), and
index_add and index_put(accumulate=True) (RegionAdd; scatter_add has its own node, ``scatter_reduce.py``).

``index`` is a NumPy index (slices, integer arrays, or a mix) naming the written region of ``x``; ``src`` has the
region's shape ``x[index].shape``:

    forward:   out = x;  out[index] = src            (a repeated place keeps the last write, as NumPy and torch's CPU)
    backward:  dx = g, zero on the region;  dsrc = g[index]   (every repeat reads the gradient there, as torch)

    RegionAdd: out = x;  out[index] += alpha * src  (repeats add up)    dx = g;  dsrc = alpha * g[index]

All gradients are linear in g with constants fixed by the index, so the backward as a graph is g times a mask and
an index of g, which differentiates again.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from .indexing import GetItem


def region_mask(shape: tuple, index: tuple, like: Any) -> Any:
    """A bool array of ``shape``, True on ``index``."""
    mask = backend.array_module(like).zeros(shape, dtype=bool)
    mask[index] = True
    return mask


class RegionWrite(Function):
    def forward(self, x: Any, src: Any, index: tuple) -> Any:
        self.index = index
        out = x.copy()
        out[index] = src
        return out

    def backward(self, g: Any) -> tuple:
        gx = g.copy()
        gx[self.index] = 0
        gsrc = g[self.index].copy() if self.needs_input_grad[1] else None
        return gx, gsrc, None

    def backward_graph(self, g: Tensor) -> tuple:
        keep = ~region_mask(g.shape, self.index, g._data)
        gx = g * Tensor._wrap(keep.astype(g._data.dtype))
        gsrc = GetItem.apply(g, self.index) if self.needs_input_grad[1] else None
        return gx, gsrc, None


class RegionAdd(Function):
    def forward(self, x: Any, src: Any, index: tuple, alpha: Any) -> Any:
        self.index, self.alpha = index, alpha
        out = x.copy()
        backend.scatter_add(out, index, src if alpha == 1 else src * alpha)
        return out

    def backward(self, g: Any) -> tuple:
        gsrc = None
        if self.needs_input_grad[1]:
            gsrc = g[self.index] * self.alpha if self.alpha != 1 else g[self.index].copy()
        return g, gsrc, None, None

    def backward_graph(self, g: Tensor) -> tuple:
        gsrc = None
        if self.needs_input_grad[1]:
            gsrc = GetItem.apply(g, self.index)
            gsrc = gsrc if self.alpha == 1 else gsrc * self.alpha
        return g, gsrc, None, None


class IndexAdd(RegionAdd):
    pass


class IndexPutAccumulate(RegionAdd):
    torch_name = "IndexPutBackward0"


class PutAccumulate(RegionAdd):
    torch_name = "PutBackward0"


# each op's node carries torch's name (``IndexCopyBackward0`` ...), from the class name
class IndexCopy(RegionWrite):
    pass


class IndexFill(RegionWrite):
    pass


class IndexPut(RegionWrite):
    pass


class MaskedScatter(RegionWrite):
    pass


class SelectScatter(RegionWrite):
    pass


class SliceScatter(RegionWrite):
    pass


class DiagonalScatter(RegionWrite):
    pass


class Put(RegionWrite):
    pass


class FillDiagonal(RegionWrite):
    torch_name = "torch::autograd::CopySlices"  # torch writes the diagonal through a view


def write(cls: type, x: Tensor, src: Any, index: tuple) -> Tensor:
    """``cls.apply`` with ``src`` (a Tensor of x's dtype, or a number) fitted to the region's shape."""
    if not isinstance(src, Tensor):
        src = Tensor._wrap(backend.array_module(x._data).asarray(src, dtype=x._data.dtype))
    region = region_shape(x.shape, index, x._data)
    if tuple(src.shape) != region:
        src = src.expand(region)
    return cls.apply(x, src, index)


def region_shape(shape: tuple, index: tuple, like: Any) -> tuple:
    """``x[index].shape`` for an ``x`` of ``shape`` (on ``like``'s device), reading no data of x."""
    xp = backend.array_module(like)
    return tuple(xp.broadcast_to(xp.empty((), dtype=bool), shape)[index].shape)
