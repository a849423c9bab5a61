"""``torch.diagonal(x, offset=0, dim1=0, dim2=1)``: the view of the entries ``x[..i.., ..i+offset..]``.

Forward: dims ``dim1`` and ``dim2`` are removed and the diagonal is appended as the last dim (a view: writes reach
``x``, as torch's). Backward: the gradient is written onto the same diagonal of zeros shaped as ``x``
(``DiagonalEmbed``), whose own backward takes the diagonal again.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from .shape import _wrap_dim


def _view(arr: Any, offset: int, d1: int, d2: int) -> Any:
    """NumPy's diagonal view made writeable (NumPy hands it out read-only; the memory is the array's own)."""
    view = backend.array_module(arr).diagonal(arr, offset, d1, d2)
    if hasattr(view.flags, "writeable") and arr.flags.writeable:
        view.flags.writeable = True
    return view


class Diagonal(Function):
    def forward(self, x: Any, offset: int, d1: int, d2: int) -> Any:
        self.shape, self.args = x.shape, (offset, d1, d2)
        return _view(x, offset, d1, d2)

    def backward(self, g: Any) -> Any:
        return _embed(g, self.shape, *self.args)

    def backward_graph(self, g: Tensor) -> Tensor:
        return DiagonalEmbed.apply(g, self.shape, *self.args)


def _embed(g: Any, shape: tuple, offset: int, d1: int, d2: int) -> Any:
    out = backend.array_module(g).zeros(shape, dtype=g.dtype)
    _view(out, offset, d1, d2)[...] = g
    return out


class DiagonalEmbed(Function):
    """Diagonal's backward as a node: ``g`` on the diagonal of zeros shaped as the input."""

    fresh_grads = True

    def forward(self, g: Any, shape: tuple, offset: int, d1: int, d2: int) -> Any:
        self.args = (offset, d1, d2)
        return _embed(g, shape, offset, d1, d2)

    def backward(self, h: Any) -> Any:
        return backend.array_module(h).ascontiguousarray(_view(h, *self.args))

    def backward_graph(self, h: Tensor) -> Tensor:
        return Diagonal.apply(h, *self.args)


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes, ``offset`` above (>0) or below (<0) the main one, as the last dim."""
    d1, d2 = _wrap_dim(dim1, x.ndim, "diagonal"), _wrap_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(x, offset, d1, d2)
