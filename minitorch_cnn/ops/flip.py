"""``flip``: the order of the elements reversed along the given dims.

    forward:  out[..., i, ...] = x[..., n - 1 - i, ...]     along each dim in ``dims``
    backward: dx = flip(g, dims)                            (a permutation is its own inverse here)
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor


class Flip(Function):
    def forward(self, x: Any, dims: tuple) -> Any:
        self.dims = dims
        return backend.array_module(x).flip(x, axis=dims).copy() if dims else x.copy()

    def backward(self, g: Any) -> tuple:
        return (backend.array_module(g).flip(g, axis=self.dims) if self.dims else g), None

    def backward_graph(self, g: Tensor) -> tuple:
        return Flip.apply(g, self.dims), None


def flip(x: Tensor, dims: Any) -> Tensor:
    """``torch.flip(x, dims)``: a copy with the dims in ``dims`` (a sequence of ints) reversed."""
    if not isinstance(dims, (list, tuple)):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}")
    wrapped = []
    for d in dims:
        n = max(x.ndim, 1)
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        d %= n
        if d in wrapped:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        wrapped.append(d)
    return Flip.apply(x, tuple(wrapped) if x.ndim else ())


def flip_method(x: Tensor, *dims: Any) -> Tensor:
    """``Tensor.flip(*dims)`` or ``Tensor.flip(dims)``."""
    return flip(x, tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else dims)
