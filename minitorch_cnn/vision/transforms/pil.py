"""Pillow images in and out of the transforms: the array stand-in for a PIL image (see ``functional``).

``from_pil`` reads a Pillow image a script opened itself into the (H, W[, C]) array the transforms take;
``to_pil_image`` (``ToPILImage``) turns a (C, H, W) tensor into that stand-in, with torchvision's rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor


def from_pil(img: Any) -> Any:
    """A Pillow image (as a script opens one itself) as the array stand-in: (H, W) or (H, W, C) with Pillow's
    pixel values (mode '1' as 0/255 uint8, as torchvision reads it); anything else is returned as is."""
    if type(img).__module__.startswith("PIL.") and hasattr(img, "mode") and hasattr(img, "size"):
        return np.array(img, dtype=np.uint8) * np.uint8(255) if img.mode == "1" else np.array(img)
    return img


def to_pil_image(pic: Any, mode: str | None = None) -> np.ndarray:
    """(C, H, W) Tensor or (H, W[, C]) array -> the PIL stand-in array (see ``ToPILImage``)."""
    pic = from_pil(pic)
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = backend.move_to(pic._data, "cpu")
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.shape[0] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[0]} channels.")
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * arr.dtype.type(255)).astype(np.uint8)  # torch's pic.mul(255).byte(): truncation
        arr = np.ascontiguousarray(arr.transpose(1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic if pic.ndim == 3 else pic[:, :, None]
        if arr.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    inferred = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[arr.shape[-1]]
    if arr.shape[-1] == 1 and arr.dtype != np.uint8:
        inferred = {np.dtype(np.int16): "I;16", np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(arr.dtype)
    if mode is not None and mode != inferred:
        raise ValueError(f"ToPILImage: mode {mode!r} is not offered for a {arr.shape[-1]}-channel {arr.dtype} "
                         f"image (its mode is {inferred!r}); the PIL stand-in keeps the image's own mode")
    return arr[:, :, 0] if arr.shape[-1] == 1 else arr
