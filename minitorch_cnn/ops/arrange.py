"""Rearranging a tensor's elements: roll, rot90, fliplr, flipud, tile, broadcast_to/tensors/shapes, ravel, clone.

    roll:  out[i] = x[(i - shift) mod n] along each rolled dim   dx = g rolled back by -shift
    rot90: k quarter turns in the plane (dims[0], dims[1]) from dims[0] towards dims[1], a flip and a transpose
    tile:  repeat after padding the repeats with leading ones   (dx sums g over the copies)
    broadcast_to / broadcast_tensors: expand                     (dx sums g over the broadcast dims)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Size, Tensor
from ._util import Clone
from .flip import flip
from .shape import _shape_arg, _wrap_dim, contiguous, expand, repeat, reshape, transpose


class Roll(Function):
    def forward(self, x: Any, shifts: tuple, dims: tuple) -> Any:
        self.shifts, self.dims = shifts, dims
        return _roll(x, shifts, dims)

    def backward(self, g: Any) -> Any:
        return _roll(g, tuple(-s for s in self.shifts), self.dims)

    def backward_graph(self, g: Tensor) -> Tensor:
        return Roll.apply(g, tuple(-s for s in self.shifts), self.dims)


def _roll(x: Any, shifts: tuple, dims: tuple) -> Any:
    xp = backend.array_module(x)
    if not dims:  # the flattened tensor, rolled, in its shape again
        return xp.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
    return xp.roll(x, shifts, axis=dims)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002 - torch's name
    """Elements shifted ``shifts`` places along ``dims`` (the flattened tensor when None), wrapping around."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not dims and len(shifts) != 1:
        raise RuntimeError(f"roll: shifts must be a single number when dims is not given, got shifts {shifts}")
    if dims and len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return Roll.apply(input, shifts, tuple(_wrap_dim(d, input.ndim, "roll") for d in dims))


def _roll_method(self: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    return roll(self, shifts, dims)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:  # noqa: A002
    """The tensor turned ``k`` quarter turns in the plane ``dims``, from dims[0] towards dims[1]."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = (_wrap_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, [d1]), d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return transpose(flip(input, [d0]), d0, d1)
    return Clone.apply(input)


def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    """Columns (dim 1) in reverse order."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, [1])


def flipud(input: Tensor) -> Tensor:  # noqa: A002
    """Rows (dim 0) in reverse order."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, [0])


def tile(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    """``repeat`` with ``dims`` padded by leading ones to the tensor's number of dims."""
    dims = tuple(_shape_arg((dims,)) if not isinstance(dims, int) else (dims,))
    return repeat(input, *((1,) * (input.ndim - len(dims)) + dims))


def _tile_method(self: Tensor, *dims: Any) -> Tensor:
    return tile(self, _shape_arg(dims))


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape all ``shapes`` (sequences or single ints) broadcast to."""
    try:
        return Size(np.broadcast_shapes(*((s,) if isinstance(s, int) else tuple(s) for s in shapes)))
    except ValueError as exc:
        raise RuntimeError(f"Attempting to broadcast a dimension that does not match: shapes {list(shapes)} do not "
                           "broadcast to a single shape") from exc


def broadcast_to(input: Tensor, size: Any) -> Tensor:  # noqa: A002
    """``expand(input, size)``: the view broadcast to ``size`` (-1 keeps a dim)."""
    return expand(input, tuple(size))


def broadcast_tensors(*tensors: Any) -> tuple:
    """Every tensor expanded to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = tuple(broadcast_shapes(*(tuple(t.shape) for t in tensors)))
    return tuple(t if tuple(t.shape) == shape else expand(t, shape) for t in tensors)


def ravel(input: Tensor) -> Tensor:  # noqa: A002
    """The elements as a 1-d tensor in row-major order (a view when the layout allows)."""
    return reshape(input, -1)


def clone(input: Tensor, *, memory_format: Any = backend.preserve_format) -> Tensor:  # noqa: A002
    """A copy (differentiable: its gradient is g), in ``memory_format`` when given."""
    out = Clone.apply(input)
    return out if memory_format is backend.preserve_format else contiguous(out, memory_format)


METHODS: dict[str, Any] = {
    "roll": _roll_method, "rot90": rot90, "fliplr": fliplr, "flipud": flipud, "tile": _tile_method,
    "broadcast_to": broadcast_to, "ravel": ravel,
}
