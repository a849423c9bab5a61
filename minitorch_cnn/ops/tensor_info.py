"""What a tensor is and legacy conveniences, as torch's Tensor methods: element_size, itemsize, nbytes, nelement,
ndimension, storage_offset, data_ptr, is_cpu, get_device, is_signed, is_same_size, is_complex, is_nonzero,
is_pinned, pin_memory, byte/char/short, new, apply_, map_ and sum_to_size.

sum_to_size is the only differentiable one: out = g summed over the dims where ``size`` is 1 (or absent), and
its gradient is the upstream gradient expanded back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Size, Tensor
from ._util import cast, sum_to
from .construction import is_complex, is_nonzero
from .factories import empty, tensor
from .shape import _shape_arg


def _address(arr: Any) -> int:
    return int(arr.data.ptr) if hasattr(arr.data, "ptr") else int(arr.__array_interface__["data"][0])


def _owner(arr: Any) -> Any:
    """The array that owns ``arr``'s memory (its storage)."""
    xp = backend.array_module(arr)
    while isinstance(arr.base, xp.ndarray):
        arr = arr.base
    return arr


def storage_offset(self: Tensor) -> int:
    """Where the tensor's first element sits in its storage, in elements."""
    return (_address(self._data) - _address(_owner(self._data))) // self._data.itemsize


def data_ptr(self: Tensor) -> int:
    """The address of the tensor's first element."""
    return _address(self._data)


def get_device(self: Tensor) -> int:
    """-1 on the CPU, else the CUDA device's index."""
    return -1 if self.device.type == "cpu" else (self.device.index or 0)


def is_signed(self: Tensor) -> bool:
    """True for floating and signed integer dtypes (not uint8, not bool)."""
    return self._data.dtype.kind in "fi"


def is_same_size(self: Tensor, other: Tensor) -> bool:
    return tuple(self.shape) == tuple(other.shape)


def pin_memory(self: Tensor, device: Any = None) -> Tensor:
    """The tensor itself: page-locked host memory has no meaning for NumPy arrays."""
    return self


def new(self: Tensor, *args: Any, device: Any = None) -> Tensor:
    """Legacy constructor in this tensor's dtype: ``x.new()`` (empty), ``x.new(2, 3)`` (uninitialised, that
    size), ``x.new([1, 2])`` (from data)."""
    dev = self.device if device is None else device
    if not args:
        return empty(0, dtype=self.dtype, device=dev)
    if all(isinstance(a, int) for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
        return empty(*_shape_arg(args), dtype=self.dtype, device=dev)
    if len(args) == 1:
        data = args[0]._data if isinstance(args[0], Tensor) else args[0]
        return tensor(data, dtype=self.dtype, device=dev)
    raise TypeError(f"new(): expected sizes or data, got {args}")


def _cpu_only(self: Tensor, name: str) -> None:
    if self.device.type != "cpu":
        raise TypeError(f"{name} is only implemented on CPU tensors")


def apply_(self: Tensor, callable: Any) -> Tensor:  # noqa: A002 - torch's name
    """Each element replaced by ``callable(element)``, in place (CPU only, slow: a Python call per element)."""
    _cpu_only(self, "apply_")
    vals = [callable(v) for v in self._data.reshape(-1).tolist()]
    return self._set_(np.asarray(vals).astype(self._data.dtype).reshape(self._data.shape))


def map_(self: Tensor, tensor: Tensor, callable: Any) -> Tensor:  # noqa: A002
    """Each element replaced by ``callable(element, other)``, ``tensor`` broadcast to this shape, in place."""
    _cpu_only(self, "map_")
    other = np.broadcast_to(tensor._data, self._data.shape).reshape(-1).tolist()
    vals = [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), other)]
    return self._set_(np.asarray(vals).astype(self._data.dtype).reshape(self._data.shape))


def sum_to_size(self: Tensor, *size: Any) -> Tensor:
    """Summed down to ``size``, which must broadcast to the tensor's shape."""
    shape = tuple(_shape_arg(size))
    try:
        fits = np.broadcast_shapes(shape, tuple(self.shape)) == tuple(self.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(self.shape)}}}.")
    return sum_to(self, shape)


METHODS: dict[str, Any] = {
    "element_size": lambda self: self._data.itemsize, "nelement": lambda self: self.numel(),
    "ndimension": lambda self: self.ndim, "storage_offset": storage_offset, "data_ptr": data_ptr,
    "get_device": get_device, "is_signed": is_signed, "is_same_size": is_same_size, "is_complex": is_complex,
    "is_nonzero": is_nonzero, "is_pinned": lambda self: False, "pin_memory": pin_memory,
    "byte": lambda self: cast(self, np.uint8), "char": lambda self: cast(self, np.int8),
    "short": lambda self: cast(self, np.int16), "new": new, "apply_": apply_, "map_": map_,
    "sum_to_size": sum_to_size,
    # attributes, as torch's
    "itemsize": property(lambda self: self._data.itemsize), "nbytes": property(lambda self: self._data.nbytes),
    "is_cpu": property(lambda self: self.device.type == "cpu"),
}
