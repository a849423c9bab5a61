"""v1's colour functions (``torchvision.transforms.functional``), as torchvision's v1 tensor kernels.

Tensor images (..., C, H, W), C in {1, 3}; integer images are computed in float32; ``bound`` is 1 for floats,
the dtype's maximum for integers; ``.to(dtype)`` truncates, as torch's casts do:

- blend(a, b, r) = clamp(r·a + (1 - r)·b, 0, bound) in that order (two products, one sum);
  brightness: blend(x, 0, f); saturation: blend(x, gray(x), f); contrast: blend(x, mean(gray(x)), f), gray the
  luma 0.2989 R + 0.587 G + 0.114 B cast back to the image dtype; sharpness: blend(x, smooth(x), f), smooth the
  3×3 kernel (1 1 1; 1 5 1; 1 1 1)/13 inside a one-pixel border (rounded for integers).
- hue: the image as float32 (``convert_image_dtype``), RGB -> HSV (h = (hr + hg + hb)/6 + 1 mod 1), h + f mod 1,
  HSV -> RGB by sector i = floor(6h) mod 6 with p = v(1 - s), q = v(1 - s·f), t = v(1 - s(1 - f)), converted back.
- gamma: clamp(gain · x^γ, 0, 1) on the float32 image, converted back.
- autocontrast: (x - min) · ((1 / (max - min)) · bound) per channel (a flat channel: x · 1); equalize (uint8):
  each channel through lut[v] = (cumhist[v - 1] + step // 2) // step, step = (pixels not of the last used level) // 255;
  invert: bound - x; posterize (uint8): x & -(2^(8 - bits)); solarize: bound - x where x >= threshold.

The arrays standing in for PIL images (and PIL images) go through Pillow as torchvision's PIL functions do
(ImageEnhance, ImageOps, an 8-bit shift of the H band for hue, a 256-entry table for gamma); arrays come back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...autograd import Tensor
from ...ops.conv import conv2d
from .dtype import _max_value, convert_image_dtype
from .pil import from_pil


def _on_pil(img: Any, fn: Callable[[Any, Any], Any]) -> np.ndarray:
    """``fn(pil_module, image)`` on the Pillow image of ``img`` (a PIL image or its array); the array back."""
    from ..io import _pil

    pil = _pil()
    import PIL.ImageEnhance  # noqa: F401 - loads the submodules onto the package
    import PIL.ImageOps  # noqa: F401

    arr = from_pil(img)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")
    return np.asarray(fn(pil, pil.Image.fromarray(arr)))


def _image(img: Tensor, permitted: tuple[int, ...] = (1, 3), min_ndim: int = 2) -> np.ndarray:
    """The raw array of a Tensor image after torchvision's checks (dimensions, channels)."""
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")
    if img.ndim < min_ndim:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    c = 1 if img.ndim == 2 else img.shape[-3]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {list(permitted)}, but found {c}")
    return img._data


def _channels(img: Tensor) -> int:
    return 1 if img.ndim == 2 else img.shape[-3]


def _bound(x: np.ndarray) -> float:
    return 1.0 if x.dtype.kind == "f" else float(_max_value(x.dtype))


def _float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def _blend(x: np.ndarray, other: np.ndarray, ratio: float) -> Tensor:
    f = _float(x)
    t = f.dtype.type
    out = t(ratio) * f + t(1.0 - float(ratio)) * other.astype(f.dtype, copy=False)
    return Tensor._wrap(np.clip(out, 0, _bound(x)).astype(x.dtype, copy=False))


def _gray(x: np.ndarray) -> np.ndarray:
    """v1's luma, (..., 1, H, W), in the image's dtype (truncated for integers)."""
    f = _float(x)
    t = f.dtype.type
    lum = t(0.2989) * f[..., 0, :, :] + t(0.587) * f[..., 1, :, :] + t(0.114) * f[..., 2, :, :]
    return lum.astype(x.dtype)[..., None, :, :]


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """x · brightness_factor, clamped (0: black, 1: the image)."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageEnhance.Brightness(im).enhance(brightness_factor))
    x = _image(img)
    return _blend(x, np.zeros_like(x), brightness_factor)


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """A blend with the mean of the luma (0: a gray image, 1: the image)."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageEnhance.Contrast(im).enhance(contrast_factor))
    x = _image(img)
    gray = _float(_gray(x) if _channels(img) == 3 else x)
    mean = gray.sum(axis=(-3, -2, -1), keepdims=True, dtype=gray.dtype) / gray.dtype.type(np.prod(gray.shape[-3:]))
    return _blend(x, mean, contrast_factor)


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """A blend with the luma (0: black and white, 1: the image)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageEnhance.Color(im).enhance(saturation_factor))
    x = _image(img)
    return img if _channels(img) == 1 else _blend(x, _gray(x), saturation_factor)


def _rgb2hsv(x: np.ndarray) -> np.ndarray:
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    t = x.dtype.type
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    divisor = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / divisor, (maxc - g) / divisor, (maxc - b) / divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (t(2.0) + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (t(4.0) + gc - rc)
    h = np.fmod((hr + hg + hb) / t(6.0) + t(1.0), t(1.0))
    return np.stack((h, s, maxc), axis=-3)


_SECTORS = np.array([[0, 1, 2, 2, 3, 0], [3, 0, 0, 1, 2, 2], [2, 2, 3, 0, 0, 1]])  # (R, G, B) from (v, q, p, t)


def _hsv2rgb(x: np.ndarray) -> np.ndarray:
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    t = x.dtype.type
    i = np.floor(h * t(6.0))
    f = h * t(6.0) - i
    i = np.remainder(i.astype(np.int32), 6)
    p = np.clip(v * (t(1.0) - s), 0.0, 1.0)
    q = np.clip(v * (t(1.0) - s * f), 0.0, 1.0)
    tt = np.clip(v * (t(1.0) - s * (t(1.0) - f)), 0.0, 1.0)
    vqpt = np.stack((v, q, p, tt), axis=-3)
    return np.take_along_axis(vqpt, np.moveaxis(_SECTORS[:, i], 0, -3), axis=-3)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """The hue turned by ``hue_factor`` (in [-0.5, 0.5], a fraction of the colour circle)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        def shift(pil: Any, im: Any) -> Any:
            if im.mode in {"L", "1", "I", "F"}:
                return im
            h, s, v = im.convert("HSV").split()
            np_h = np.array(h, dtype=np.uint8)
            np_h += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around, as the hue circle does
            return pil.Image.merge("HSV", (pil.Image.fromarray(np_h, "L"), s, v)).convert(im.mode)

        return _on_pil(img, shift)
    x = _image(img)
    if _channels(img) == 1:
        return img
    hsv = _rgb2hsv(convert_image_dtype(img, np.float32)._data)
    hsv[..., 0, :, :] = np.remainder(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    return convert_image_dtype(Tensor._wrap(_hsv2rgb(hsv)), x.dtype)


def adjust_gamma(img: Any, gamma: float, gain: float = 1) -> Any:
    """gain · x^gamma on the [0, 1] image, clamped."""
    if not isinstance(img, Tensor):
        if gamma < 0:
            raise ValueError("Gamma should be a non-negative real number")

        def table(pil: Any, im: Any) -> Any:
            lut = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
            return im.convert("RGB").point(lut).convert(im.mode)

        return _on_pil(img, table)
    x = _image(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    f = convert_image_dtype(img, np.float32)._data if x.dtype.kind != "f" else x
    t = f.dtype.type
    out = np.clip(t(gain) * np.power(f, t(gamma)), 0, 1)
    return convert_image_dtype(Tensor._wrap(out), x.dtype)


def adjust_sharpness(img: Any, sharpness_factor: float) -> Any:
    """A blend with the smoothed image (0: smoothed, 1: the image, 2: sharpened)."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageEnhance.Sharpness(im).enhance(sharpness_factor))
    x = _image(img)
    if x.shape[-1] <= 2 or x.shape[-2] <= 2:
        return img
    f = _float(x)
    t = f.dtype.type
    kernel = np.ones((3, 3), dtype=f.dtype)
    kernel[1, 1] = 5.0
    kernel /= t(13.0)
    c, h, w = f.shape[-3:]
    weight = Tensor._wrap(np.ascontiguousarray(np.broadcast_to(kernel, (c, 1, 3, 3))))
    smooth = conv2d(Tensor._wrap(np.ascontiguousarray(f.reshape(-1, c, h, w))), weight, groups=c)._data
    if x.dtype.kind != "f":
        smooth = np.round(smooth)
    degenerate = x.copy()
    degenerate[..., 1:-1, 1:-1] = smooth.reshape(x.shape[:-2] + (h - 2, w - 2)).astype(x.dtype)
    return _blend(x, degenerate, sharpness_factor)


def autocontrast(img: Any) -> Any:
    """Each channel's [min, max] stretched to [0, bound]."""
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageOps.autocontrast(im))
    x = _image(img, min_ndim=3)
    bound = _bound(x)
    f = _float(x)
    t = f.dtype.type
    lo = x.min(axis=(-2, -1), keepdims=True).astype(f.dtype)
    hi = x.max(axis=(-2, -1), keepdims=True).astype(f.dtype)
    with np.errstate(divide="ignore"):
        scale = (t(1.0) / (hi - lo)) * t(bound)  # torch's bound / tensor is reciprocal(tensor) * bound
    flat = ~np.isfinite(scale)
    lo[flat], scale[flat] = 0, 1
    return Tensor._wrap(np.clip((f - lo) * scale, 0, bound).astype(x.dtype))


def _equalize_channel(chan: np.ndarray) -> np.ndarray:
    hist = np.bincount(chan.reshape(-1), minlength=256)
    step = int(hist[hist != 0][:-1].sum()) // 255
    if step == 0:
        return chan
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[chan].astype(np.uint8)


def equalize(img: Any) -> Any:
    """Histogram equalisation of each channel (uint8 tensors)."""
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageOps.equalize(im))
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    x = _image(img, (1, 3))
    if x.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    flat = x.reshape(-1, *x.shape[-2:])
    return Tensor._wrap(np.stack([_equalize_channel(c) for c in flat]).reshape(x.shape))


def invert(img: Any) -> Any:
    """bound - x."""
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageOps.invert(im))
    x = _image(img, min_ndim=3)
    if x.dtype == np.bool_:
        return Tensor._wrap(~x)
    return Tensor._wrap((x.dtype.type(_bound(x)) - x).astype(x.dtype))


def posterize(img: Any, bits: int) -> Any:
    """The top ``bits`` bits of each value (uint8 tensors)."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageOps.posterize(im, bits))
    x = _image(img, min_ndim=3)
    if x.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    return Tensor._wrap(x & np.uint8((-(2 ** (8 - bits))) & 0xFF))


def solarize(img: Any, threshold: float) -> Any:
    """bound - x where x >= threshold."""
    if not isinstance(img, Tensor):
        return _on_pil(img, lambda pil, im: pil.ImageOps.solarize(im, threshold))
    x = _image(img, min_ndim=3)
    if threshold > _bound(x):
        raise TypeError("Threshold should be less than bound of img.")
    return Tensor._wrap(np.where(x >= threshold, invert(img)._data, x))
