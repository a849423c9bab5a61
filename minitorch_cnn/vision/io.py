"""torchvision.io's image files through Pillow (imported lazily): ``read_image``, ``write_png``, ``write_jpeg``.

Images are uint8 tensors (C, H, W), as torchvision's.
"""

from __future__ import annotations

import enum
import os
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..ops.factories import from_numpy


def _pil() -> Any:
    """The PIL package with its Image module loaded, or a clear error saying how to install it."""
    try:
        import PIL.Image  # noqa: F401 - loads the Image submodule onto the package
    except ImportError as exc:
        raise ImportError(
            "image files need Pillow: pip install pillow (or pip install -e '.[vision]')"
        ) from exc
    import PIL

    return PIL


class ImageReadMode(enum.Enum):
    """What ``read_image`` converts to, as torchvision's: keep, gray, gray + alpha, RGB, RGB + alpha."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4


_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def read_image(path: str | os.PathLike, mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """A PNG or JPEG file as a uint8 tensor (C, H, W); palette and 1-bit images are expanded, as libpng does.

    Converting color to ``GRAY`` uses Pillow's ITU-R 601 luma, rounded; torchvision's libpng truncates, so a
    pixel may differ by one level there. Every other mode gives torchvision's pixels.
    """
    pil = _pil()
    with pil.Image.open(path) as img:
        if mode is not ImageReadMode.UNCHANGED:
            img = img.convert(_PIL_MODES[mode])
        elif img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode not in ("L", "LA", "RGB", "RGBA"):
            raise ValueError(f"read_image: image mode {img.mode!r} of {os.fspath(path)!r} is not 8-bit gray or color")
        arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _hwc(input: Tensor, who: str) -> np.ndarray:  # noqa: A002 - torchvision's name
    if not isinstance(input, Tensor) or input.dtype != np.uint8 or input.ndim != 3 or input.shape[0] not in (1, 3, 4):
        got = f"{input.dtype} {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
        raise ValueError(f"{who}: expected a uint8 tensor (C, H, W) with C in 1, 3, 4, got {got}")
    arr = backend.move_to(input._data, "cpu").transpose(1, 2, 0)
    return arr[:, :, 0] if arr.shape[2] == 1 else arr


def write_png(input: Tensor, filename: str | os.PathLike, compression_level: int = 6) -> None:  # noqa: A002
    """Write a uint8 tensor (C, H, W), C = 1, 3 or 4, as a PNG file."""
    if not 0 <= compression_level <= 9:
        raise ValueError(f"write_png: compression_level must be in 0..9, got {compression_level}")
    _pil().Image.fromarray(_hwc(input, "write_png")).save(filename, format="PNG", compress_level=compression_level)


def write_jpeg(input: Tensor, filename: str | os.PathLike, quality: int = 75) -> None:  # noqa: A002
    """Write a uint8 tensor (C, H, W), C = 1 or 3, as a JPEG file (``quality`` 1..100)."""
    if not 1 <= quality <= 100:
        raise ValueError(f"write_jpeg: quality must be in 1..100, got {quality}")
    _pil().Image.fromarray(_hwc(input, "write_jpeg")).save(filename, format="JPEG", quality=quality)
