"""``ColorJitter`` and its adjustments, as torchvision's v2 tensor kernels (values for values, uint8 included).

brightness: x·b;  contrast: blend with the mean of the luma;  saturation: blend with the luma (per pixel),
blend(a, g, r) = clamp(r a + (1 - r) g, 0, max), luma = 0.2989 R + 0.587 G + 0.114 B (floored for integer
images); hue: RGB -> HSV (Pillow's formulas), h + hue mod 1, -> RGB, in float32 (integer images converted to float
and back with ``ToDtype``'s scaling). Integer results are truncated back to the image's dtype, as torch's casts.
ColorJitter applies the four in a random order with factors drawn uniformly from their ranges (global generator).

The arrays standing in for PIL images (and PIL images) are adjusted by Pillow, as torchvision adjusts PIL images:
``ImageEnhance.Brightness / Contrast / Color`` and, for hue, an 8-bit shift of the H band of Pillow's HSV; an
array comes back as an array.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .... import backend
from ....autograd import Tensor
from ..base import ModuleTransform
from ..dtype import _max_value, to_dtype_image
from ..pil import from_pil
from ._sample import f32_uniform as _f32_uniform
from ._sample import on_image


def _pil_image(img: Any) -> Any:
    from ...io import _pil

    pil = _pil()
    import PIL.ImageEnhance  # noqa: F401 - loads the submodule onto the package

    arr = from_pil(img)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"img should be a Tensor, a PIL image or its (H, W[, C]) array, got {type(img)}")
    return pil, pil.Image.fromarray(arr)


def _enhance(img: Any, kind: str, factor: float) -> np.ndarray:
    pil, image = _pil_image(img)
    return np.asarray(getattr(pil.ImageEnhance, kind)(image).enhance(factor))


def _pil_hue(img: Any, hue_factor: float) -> np.ndarray:
    pil, image = _pil_image(img)
    if image.mode in {"L", "1", "I", "F"}:
        return np.asarray(image)
    h, s, v = image.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around, as the hue circle does
    return np.asarray(pil.Image.merge("HSV", (pil.Image.fromarray(np_h, "L"), s, v)).convert(image.mode))


def _channels(x: np.ndarray) -> int:
    c = x.shape[-3]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are 1 or 3, but found {c}")
    return c


def _luma(x: np.ndarray) -> np.ndarray:
    """0.2989 R + 0.587 G + 0.114 B as (..., 1, H, W), float (float32 for integer images), floored for integers."""
    f = x if x.dtype.kind == "f" else x.astype(np.float32)
    t = f.dtype.type
    r, g, b = f[..., 0, :, :], f[..., 1, :, :], f[..., 2, :, :]
    out = (r * t(0.2989) + g * t(0.587) + b * t(0.114))[..., None, :, :]
    return out if x.dtype.kind == "f" else np.floor(out)


def _finish(out: np.ndarray, like: np.ndarray) -> Tensor:
    out = np.clip(out, 0, _max_value(like.dtype) if like.dtype.kind != "f" else 1.0)
    return Tensor._wrap(out if like.dtype.kind == "f" else out.astype(like.dtype))


def axpy(a: np.ndarray, alpha: float, b: np.ndarray) -> np.ndarray:
    """a + alpha·b as torch's ``a.add_(b, alpha=alpha)`` computes it: one rounding (a fused multiply-add), which
    float32 gets here by working in float64 (the float32 product is exact there); float64 rounds twice, 1e-16 off."""
    if a.dtype == np.float32:
        return (a.astype(np.float64) + np.float64(np.float32(alpha)) * b.astype(np.float64)).astype(np.float32)
    return a + a.dtype.type(alpha) * b


def _blend(x: np.ndarray, other: np.ndarray, ratio: float) -> Tensor:
    f = x if x.dtype.kind == "f" else x.astype(np.float32)
    return _finish(axpy(f * f.dtype.type(ratio), 1.0 - ratio, other.astype(f.dtype, copy=False)), x)


def adjust_brightness(image: Tensor, brightness_factor: float) -> Tensor:
    if brightness_factor < 0:
        raise ValueError("brightness_factor is not non-negative.")
    if not isinstance(image, Tensor):
        return _enhance(image, "Brightness", brightness_factor)
    x = image._data
    _channels(x)
    f = x if x.dtype.kind == "f" else x.astype(np.float32)
    return _finish(f * f.dtype.type(brightness_factor), x)


def adjust_saturation(image: Tensor, saturation_factor: float) -> Tensor:
    if saturation_factor < 0:
        raise ValueError("saturation_factor is not non-negative.")
    if not isinstance(image, Tensor):
        return _enhance(image, "Color", saturation_factor)
    x = image._data
    if _channels(x) == 1:
        return image
    return _blend(x, _luma(x), saturation_factor)


def adjust_contrast(image: Tensor, contrast_factor: float) -> Tensor:
    if contrast_factor < 0:
        raise ValueError("contrast_factor is not non-negative.")
    if not isinstance(image, Tensor):
        return _enhance(image, "Contrast", contrast_factor)
    x = image._data
    gray = _luma(x) if _channels(x) == 3 else (x if x.dtype.kind == "f" else x.astype(np.float32))
    return _blend(x, gray.mean(axis=(-3, -2, -1), keepdims=True, dtype=gray.dtype), contrast_factor)


def _rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    r, g = x[..., 0, :, :], x[..., 1, :, :]
    maxc, minc = x.max(axis=-3), x.min(axis=-3)
    eqc = maxc == minc
    crange = maxc - minc
    ones = np.ones_like(maxc)
    s = crange / np.where(eqc, ones, maxc)
    rc, gc, bc = np.moveaxis((maxc[..., None, :, :] - x) / np.where(eqc, ones, crange)[..., None, :, :], -3, 0)
    neq_r, eq_g = maxc != r, maxc == g
    t = x.dtype.type
    h = (bc - gc) * ~neq_r + (rc + t(2.0) - bc) * (eq_g & neq_r) + (gc + t(4.0) - rc) * (neq_r & ~eq_g)
    h = np.fmod(h * t(1.0 / 6.0) + t(1.0), t(1.0))
    return np.stack((h, s, maxc), axis=-3)


_SELECT = np.array([[0, 2, 1, 1, 3, 0], [3, 0, 0, 2, 1, 1], [1, 1, 3, 0, 0, 2]])


def _hsv_to_rgb(x: np.ndarray) -> np.ndarray:
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    t = x.dtype.type
    h6 = h * t(6)
    i = np.floor(h6)
    f = h6 - i
    i = np.remainder(i.astype(np.int32), 6)
    sxf = s * f
    one_minus_s = t(1.0) - s
    q = np.clip((t(1.0) - sxf) * v, 0.0, 1.0)
    tt = np.clip((sxf + one_minus_s) * v, 0.0, 1.0)
    p = np.clip(one_minus_s * v, 0.0, 1.0)
    vpqt = np.stack((v, p, q, tt), axis=-3)
    select = np.moveaxis(_SELECT[:, i], 0, -3)
    return np.take_along_axis(vpqt, select, axis=-3)


def adjust_hue(image: Tensor, hue_factor: float) -> Tensor:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(image, Tensor):
        return _pil_hue(image, hue_factor)
    x = image._data
    if _channels(x) == 1 or x.size == 0:
        return image
    f = to_dtype_image(image, np.float32, scale=True)._data
    hsv = _rgb_to_hsv(f)
    hsv[..., 0, :, :] = np.remainder(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    return to_dtype_image(Tensor._wrap(_hsv_to_rgb(hsv)), x.dtype, scale=True)


def _check_input(value: Any, name: str, center: float = 1.0, bound: tuple = (0, float("inf")),
                 clip_first_on_zero: bool = True) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - value, center + value]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        value = [float(v) for v in value]
    else:
        raise TypeError(f"{name}={value} should be a single number or a sequence with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))


class ColorJitter(ModuleTransform):
    """Brightness, contrast, saturation and hue, each (where given) with a factor drawn uniformly from its range,
    applied in a random order."""

    def __init__(self, brightness: Any = None, contrast: Any = None, saturation: Any = None,
                 hue: Any = None) -> None:
        self.brightness = _check_input(brightness, "brightness")
        self.contrast = _check_input(contrast, "contrast")
        self.saturation = _check_input(saturation, "saturation")
        self.hue = _check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def make_params(self, flat_inputs: list) -> dict:
        gen = backend.generator()
        params: dict = {"fn_idx": gen.permutation(4).tolist()}
        for name in ("brightness", "contrast", "saturation", "hue"):
            rng = getattr(self, name)
            params[f"{name}_factor"] = None if rng is None else _f32_uniform(gen, rng[0], rng[1])
        return params

    def transform(self, inpt: Tensor, params: dict) -> Tensor:
        fns = (("brightness", adjust_brightness), ("contrast", adjust_contrast),
               ("saturation", adjust_saturation), ("hue", adjust_hue))
        out = inpt
        for k in params["fn_idx"]:
            name, fn = fns[int(k)]
            if params[f"{name}_factor"] is not None:
                out = fn(out, params[f"{name}_factor"])
        return out

    def forward(self, *inputs: Any) -> Any:
        return on_image(lambda img: self.transform(img, self.make_params([img])), inputs)

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}={getattr(self, n)}" for n in ("brightness", "contrast", "saturation", "hue")
                          if getattr(self, n) is not None)
        return f"ColorJitter({parts})"


class ColorJitterV1(ColorJitter):
    """v1's ``ColorJitter``: the same draws and kernels, v1's repr (every range, None where unset)."""

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, "
                f"hue={self.hue})")
