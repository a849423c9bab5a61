"""PIL images in and out: ``ToPILImage``, ``PILToTensor`` and Pillow images into the transforms, as torchvision's.

The transforms here work on NumPy arrays standing in for PIL images (see ``functional``); ``from_pil`` reads a
real ``PIL.Image`` (as a script opens one itself, or as ``ToPILImage`` gives) into that array at every entry
point: (H, W) for one band, (H, W, C) otherwise, mode '1' as 0/255 uint8 as torchvision reads it.
``ToPILImage`` makes a real ``PIL.Image`` (Pillow imported lazily, with a clear error when it is missing), so
``img.size``, ``img.mode`` and ``img.save`` work as with torchvision.

to_pil_image(pic, mode): a float Tensor is scaled ``(pic * 255).byte()`` (truncated, torchvision's rule) unless
mode is 'F'; (C, H, W) -> (H, W, C); one band: mode 'L' (uint8), 'I;16' (int16), 'I' (int32), 'F' (float32);
two: 'LA'; three: 'RGB'; four: 'RGBA'.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor

_ONE_BAND = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.int32): "I",
             np.dtype(np.float32): "F"}
_MANY_BANDS = {2: "LA", 3: "RGB", 4: "RGBA"}


def is_pil_image(img: Any) -> bool:
    """Whether ``img`` is a PIL image (tested by its class's module, so Pillow is not imported for it)."""
    return any(c.__module__.startswith("PIL.") and c.__name__ == "Image" for c in type(img).__mro__)


def from_pil(img: Any) -> Any:
    """A Pillow image (as a script opens one itself) as the array stand-in: (H, W) or (H, W, C) with Pillow's
    pixel values (mode '1' as 0/255 uint8, as torchvision reads it); anything else is returned as is."""
    if is_pil_image(img):
        return np.array(img, dtype=np.uint8) * np.uint8(255) if img.mode == "1" else np.array(img)
    return img


def to_pil_image(pic: Tensor | np.ndarray, mode: str | None = None) -> Any:
    """A (C, H, W) / (H, W) Tensor or an (H, W[, C]) array as a ``PIL.Image`` (see the module notes)."""
    from ..io import _pil

    pil = _pil()
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        data = np.asarray(backend.move_to(pic._data, "cpu"))
        if data.ndim == 2:
            data = data[None]
        if data.dtype.kind == "f" and mode != "F":
            data = (data * 255).astype(np.uint8)  # torch's .mul(255).byte(): truncation, wrapping like a cast
        npimg = np.transpose(data, (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    bands = npimg.shape[2]
    if bands == 1:
        expected = _ONE_BAND.get(npimg.dtype)
        npimg = npimg[:, :, 0]
        if mode is not None and mode != expected and not (mode == "L" and npimg.dtype == np.uint8):
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. Should be {expected}")
        mode = mode or expected
    elif bands in _MANY_BANDS:
        mode = mode or _MANY_BANDS[bands]
        if npimg.dtype != np.uint8:
            raise TypeError(f"Input type {npimg.dtype} is not supported")
    else:
        raise ValueError(f"pic should not have > 4 channels. Got {bands} channels.")
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return pil.Image.fromarray(np.ascontiguousarray(npimg), mode=mode)


def pil_to_tensor(pic: Any) -> Tensor:
    """A PIL image (or its stand-in array) as a (C, H, W) Tensor of the same dtype and values (no scaling)."""
    pic = from_pil(pic)
    if not isinstance(pic, np.ndarray) or pic.ndim not in (2, 3):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1)
    return Tensor._wrap(np.ascontiguousarray(arr))
