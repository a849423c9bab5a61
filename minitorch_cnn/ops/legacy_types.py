"""torch's legacy tensor types: ``mt.FloatTensor``, ``mt.LongTensor`` ... and ``mt.cuda.FloatTensor`` ...

Each is a constructor of one dtype on one device (``FloatTensor(2, 3)``: that shape, zeros here where torch leaves
it uninitialised; ``FloatTensor([1, 2])``: from data, cast as NumPy casts, so ``LongTensor([1.7])`` is ``[1]``)
and an isinstance check (``isinstance(t, mt.FloatTensor)``: t is a float32 tensor on the CPU), as torch's
metaclass makes them. ``Tensor.type()`` names a tensor's legacy type and ``Tensor.type(T)`` casts to one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..autograd.size import Size
from ._util import ToDevice, cast

_NAMES = {"Float": np.float32, "Double": np.float64, "Half": np.float16, "Long": np.int64, "Int": np.int32,
          "Short": np.int16, "Char": np.int8, "Byte": np.uint8, "Bool": np.bool_}


class LegacyTensorType(type):
    """The metaclass: calling a type constructs a tensor; isinstance checks dtype and device."""

    dtype: np.dtype
    device_type: str

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype and obj.device.type == cls.device_type

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        if device is not None and backend.Device(device).type != cls.device_type:
            raise RuntimeError(f"legacy constructor expects device type: {cls.device_type} but device type: "
                               f"{backend.Device(device).type} was passed")
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0]._data.dtype != cls.dtype or args[0].device.type != cls.device_type:
                raise TypeError(f"{cls.__name__}(tensor): expected a {cls.__name__}, got {args[0].type()}")
            return Tensor._wrap(args[0]._data)
        sized = not args or isinstance(args[0], Size) or all(
            isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in args)
        if sized:
            out = cast(Tensor(*args), cls.dtype)  # the legacy sized form: zeros of that shape
        elif len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
            out = Tensor._wrap(np.asarray(args[0]).astype(cls.dtype))
        else:
            raise TypeError(f"new(): data must be a sequence (got {', '.join(type(a).__name__ for a in args)})")
        return out if cls.device_type == "cpu" else ToDevice.apply(out, backend.Device(cls.device_type))

    def __repr__(cls) -> str:
        return f"<class '{cls.type_name}'>"

    @property
    def type_name(cls) -> str:
        return f"torch.{'cuda.' if cls.device_type == 'cuda' else ''}{cls.__name__}"


def _make(name: str, dtype: Any, device_type: str) -> LegacyTensorType:
    return LegacyTensorType(f"{name}Tensor", (), {"dtype": np.dtype(dtype), "device_type": device_type,
                                                   "__module__": __name__})


CPU_TYPES = {f"{n}Tensor": _make(n, dt, "cpu") for n, dt in _NAMES.items()}
CUDA_TYPES = {f"{n}Tensor": _make(n, dt, "cuda") for n, dt in _NAMES.items()}
FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (
    CPU_TYPES.values())
_BY_NAME = {t.type_name: t for t in (*CPU_TYPES.values(), *CUDA_TYPES.values())}
_BY_KEY = {(t.dtype, t.device_type): t for t in _BY_NAME.values()}


def tensor_type(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """``Tensor.type()``: the legacy type's name (``'torch.FloatTensor'``); ``Tensor.type(T)``: ``self`` as ``T``,
    a legacy type, its name, or a dtype (``self`` itself when it already is one)."""
    if dtype is None:
        return _BY_KEY[(self._data.dtype, self.device.type)].type_name
    if isinstance(dtype, str) and dtype.startswith("torch."):
        if dtype not in _BY_NAME:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = _BY_NAME[dtype]
    if isinstance(dtype, LegacyTensorType):
        out = cast(self, dtype.dtype)
        if out.device.type != dtype.device_type:
            out = ToDevice.apply(out, backend.Device(dtype.device_type))
        return out
    if isinstance(dtype, str):
        raise ValueError(f"invalid type: '{dtype}'")
    return cast(self, dtype)
