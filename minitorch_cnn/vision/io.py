"""torchvision.io's image files through Pillow (imported lazily): ``read_image``, ``decode_image``, ``read_file``,
``write_png``, ``write_jpeg``.

Images are uint8 tensors (C, H, W), as torchvision's.
"""

from __future__ import annotations

import enum
import io
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
        import PIL.ImageOps  # noqa: F401 - exif_transpose
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


def _mode(mode: ImageReadMode | str) -> ImageReadMode:
    """An ImageReadMode, or its name in any case (``"RGB"``, ``"gray"``; ``"RGBA"`` for RGB_ALPHA), as torchvision."""
    if isinstance(mode, ImageReadMode):
        return mode
    name = str(mode).upper()
    name = "RGB_ALPHA" if name == "RGBA" else name
    if name not in ImageReadMode.__members__:
        raise ValueError(f"image mode: expected an ImageReadMode or one of {list(ImageReadMode.__members__)}, "
                         f"got {mode!r}")
    return ImageReadMode[name]


def _decode(source: Any, mode: ImageReadMode, what: str, apply_exif_orientation: bool = False) -> Tensor:
    """The image in ``source`` (a path or a file object) as uint8 (C, H, W), converted to ``mode``."""
    pil = _pil()
    with pil.Image.open(source) as opened:
        img = pil.ImageOps.exif_transpose(opened) if apply_exif_orientation else opened
        if mode is not ImageReadMode.UNCHANGED:
            img = img.convert(_PIL_MODES[mode])
        elif img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode not in ("L", "LA", "RGB", "RGBA"):
            raise ValueError(f"{what}: image mode {img.mode!r} is not 8-bit gray or color")
        arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def read_image(path: str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """A PNG or JPEG file as a uint8 tensor (C, H, W); palette and 1-bit images are expanded, as libpng does.

    Converting color to ``GRAY`` uses Pillow's ITU-R 601 luma, rounded; torchvision's libpng truncates, so a
    pixel may differ by one level there. Every other mode gives torchvision's pixels.
    """
    return _decode(path, _mode(mode), f"read_image of {os.fspath(path)!r}", apply_exif_orientation)


def read_file(path: str | os.PathLike) -> Tensor:
    """A file's bytes as a uint8 tensor (N,), as torchvision.io.read_file (the input of ``decode_image``)."""
    with open(path, "rb") as f:
        return from_numpy(np.frombuffer(f.read(), dtype=np.uint8).copy())


def decode_image(input: Tensor | str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,  # noqa: A002
                 apply_exif_orientation: bool = False) -> Tensor:
    """An encoded image (PNG, JPEG, GIF, WebP: what Pillow reads) as a uint8 tensor (C, H, W), as torchvision's.

    ``input`` is the file's bytes as a uint8 tensor (N,) (``read_file``'s output) or a path to the file.
    """
    if isinstance(input, (str, os.PathLike)):
        return read_image(input, mode, apply_exif_orientation)
    if not isinstance(input, Tensor):
        raise TypeError(f"decode_image: expected a uint8 tensor of file bytes or a path, got {type(input).__name__}")
    if input.dtype != np.uint8:
        raise RuntimeError(f"decode_image: Expected a torch.uint8 tensor, got {input.dtype}")
    if input.ndim != 1 or input.shape[0] == 0:
        raise RuntimeError(f"decode_image: Expected a non empty 1-dimensional tensor, got shape {tuple(input.shape)}")
    data = backend.move_to(input._data, "cpu").tobytes()
    try:
        return _decode(io.BytesIO(data), _mode(mode), "decode_image", apply_exif_orientation)
    except _pil().UnidentifiedImageError as exc:
        raise RuntimeError("decode_image: Unsupported image file (not an image Pillow can read)") from exc


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
