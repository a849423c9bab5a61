"""Image functions behind the transforms, as ``torchvision.transforms.functional`` (v1).

Two kinds of image, as torchvision has PIL images and tensors:

- a NumPy array ``(H, W)`` or ``(H, W, C)``, uint8 for pixel values: the stand-in for a PIL image (what the
  datasets return). Functions on it give what torchvision gives on the PIL image of the same pixels; Resize
  and grayscale reproduce Pillow's integer arithmetic, so they agree bit for bit.
- a ``Tensor`` ``(..., C, H, W)`` (NumPy or CuPy): functions act on the last two dimensions, as torchvision's
  tensor functions do, with torch's arithmetic (float32 interpolation weights, 0.2989/0.587/0.114 luma).

The work is done on raw arrays given the index of the height axis (``hax``), so the same code serves one
image and a batch: arrays ``(N, H, W[, C])`` (hax 1, channels last) and tensors ``(N, C, H, W)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from ...autograd.grad_mode import is_grad_enabled
from . import tracked
from .blur import gaussian_blur as _gaussian_blur
from .colour import (  # noqa: F401 - torchvision.transforms.functional's colour functions
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_hue,
    adjust_saturation,
    adjust_sharpness,
    autocontrast,
    equalize,
    invert,
    posterize,
    solarize,
)
from .dtype import convert_image_dtype  # noqa: F401 - torchvision.transforms.functional.convert_image_dtype
from .pil import from_pil, pil_to_tensor, to_pil_image  # noqa: F401 - torchvision.transforms.functional's
from .resize import resize_pil_raw, resize_tensor_raw, resized_output_size
from .warp import (  # noqa: F401 - torchvision.transforms.functional's
    InterpolationMode,
    affine,
    elastic_transform,
    perspective,
    rotate,
)

PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _check_image(img: Any, who: str) -> Any:
    """``img`` (a Pillow image read as its array) after checking it is an array or Tensor image."""
    img = from_pil(img)
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ValueError(f"{who}: a Tensor image must be (..., H, W), got shape {tuple(img.shape)}")
    elif isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{who}: an array image must be (H, W) or (H, W, C), got shape {img.shape}")
    else:
        raise TypeError(
            f"{who}: expected an (H, W[, C]) NumPy array (the PIL stand-in) or a (..., C, H, W) Tensor, "
            f"got {type(img).__name__}"
        )
    return img


def get_dimensions(img: np.ndarray | Tensor) -> list[int]:
    """[channels, height, width] of an array or Tensor image."""
    img = _check_image(img, "get_dimensions")
    if isinstance(img, Tensor):
        h, w = img.shape[-2:]
        return [1 if img.ndim == 2 else img.shape[-3], h, w]
    h, w = img.shape[:2]
    return [1 if img.ndim == 2 else img.shape[2], h, w]


def get_image_size(img: np.ndarray | Tensor) -> list[int]:
    """[width, height] of an array or Tensor image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img: np.ndarray | Tensor) -> int:
    """The number of channels of an array or Tensor image."""
    return get_dimensions(img)[0]


def _raw(img: np.ndarray | Tensor) -> tuple[Any, int]:
    """(array, height axis) of one image."""
    return (img._data, img.ndim - 2) if isinstance(img, Tensor) else (img, 0)


def _like(img: np.ndarray | Tensor, arr: Any) -> np.ndarray | Tensor:
    return Tensor._wrap(arr) if isinstance(img, Tensor) else arr


# ---- conversion and normalisation ------------------------------------------------------------------------
def to_tensor(pic: np.ndarray) -> Tensor:
    """(H, W) or (H, W, C) array -> (C, H, W) Tensor; uint8 becomes the default float dtype divided by 255.

    Other dtypes keep their values and dtype, as torchvision's ``to_tensor`` does for arrays.
    """
    pic = from_pil(pic)
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"ToTensor: pic should be an (H, W) or (H, W, C) NumPy array, got {type(pic).__name__}")
    if pic.ndim not in (2, 3):
        raise ValueError(f"ToTensor: pic should be 2/3 dimensional, got {pic.ndim} dimensions (shape {pic.shape})")
    return Tensor._wrap(_to_float(pic[None] if pic.ndim == 2 else pic.transpose(2, 0, 1)))


def to_tensor_batch(pics: np.ndarray) -> Tensor:
    """The batched ``to_tensor``: (N, H, W) or (N, H, W, C) array -> (N, C, H, W) Tensor, same values."""
    if not isinstance(pics, np.ndarray) or pics.ndim not in (3, 4):
        raise ValueError(f"ToTensor: a batch should be an (N, H, W[, C]) array, got {getattr(pics, 'shape', pics)}")
    return Tensor._wrap(_to_float(pics[:, None] if pics.ndim == 3 else pics.transpose(0, 3, 1, 2)))


def _to_float(arr: np.ndarray) -> np.ndarray:
    """uint8 -> default float / 255 in one pass (the same rounding as torch's ``.to(float).div(255)``)."""
    if arr.dtype != np.uint8:
        return np.ascontiguousarray(arr)
    dt = backend.get_default_dtype()
    out = np.empty(arr.shape, dtype=dt)
    np.divide(arr, dt.type(255), out=out, dtype=dt)
    return out


def normalize_params(tensor: Tensor, mean: Sequence[float], std: Sequence[float]) -> tuple[Any, Any]:
    """mean and std as (C|1, 1, 1) arrays of the tensor's dtype and device, checked against it."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Normalize: expected a Tensor (use ToTensor first), got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"Normalize: input tensor should be a float tensor, got {tensor.dtype}")
    if tensor.ndim < 3:
        raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W), got {tuple(tensor.shape)}")
    xp = backend.array_module(tensor._data)
    m = xp.asarray(mean, dtype=tensor.dtype)
    s = xp.asarray(std, dtype=tensor.dtype)
    if bool((s == 0).any()):
        raise ValueError(
            f"Normalize: std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero"
        )
    channels = tensor.shape[-3]
    for name, v in (("mean", m), ("std", s)):
        if v.ndim > 1:
            raise ValueError(f"Normalize: {name} must be a sequence of per-channel values, got shape {v.shape}")
        if v.size not in (1, channels):  # torchvision's in-place sub_/div_ by a (k, 1, 1) tensor fails to broadcast
            shape = list(tensor.shape)
            if channels == 1:
                raise RuntimeError(f"output with shape {shape} doesn't match the broadcast shape "
                                   f"{shape[:-3] + [v.size] + shape[-2:]}")
            raise RuntimeError(f"The size of tensor a ({channels}) must match the size of tensor b ({v.size}) at "
                               f"non-singleton dimension {tensor.ndim - 3}")
    return m.reshape(-1, 1, 1), s.reshape(-1, 1, 1)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Tensor:
    """(x - mean[c]) / std[c] per channel. tensor: (..., C, H, W) float; mean/std cast to its dtype first."""
    m, s = normalize_params(tensor, mean, std)
    return _normalize(tensor, m, s, inplace)


def _normalize(tensor: Tensor, m: Any, s: Any, inplace: bool) -> Tensor:
    if tensor.requires_grad and is_grad_enabled():  # differentiable, as torchvision's sub_/div_ on a clone
        mean, std = Tensor._wrap(m), Tensor._wrap(s)
        return tensor.sub_(mean).div_(std) if inplace else (tensor - mean) / std
    xp = backend.array_module(tensor._data)
    if inplace:
        tensor._check_inplace()
        xp.subtract(tensor._data, m, out=tensor._data)
        xp.divide(tensor._data, s, out=tensor._data)
        tensor._version += 1
        return tensor
    out = xp.subtract(tensor._data, m)
    xp.divide(out, s, out=out)
    return Tensor._wrap(out)


# ---- geometry: crop, pad, flip ----------------------------------------------------------------------------
def _window(hax: int, top: int, left: int, height: int, width: int) -> tuple:
    return (slice(None),) * hax + (slice(top, top + height), slice(left, left + width))


def crop(img: np.ndarray | Tensor, top: int, left: int, height: int, width: int) -> np.ndarray | Tensor:
    """The (height, width) window at (top, left); parts outside the image are zeros, as in torchvision."""
    img = _check_image(img, "crop")
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        img = pad(img, [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)], fill=0)
        top, left = max(top, 0), max(left, 0)
    if tracked.tracked(img):
        return tracked.crop(img, top, left, height, width)
    arr, hax = _raw(img)
    return _like(img, arr[_window(hax, top, left, height, width)])


def crop_batch(arr: Any, hax: int, tops: np.ndarray, lefts: np.ndarray, height: int, width: int) -> Any:
    """A (height, width) window per image of a batch, at that image's (top, left).

    arr: (N, H, W[, C]) with hax 1, or (N, C, H, W) with hax 2. One slice copy per image: for small images
    this beats a fancy-index gather, which pays per element.
    """
    xp = backend.array_module(arr)
    out = xp.empty(arr.shape[:hax] + (height, width) + arr.shape[hax + 2 :], dtype=arr.dtype)
    for k, (top, left) in enumerate(zip(tops.tolist(), lefts.tolist())):
        out[k] = arr[k][_window(hax - 1, top, left, height, width)]
    return out


def _parse_padding(padding: int | Sequence[int]) -> list[int]:
    """int, [all], [left/right, top/bottom] or [left, top, right, bottom] -> [left, top, right, bottom]."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return [int(padding)] * 4
    if not isinstance(padding, (tuple, list)) or not all(isinstance(p, numbers.Integral) for p in padding):
        raise TypeError(f"Pad: padding should be an int or a sequence of ints, got {padding!r}")
    if len(padding) == 1:
        return [int(padding[0])] * 4
    if len(padding) == 2:
        return [int(padding[0]), int(padding[1])] * 2
    if len(padding) == 4:
        return [int(p) for p in padding]
    raise ValueError(f"Pad: padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def pad(
    img: np.ndarray | Tensor,
    padding: int | Sequence[int],
    fill: float | Sequence[float] = 0,
    padding_mode: str = "constant",
) -> np.ndarray | Tensor:
    """Pad the borders; a negative amount crops that side. fill (constant mode): a number, or one per channel
    for an array image; modes: constant, edge, reflect (no edge repeat), symmetric (edge repeated)."""
    img = _check_image(img, "pad")
    if tracked.tracked(img):  # recorded, as torchvision's tensor kernels are (tracked.py)
        _check_mode(padding_mode)
        return tracked.pad(img, _parse_padding(padding), fill_value(fill, img), padding_mode)
    arr, hax = _raw(img)
    return _like(img, pad_raw(arr, hax, _parse_padding(padding), fill_value(fill, img), padding_mode,
                              tensor=isinstance(img, Tensor)))


def _check_mode(padding_mode: str) -> None:
    if padding_mode not in PAD_MODES:
        raise ValueError(f"Pad: padding_mode should be one of {PAD_MODES}, got {padding_mode!r}")


def pad_raw(arr: Any, hax: int, ltrb: Sequence[int], fill: Any, padding_mode: str, tensor: bool) -> Any:
    """``pad`` on a raw array whose height axis is ``hax`` (one image or a batch); fill already parsed."""
    _check_mode(padding_mode)
    left, top, right, bottom = ltrb
    h, w = arr.shape[hax], arr.shape[hax + 1]
    if min(left, top, right, bottom) < 0:
        arr = arr[_window(hax, max(-top, 0), max(-left, 0), h - max(-top, 0) - max(-bottom, 0),
                          w - max(-left, 0) - max(-right, 0))]
        left, top, right, bottom = max(left, 0), max(top, 0), max(right, 0), max(bottom, 0)
        h, w = arr.shape[hax], arr.shape[hax + 1]
    if tensor and padding_mode == "reflect":
        tracked.check_reflect(arr.shape, (left, top, right, bottom))
    xp = backend.array_module(arr)
    if padding_mode == "constant":
        out = xp.empty(arr.shape[:hax] + (h + top + bottom, w + left + right) + arr.shape[hax + 2 :], arr.dtype)
        out[...] = fill
        out[_window(hax, top, left, h, w)] = arr
        return out
    widths = [(0, 0)] * arr.ndim
    widths[hax], widths[hax + 1] = (top, bottom), (left, right)
    return xp.pad(arr, widths, mode=padding_mode)


def fill_value(fill: Any, img: np.ndarray | Tensor) -> Any:
    """A Tensor takes one number; an array image one number or one per channel (ints unless float pixels)."""
    if isinstance(img, Tensor):
        if not isinstance(fill, numbers.Real):
            raise TypeError(f"Pad: fill for a Tensor image should be a number, got {fill!r}")
        return float(fill)
    cast = float if img.dtype.kind == "f" else int
    if isinstance(fill, numbers.Real):
        return cast(fill)
    if not isinstance(fill, (tuple, list)):
        raise TypeError(f"Pad: fill should be a number or a sequence of numbers, got {fill!r}")
    channels = 1 if img.ndim == 2 else img.shape[2]
    if len(fill) == 1:
        return cast(fill[0])
    if len(fill) != channels:
        raise ValueError(f"Pad: the number of elements in 'fill' does not match the image's {channels} channels")
    return np.asarray([cast(f) for f in fill], dtype=img.dtype)  # broadcasts along the last (channel) axis


def center_crop(img: np.ndarray | Tensor, output_size: int | Sequence[int]) -> np.ndarray | Tensor:
    """The central (h, w) window; an image smaller than that is zero-padded first, as in torchvision."""
    th, tw = pair(output_size, "CenterCrop")
    img = from_pil(img)
    _, h, w = get_dimensions(img)
    grow = center_crop_padding(h, w, th, tw)
    if grow is not None:
        img = pad(img, grow, fill=0)
        h, w = h + grow[1] + grow[3], w + grow[0] + grow[2]
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def center_crop_padding(h: int, w: int, th: int, tw: int) -> list[int] | None:
    """[left, top, right, bottom] zero padding that centre-cropping (th, tw) from (h, w) needs first, or None."""
    if tw <= w and th <= h:
        return None
    return [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
            (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0]


def hflip(img: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """Mirror left-right."""
    img = _check_image(img, "hflip")
    if tracked.tracked(img):
        return tracked.flip(img, -1)
    arr, hax = _raw(img)
    return _like(img, hflip_raw(arr, hax))


def hflip_raw(arr: Any, hax: int) -> Any:
    return backend.array_module(arr).ascontiguousarray(backend.array_module(arr).flip(arr, hax + 1))


def vflip(img: np.ndarray | Tensor) -> np.ndarray | Tensor:
    """Mirror top-bottom."""
    img = _check_image(img, "vflip")
    if tracked.tracked(img):
        return tracked.flip(img, -2)
    arr, hax = _raw(img)
    xp = backend.array_module(arr)
    return _like(img, xp.ascontiguousarray(xp.flip(arr, hax)))


def _crop_size(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return size[0], size[1]


def five_crop(img: np.ndarray | Tensor, size: int | Sequence[int]) -> tuple:
    """The four corner (h, w) crops and the central one: (top-left, top-right, bottom-left, bottom-right, centre)."""
    ch, cw = _crop_size(size)
    img = _check_image(img, "five_crop")
    _, h, w = get_dimensions(img)
    if cw > w or ch > h:
        raise ValueError(f"Requested crop size {(ch, cw)} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, [ch, cw]))


def ten_crop(img: np.ndarray | Tensor, size: int | Sequence[int], vertical_flip: bool = False) -> tuple:
    """``five_crop`` of the image, then of its mirror image (left-right, or top-bottom with ``vertical_flip``)."""
    _crop_size(size)
    img = _check_image(img, "ten_crop")
    return five_crop(img, size) + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def pair(size: int | Sequence[int], who: str) -> tuple[int, int]:
    """int s -> (s, s); [s] -> (s, s); (h, w) -> (h, w)."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) in (1, 2) and all(isinstance(s, numbers.Integral) for s in size):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ValueError(f"{who}: size should be an int or a sequence of one or two ints, got {size!r}")


# ---- colour -----------------------------------------------------------------------------------------------
def rgb_to_grayscale(img: np.ndarray | Tensor, num_output_channels: int = 1) -> np.ndarray | Tensor:
    """ITU-R 601-2 luma. Array (PIL stand-in): Pillow's integer L = (19595 R + 38470 G + 7471 B + 2^15) >> 16;
    Tensor: torch's 0.2989 R + 0.587 G + 0.114 B in float, cast back to the dtype (truncating for uint8).
    One-channel images are returned as they are (copied out to three channels if asked)."""
    img = _check_image(img, "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels should be either 1 or 3, got {num_output_channels}")
    channels = get_dimensions(img)[0]
    if channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: the image should have 1 or 3 channels, got {channels}")
    if isinstance(img, Tensor):
        if img.ndim < 3:
            raise ValueError(f"rgb_to_grayscale: a Tensor image must be (..., C, H, W), got {tuple(img.shape)}")
        return Tensor._wrap(grayscale_raw(img._data, channels_last=False, num_output_channels=num_output_channels))
    if channels == 3 and img.dtype != np.uint8:
        raise TypeError(f"rgb_to_grayscale: an (H, W, 3) array image must be uint8, got {img.dtype}")
    arr = img if img.ndim == 3 else img[:, :, None]
    out = grayscale_raw(arr, channels_last=True, num_output_channels=num_output_channels)
    return out[:, :, 0] if num_output_channels == 1 else out


def to_grayscale(img: Any, num_output_channels: int = 1) -> np.ndarray:
    """A PIL image (or its array) as Pillow's L (luma) image, one channel or copied out to three."""
    if isinstance(img, Tensor):
        raise TypeError("Input should be PIL Image")
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    return rgb_to_grayscale(img, num_output_channels)


def grayscale_raw(arr: Any, channels_last: bool, num_output_channels: int) -> Any:
    """Luma of an array with its channel axis last (Pillow's arithmetic) or at -3 (torch's); keeps that axis."""
    xp = backend.array_module(arr)
    cax = -1 if channels_last else -3
    if arr.shape[cax] == 1:
        lum = arr.copy()
    elif channels_last:
        rgb = arr.astype(np.uint32)
        lum = ((rgb[..., 0:1] * 19595 + rgb[..., 1:2] * 38470 + rgb[..., 2:3] * 7471 + 0x8000) >> 16).astype(np.uint8)
    else:
        fdt = arr.dtype if arr.dtype.kind == "f" else backend.get_default_dtype()
        r, g, b = (arr[..., c : c + 1, :, :].astype(fdt, copy=False) for c in range(3))
        lum = (fdt.type(0.2989) * r + fdt.type(0.587) * g + fdt.type(0.114) * b).astype(arr.dtype)
    return xp.concatenate([lum] * 3, axis=cax) if num_output_channels == 3 else lum


# ---- resize (the kernels are in resize.py) ---------------------------------------------------------
def resize(
    img: np.ndarray | Tensor,
    size: int | Sequence[int],
    interpolation: str = "bilinear",
    max_size: int | None = None,
    antialias: bool | None = True,
) -> np.ndarray | Tensor:
    """Bilinear resize to ``size`` (see ``resized_output_size``); the image itself when the size is unchanged.

    Array (uint8, the PIL stand-in): Pillow's BILINEAR resize exactly (antialiased, two separable passes in
    Pillow 13's order, each rounded to uint8). Tensor (..., C, H, W): torch's ``interpolate(mode="bilinear",
    align_corners=False, antialias=antialias)`` in the tensor's float dtype; integer tensors are computed in
    float32 and rounded back, as torchvision does.
    """
    img = _check_image(img, "Resize")
    if getattr(interpolation, "value", interpolation) != "bilinear":
        raise ValueError(f"Resize: only interpolation='bilinear' is implemented, got {interpolation!r}")
    _, h, w = get_dimensions(img)
    oh, ow = resized_output_size(h, w, size, max_size)
    if oh <= 0 or ow <= 0:
        raise ValueError(f"Resize: output size {(oh, ow)} must be positive (input {(h, w)}, size {size!r})")
    if (oh, ow) == (h, w):
        return img
    if isinstance(img, Tensor):
        return Tensor._wrap(resize_tensor_raw(img._data, oh, ow, bool(antialias)))
    if img.dtype != np.uint8:
        raise TypeError(f"Resize: an array image must be uint8 (the PIL stand-in), got {img.dtype}")
    return resize_pil_raw(img, 0, oh, ow)


def resized_crop(
    img: np.ndarray | Tensor,
    top: int,
    left: int,
    height: int,
    width: int,
    size: int | Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool | None = True,
) -> np.ndarray | Tensor:
    """``crop`` the (height, width) window at (top, left), then ``resize`` it to ``size``, as torchvision's."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def gaussian_blur(img: np.ndarray | Tensor, kernel_size: int | Sequence[int],
                  sigma: float | Sequence[float] | None = None) -> np.ndarray | Tensor:
    """v1's Gaussian blur (see ``blur.py``); an array (or PIL) image is blurred as its (C, H, W) tensor."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if sigma is not None and not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    img = _check_image(img, "gaussian_blur")
    if isinstance(img, Tensor):
        return _gaussian_blur(img, kernel_size, sigma, v1=True)
    chw = Tensor._wrap(np.ascontiguousarray(np.atleast_3d(img).transpose(2, 0, 1)))
    out = _gaussian_blur(chw, kernel_size, sigma, v1=True)._data
    return out[0] if img.ndim == 2 else out.transpose(1, 2, 0)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False) -> Tensor:
    """``img[..., i:i+h, j:j+w] = v`` on a copy (or in place)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if not inplace:
        img = Tensor._wrap(img._data.copy())
    else:
        img._check_inplace()
        img._version += 1
    img._data[..., i:i + h, j:j + w] = v._data if isinstance(v, Tensor) else v
    return img
