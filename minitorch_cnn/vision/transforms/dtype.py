"""Image dtype conversion, torchvision's two versions.

``to_dtype_image`` (v2's ``ToDtype(scale=True)``, ``v2.ConvertImageDtype``) and ``convert_image_dtype`` (v1's
``ConvertImageDtype``) agree except on integer -> float: v2 multiplies by 1/max (``x.to(f32) * (1/255)``), v1
divides (``x.to(f32) / 255``); the two round differently, so each is kept as torchvision computes it.
float -> integer: ``x * (max + 1 - 0.001)`` truncated (so 1.0 -> max, and [0, 1] fills the integer range evenly);
integer -> integer: a shift by the difference in value bits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor

_VALUE_BITS = {np.dtype(np.uint8): 8, np.dtype(np.int8): 7, np.dtype(np.int16): 15, np.dtype(np.int32): 31,
               np.dtype(np.int64): 63, np.dtype(np.bool_): 1}


def _max_value(dtype: np.dtype) -> int:
    return 1 if dtype == np.bool_ else int(np.iinfo(dtype).max)


def _convert(image: Tensor, dtype: Any, divide: bool) -> Tensor:
    if not isinstance(image, Tensor):
        raise TypeError(f"Input img should be Tensor Image, got {type(image).__name__}")
    src, dst = image._data.dtype, backend.to_dtype(dtype)
    x = image._data
    if src == dst:
        return image
    if src.kind == "f":
        if dst.kind == "f":
            return Tensor._wrap(x.astype(dst))
        if (src == np.float32 and dst in (np.int32, np.int64)) or (src == np.float64 and dst == np.int64):
            raise RuntimeError(f"The conversion from {image.dtype} to {backend.public_dtype(dst)} cannot be "
                               f"performed safely.")
        return Tensor._wrap((x * src.type(_max_value(dst) + 1.0 - 1e-3)).astype(dst))
    if dst.kind == "f":
        y = x.astype(dst)
        scale = _max_value(src)
        return Tensor._wrap(y / dst.type(scale) if divide else y * dst.type(1.0 / scale))
    shift = _VALUE_BITS[np.dtype(src)] - _VALUE_BITS[np.dtype(dst)]
    return Tensor._wrap((x >> shift).astype(dst) if shift > 0 else x.astype(dst) << -shift)


def to_dtype_image(image: Tensor, dtype: Any = np.float32, scale: bool = False) -> Tensor:
    """v2: ``image`` as ``dtype``; with ``scale`` the values move to the new dtype's range (see the notes)."""
    if not scale:
        return image if image._data.dtype == backend.to_dtype(dtype) else Tensor._wrap(
            image._data.astype(backend.to_dtype(dtype)))
    return _convert(image, dtype, divide=False)


def convert_image_dtype(image: Tensor, dtype: Any = np.float32) -> Tensor:
    """v1: ``image`` as ``dtype`` with its values moved to the new dtype's range (integer -> float divides)."""
    return _convert(image, dtype, divide=True)
