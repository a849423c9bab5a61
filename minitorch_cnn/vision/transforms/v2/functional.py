"""``mt.vision.transforms.v2.functional``: torchvision's v2 functions on plain Tensor images (..., C, H, W) and on
PIL images and their array stand-ins, with v2's kernels where they differ from v1's (the colour blends' fused
multiply-add, the luma, the warps' fill blend, the Gaussian kernel, ``to_dtype``'s scaling).

Defined here (the rest are the kernels of ``_color``, ``_auto_augment``, ``_photometric``, ``warp``, ``blur``):
- adjust_gamma: x^γ on the [0, 1] image (integers converted with ``to_dtype(float32, scale=True)``), times gain
  and clamped to [0, 1] when gain != 1, converted back with scaling;
- get_size: [height, width]; get_num_channels: C;
- resize: uint8 Tensors by torch's native uint8 kernel (see ``resize.py``), everything else as v1's.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ....autograd import Tensor
from .. import functional as v1
from ..blur import gaussian_blur  # noqa: F401 - v2's kernel formula by default
from ..dtype import to_dtype_image
from ..pil import pil_to_tensor, to_pil_image  # noqa: F401 - v2.functional's
from ..resize import resize_torch_uint8, resized_output_size
from ..warp import InterpolationMode
from ..warp import affine_v2 as affine  # noqa: F401
from ..warp import elastic_v2 as elastic
from ..warp import perspective_v2 as perspective  # noqa: F401
from ..warp import rotate_v2 as rotate  # noqa: F401
from ._auto_augment import adjust_sharpness, autocontrast, equalize, invert, posterize, solarize  # noqa: F401
from ._color import adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation  # noqa: F401
from ._erasing import erase  # noqa: F401
from ._misc import to_image  # noqa: F401
from ._photometric import gaussian_noise, grayscale_to_rgb, permute_channels, rgb_to_grayscale  # noqa: F401
from ._sample import is_pure_tensor  # noqa: F401
from ._temporal import get_num_frames, uniform_temporal_subsample  # noqa: F401

center_crop, crop, five_crop, ten_crop, pad = v1.center_crop, v1.crop, v1.five_crop, v1.ten_crop, v1.pad
hflip = horizontal_flip = v1.hflip
vflip = vertical_flip = v1.vflip
normalize, get_dimensions, get_image_num_channels = v1.normalize, v1.get_dimensions, v1.get_image_num_channels
elastic_transform, to_grayscale = elastic, rgb_to_grayscale


def resize(inpt: Any, size: int | Sequence[int] | None, interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    """v1's ``resize``, except that a uint8 Tensor is resized by torch's native uint8 kernel (``resize_torch_uint8``),
    as torchvision's v2 does on CPUs with AVX2 or newer."""
    if not isinstance(inpt, Tensor) or inpt._data.dtype != np.uint8:
        return v1.resize(inpt, size, interpolation, max_size, antialias)
    if getattr(interpolation, "value", interpolation) != "bilinear":
        raise ValueError(f"Resize: only interpolation='bilinear' is implemented, got {interpolation!r}")
    h, w = inpt.shape[-2:]
    oh, ow = resized_output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return inpt
    return Tensor._wrap(resize_torch_uint8(np.ascontiguousarray(inpt._data), oh, ow, bool(antialias)))


def resized_crop(inpt: Any, top: int, left: int, height: int, width: int, size: int | Sequence[int],
                 interpolation: Any = InterpolationMode.BILINEAR, antialias: bool | None = True) -> Any:
    """``crop``, then v2's ``resize``."""
    return resize(v1.crop(inpt, top, left, height, width), size, interpolation, antialias=antialias)


def to_tensor(inpt: Any) -> Tensor:
    """[deprecated in v2] v1's ``to_tensor``, with torchvision's deprecation warning."""
    warnings.warn("The function `to_tensor(...)` is deprecated and will be removed in a future release. Instead, "
                  "please use `to_image(...)` followed by `to_dtype(..., dtype=torch.float32, scale=True)`.",
                  stacklevel=2)
    return v1.to_tensor(inpt)


def get_image_size(inpt: Any) -> list[int]:
    """[deprecated in v2] [width, height], with torchvision's deprecation warning."""
    warnings.warn("The function `get_image_size(...)` is deprecated and will be removed in a future release. Instead, "
                  "please use `get_size(...)` which returns `[h, w]` instead of `[w, h]`.", stacklevel=2)
    return v1.get_image_size(inpt)


def to_dtype(inpt: Any, dtype: Any = np.float32, scale: bool = False) -> Any:
    """The image as ``dtype``; with ``scale`` its values moved to the new dtype's range."""
    return to_dtype_image(inpt, dtype, scale)


def convert_image_dtype(image: Tensor, dtype: Any = np.float32) -> Tensor:
    """v2's: ``to_dtype(image, dtype, scale=True)``."""
    return to_dtype_image(image, dtype, scale=True)


def get_size(inpt: Any) -> list[int]:
    """[height, width] of a Tensor, array or PIL image."""
    _, h, w = v1.get_dimensions(inpt)
    return [h, w]


def get_num_channels(inpt: Any) -> int:
    """The number of channels of a Tensor, array or PIL image."""
    return v1.get_dimensions(inpt)[0]


def adjust_gamma(inpt: Any, gamma: float, gain: float = 1) -> Any:
    """See the module notes; a PIL image (or its array) through v1's 256-entry table, as torchvision's."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if not isinstance(inpt, Tensor):
        return v1.adjust_gamma(inpt, gamma, gain)
    x = inpt._data
    f = x if x.dtype.kind == "f" else to_dtype_image(inpt, np.float32, scale=True)._data
    out = np.power(f, f.dtype.type(gamma))
    if gain != 1.0:
        out = np.clip(out * f.dtype.type(gain), 0.0, 1.0)
    return to_dtype_image(Tensor._wrap(out), x.dtype, scale=True)
