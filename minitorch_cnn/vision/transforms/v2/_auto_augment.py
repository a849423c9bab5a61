"""AutoAugment (Cubuk et al. 2019), RandAugment (Cubuk et al. 2020) and TrivialAugmentWide (Müller & Hutter 2021),
as torchvision's v2, with the image operations they pick from.

Operations on a (..., C, H, W) Tensor follow torchvision's tensor kernels: sharpness blends with the 3×3 smoothing
(1, 1, 1; 1, 5, 1; 1, 1, 1)/13 inside a one-pixel border; posterize keeps the top ``bits`` bits; solarize inverts
values >= threshold; autocontrast stretches each channel's [min, max] to the full range; equalize maps each
channel through its cumulative histogram (torchvision's integer formula); invert is max - x. The arrays standing in
for PIL images (and PIL images) go through Pillow's ImageEnhance/ImageOps, as torchvision's PIL path does.
Shear, translate and rotate are ``affine``/``rotate``. Magnitude tables are float32 ``linspace``s as torchvision's;
the picks and signs are drawn from the global generator (``mt.manual_seed``).
"""

from __future__ import annotations

import enum
import math
import re
from typing import Any

import numpy as np

from .... import backend
from ....autograd import Tensor
from ....ops.conv import conv2d
from ..base import ModuleTransform
from ..dtype import _VALUE_BITS, _max_value, to_dtype_image
from ..pil import from_pil
from ..warp import InterpolationMode, affine_v2, rotate_v2
from ._color import adjust_brightness, adjust_contrast, adjust_saturation, axpy
from ._sample import on_image


def _pil(img: Any) -> tuple[Any, Any]:
    from ...io import _pil as load

    pil = load()
    import PIL.ImageEnhance  # noqa: F401 - loads the submodules onto the package
    import PIL.ImageOps  # noqa: F401

    return pil, pil.Image.fromarray(from_pil(img))


def adjust_sharpness(image: Any, sharpness_factor: float) -> Any:
    """Blend with the smoothed image: x + (1 - f)(smooth(x) - x) inside a one-pixel border."""
    if not isinstance(image, Tensor):
        pil, img = _pil(image)
        return np.asarray(pil.ImageEnhance.Sharpness(img).enhance(sharpness_factor))
    c, h, w = image.shape[-3:]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor can have 1 or 3 channels, but found {c}")
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    if image.numel() == 0 or h <= 2 or w <= 2:
        return image
    x = image._data
    fp = x.dtype.kind == "f"
    dtype = x.dtype if fp else np.dtype(np.float32)
    a, b = dtype.type(1.0 / 13.0), dtype.type(5.0 / 13.0)
    kernel = np.broadcast_to(np.array([[a, a, a], [a, b, a], [a, a, a]], dtype=dtype), (c, 1, 3, 3))
    out = x.astype(dtype).reshape(-1, c, h, w)
    blurred = conv2d(Tensor._wrap(out), Tensor._wrap(np.ascontiguousarray(kernel)), groups=c)._data
    if not fp:
        blurred = np.round(blurred)
    view = out[..., 1:-1, 1:-1]
    view[...] = axpy(view, 1.0 - sharpness_factor, blurred - view)
    out = np.clip(out, 0, _max_value(x.dtype) if not fp else 1.0).reshape(x.shape)
    return Tensor._wrap(out if fp else out.astype(x.dtype))


def posterize(image: Any, bits: int) -> Any:
    """Keep the top ``bits`` bits of each value (floats: floor(x · 2^bits) / 2^bits, clamped)."""
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} instead.")
    if not isinstance(image, Tensor):
        pil, img = _pil(image)
        return np.asarray(pil.ImageOps.posterize(img, bits))
    x = image._data
    if x.dtype.kind == "f":
        levels = 1 << bits
        t = x.dtype.type
        return Tensor._wrap(np.clip(np.floor(x * t(levels)), 0, levels - 1) * t(1.0 / levels))
    value_bits = _VALUE_BITS[np.dtype(x.dtype)]
    if bits >= value_bits:
        return image
    return Tensor._wrap(x & x.dtype.type(((1 << bits) - 1) << (value_bits - bits)))


def invert(image: Any) -> Any:
    """max - x (1 - x for floats)."""
    if not isinstance(image, Tensor):
        pil, img = _pil(image)
        return np.asarray(pil.ImageOps.invert(img))
    x = image._data
    if x.dtype.kind == "f":
        return Tensor._wrap(x.dtype.type(1.0) - x)
    return Tensor._wrap(~x if x.dtype == np.uint8 else x ^ x.dtype.type((1 << _VALUE_BITS[np.dtype(x.dtype)]) - 1))


def solarize(image: Any, threshold: float) -> Any:
    """Invert the values >= ``threshold``."""
    if not isinstance(image, Tensor):
        pil, img = _pil(image)
        return np.asarray(pil.ImageOps.solarize(img, threshold))
    x = image._data
    if threshold > (_max_value(x.dtype) if x.dtype.kind != "f" else 1.0):
        raise TypeError(f"Threshold should be less or equal the maximum value of the dtype, but got {threshold}")
    return Tensor._wrap(np.where(x >= threshold, invert(image)._data, x))


def autocontrast(image: Any) -> Any:
    """Each channel's [min, max] stretched to [0, max value] (a flat channel is left as it is)."""
    if not isinstance(image, Tensor):
        pil, img = _pil(image)
        return np.asarray(pil.ImageOps.autocontrast(img))
    x = image._data
    if x.shape[-3] not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are 1 or 3, but found {x.shape[-3]}")
    if x.size == 0:
        return image
    fp = x.dtype.kind == "f"
    bound = 1.0 if fp else _max_value(x.dtype)
    f = x if fp else x.astype(np.float32)
    t = f.dtype.type
    lo, hi = f.min(axis=(-2, -1), keepdims=True), f.max(axis=(-2, -1), keepdims=True)
    flat = hi == lo
    inv_scale = np.where(flat, t(1.0), (hi - lo) * t(1.0 / bound))
    lo = np.where(flat, t(0.0), lo)
    return Tensor._wrap(np.clip((f - lo) / inv_scale, 0, bound).astype(x.dtype))


def equalize(image: Any) -> Any:
    """Histogram equalisation per channel, in uint8 (other dtypes converted there and back with ToDtype's scaling):
    step = (pixels not of the last non-empty level) // 255; lut[v] = (cum_hist[v - 1] + step // 2) // step."""
    if not isinstance(image, Tensor):
        pil, img = _pil(image)
        return np.asarray(pil.ImageOps.equalize(img))
    if image.numel() == 0:
        return image
    out_dtype = image._data.dtype
    x = to_dtype_image(image, np.uint8, scale=True)._data
    flat = x.reshape(x.shape[:-2] + (-1,)).astype(np.int64)
    lead = flat.reshape(-1, flat.shape[-1])
    hist = np.stack([np.bincount(row, minlength=256) for row in lead]).reshape(flat.shape[:-1] + (256,))
    cum = np.cumsum(hist, axis=-1)
    last = np.argmax(cum, axis=-1)[..., None]
    step = (flat.shape[-1] - np.take_along_axis(hist, last, axis=-1)) // 255
    valid = step != 0
    lut = np.clip((cum[..., :-1] + step // 2) // np.maximum(step, 1), 0, 255).astype(np.uint8)
    lut = np.concatenate([np.zeros(lut.shape[:-1] + (1,), dtype=np.uint8), lut], axis=-1)
    equalized = np.take_along_axis(lut, flat, axis=-1).reshape(x.shape)
    result = np.where(valid[..., None], equalized, x)  # a channel of one level is left as it is
    return to_dtype_image(Tensor._wrap(np.ascontiguousarray(result)), out_dtype, scale=True)


def _apply_op(image: Any, op: str, magnitude: float, interpolation: Any, fill: Any) -> Any:
    if op == "Identity":
        return image
    if op in ("ShearX", "ShearY"):
        shear = math.degrees(math.atan(magnitude))
        return affine_v2(image, 0.0, [0, 0], 1.0, [shear, 0.0] if op == "ShearX" else [0.0, shear], interpolation,
                      fill, center=[0, 0])
    if op in ("TranslateX", "TranslateY"):
        move = [int(magnitude), 0] if op == "TranslateX" else [0, int(magnitude)]
        return affine_v2(image, 0.0, move, 1.0, [0.0, 0.0], interpolation, fill)
    if op == "Rotate":
        return rotate_v2(image, magnitude, interpolation, fill=fill)
    colour = {"Brightness": adjust_brightness, "Color": adjust_saturation, "Contrast": adjust_contrast,
              "Sharpness": adjust_sharpness}
    if op in colour:
        return colour[op](image, 1.0 + magnitude)
    if op == "Posterize":
        return posterize(image, int(magnitude))
    if op == "Solarize":
        x = from_pil(image)
        bound = (_max_value(x._data.dtype) if x._data.dtype.kind != "f" else 1.0) if isinstance(x, Tensor) else 255.0
        return solarize(image, bound * magnitude)
    return {"AutoContrast": autocontrast, "Equalize": equalize, "Invert": invert}[op](image)


def linspace32(lo: float, hi: float, n: int) -> np.ndarray:
    """torch's float32 ``linspace``: step = (hi - lo)/(n - 1) in float32, the first half lo + i·step, the second
    hi - (n - 1 - i)·step, each a fused multiply-add (one rounding), so the magnitude tables are torch's bit for bit."""
    lo32, hi32 = np.float32(lo), np.float32(hi)
    step = np.float64((hi32 - lo32) / np.float32(max(n - 1, 1)))
    i = np.arange(n)
    first = (np.float64(lo32) + step * i).astype(np.float32)
    second = (np.float64(hi32) - step * (n - 1 - i)).astype(np.float32)
    return np.where(i < n // 2, first, second)


def _lin(lo: float, hi: float) -> Any:
    return lambda bins, h, w: linspace32(lo, hi, bins)


def _posterize_bits(span: int) -> Any:
    return lambda bins, h, w: np.round(np.float32(8) - np.arange(bins).astype(np.float32)
                                       / np.float32((bins - 1) / span)).astype(np.int32)


_NONE = (lambda bins, h, w: None, False)
_COMMON = {  # RandAugment's and AutoAugment's magnitudes: (bins, height, width) -> table, and whether signed
    "ShearX": (_lin(0.0, 0.3), True), "ShearY": (_lin(0.0, 0.3), True),
    "TranslateX": (lambda bins, h, w: linspace32(0.0, 150.0 / 331.0 * w, bins), True),
    "TranslateY": (lambda bins, h, w: linspace32(0.0, 150.0 / 331.0 * h, bins), True),
    "Rotate": (_lin(0.0, 30.0), True), "Brightness": (_lin(0.0, 0.9), True), "Color": (_lin(0.0, 0.9), True),
    "Contrast": (_lin(0.0, 0.9), True), "Sharpness": (_lin(0.0, 0.9), True),
    "Posterize": (_posterize_bits(4), False), "Solarize": (_lin(1.0, 0.0), False),
    "AutoContrast": _NONE, "Equalize": _NONE,
}


class _AutoAugmentBase(ModuleTransform):
    SPACE: dict = {}

    def __init__(self, interpolation: Any = InterpolationMode.NEAREST, fill: Any = None) -> None:
        self.interpolation, self.fill = interpolation, fill

    def _magnitude(self, op: str, bins: int, index: int | None, hw: tuple[int, int]) -> float:
        table_fn, signed = self.SPACE[op]
        table = table_fn(bins, *hw)
        if table is None:
            return 0.0
        magnitude = float(table[index])
        if signed and backend.generator().random() <= 0.5:
            magnitude *= -1
        return magnitude

    def forward(self, *inputs: Any) -> Any:
        return on_image(self._augment, inputs)

    def _repr_fields(self) -> str:
        return ""

    def __repr__(self) -> str:  # v2's layout; fill only when set
        mode = getattr(self.interpolation, "value", self.interpolation)
        fill = f", fill={self.fill}" if self.fill is not None else ""
        return f"{type(self).__name__}(interpolation={mode}{self._repr_fields()}{fill})"

    @staticmethod
    def _hw(img: Any) -> tuple[int, int]:
        x = from_pil(img)
        return tuple(x.shape[-2:]) if isinstance(x, Tensor) else tuple(x.shape[:2])


class AutoAugmentPolicy(enum.Enum):
    """The learned policies of the AutoAugment paper."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# each sub-policy (separated by "|" or a line end): two (operation, probability, magnitude index) steps; "-" for an
# operation without magnitude
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: """
        Posterize .4 8 Rotate .6 9 | Solarize .6 5 AutoContrast .6 - | Equalize .8 - Equalize .6 -
        Posterize .6 7 Posterize .6 6 | Equalize .4 - Solarize .2 4 | Equalize .4 - Rotate .8 8
        Solarize .6 3 Equalize .6 - | Posterize .8 5 Equalize 1 - | Rotate .2 3 Solarize .6 8
        Equalize .6 - Posterize .4 6 | Rotate .8 8 Color .4 0 | Rotate .4 9 Equalize .6 -
        Equalize 0 - Equalize .8 - | Invert .6 - Equalize 1 - | Color .6 4 Contrast 1 8
        Rotate .8 8 Color 1 2 | Color .8 8 Solarize .8 7 | Sharpness .4 7 Invert .6 -
        ShearX .6 5 Equalize 1 - | Color .4 0 Equalize .6 - | Equalize .4 - Solarize .2 4
        Solarize .6 5 AutoContrast .6 - | Invert .6 - Equalize 1 - | Color .6 4 Contrast 1 8
        Equalize .8 - Equalize .6 -""",
    AutoAugmentPolicy.CIFAR10: """
        Invert .1 - Contrast .2 6 | Rotate .7 2 TranslateX .3 9 | Sharpness .8 1 Sharpness .9 3
        ShearY .5 8 TranslateY .7 9 | AutoContrast .5 - Equalize .9 - | ShearY .2 7 Posterize .3 7
        Color .4 3 Brightness .6 7 | Sharpness .3 9 Brightness .7 9 | Equalize .6 - Equalize .5 -
        Contrast .6 7 Sharpness .6 5 | Color .7 7 TranslateX .5 8 | Equalize .3 - AutoContrast .4 -
        TranslateY .4 3 Sharpness .2 6 | Brightness .9 6 Color .2 8 | Solarize .5 2 Invert 0 -
        Equalize .2 - AutoContrast .6 - | Equalize .2 - Equalize .6 - | Color .9 9 Equalize .6 -
        AutoContrast .8 - Solarize .2 8 | Brightness .1 3 Color .7 0 | Solarize .4 5 AutoContrast .9 -
        TranslateY .9 9 TranslateY .7 9 | AutoContrast .9 - Solarize .8 3 | Equalize .8 - Invert .1 -
        TranslateY .7 9 AutoContrast .9 -""",
    AutoAugmentPolicy.SVHN: """
        ShearX .9 4 Invert .2 - | ShearY .9 8 Invert .7 - | Equalize .6 - Solarize .6 6
        Invert .9 - Equalize .6 - | Equalize .6 - Rotate .9 3 | ShearX .9 4 AutoContrast .8 -
        ShearY .9 8 Invert .4 - | ShearY .9 5 Solarize .2 6 | Invert .9 - AutoContrast .8 -
        Equalize .6 - Rotate .9 3 | ShearX .9 4 Solarize .3 3 | ShearY .8 8 Invert .7 -
        Equalize .9 - TranslateY .6 6 | Invert .9 - Equalize .6 - | Contrast .3 3 Rotate .8 4
        Invert .8 - TranslateY 0 2 | ShearY .7 6 Solarize .4 8 | Invert .6 - Rotate .8 4
        ShearY .3 7 TranslateX .9 3 | ShearX .1 6 Invert .6 - | Solarize .7 2 TranslateY .6 7
        ShearY .8 4 Invert .8 - | ShearX .7 9 TranslateY .8 3 | ShearY .8 5 AutoContrast .7 -
        ShearX .7 2 Invert .1 -""",
}


def _parse_policy(text: str) -> list[tuple]:
    out = []
    for sub in re.split(r"[|\n]", text):
        words = sub.split()
        if not words:
            continue
        out.append(tuple((words[i], float(words[i + 1]), None if words[i + 2] == "-" else int(words[i + 2]))
                         for i in range(0, len(words), 3)))
    return out


class AutoAugment(_AutoAugmentBase):
    """One of the policy's 25 sub-policies at random; each of its two steps applied with its probability."""

    SPACE = {**_COMMON, "Invert": _NONE}

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = None) -> None:
        super().__init__(interpolation, fill)
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self._policies = _parse_policy(_POLICIES[policy])

    def _repr_fields(self) -> str:
        return f", policy={self.policy}"

    def _augment(self, img: Any) -> Any:
        gen = backend.generator()
        hw = self._hw(img)
        for op, probability, index in self._policies[int(gen.integers(len(self._policies)))]:
            if not gen.random() <= probability:
                continue
            img = _apply_op(img, op, self._magnitude(op, 10, index, hw), self.interpolation, self.fill)
        return img


class RandAugment(_AutoAugmentBase):
    """``num_ops`` operations drawn uniformly, each at the fixed ``magnitude`` of ``num_magnitude_bins``."""

    SPACE = {"Identity": _NONE, **_COMMON}

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = None) -> None:
        super().__init__(interpolation, fill)
        if not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"num_ops should be a non-negative integer, but got {num_ops} instead.")
        self.num_ops, self.magnitude, self.num_magnitude_bins = num_ops, magnitude, num_magnitude_bins

    def _repr_fields(self) -> str:
        return f", num_ops={self.num_ops}, magnitude={self.magnitude}, num_magnitude_bins={self.num_magnitude_bins}"

    def _augment(self, img: Any) -> Any:
        ops = list(self.SPACE)
        hw = self._hw(img)
        for _ in range(self.num_ops):
            op = ops[int(backend.generator().integers(len(ops)))]
            img = _apply_op(img, op, self._magnitude(op, self.num_magnitude_bins, self.magnitude, hw),
                            self.interpolation, self.fill)
        return img


class TrivialAugmentWide(_AutoAugmentBase):
    """One operation drawn uniformly, at a magnitude drawn uniformly from the wide ranges."""

    SPACE = {"Identity": _NONE, "ShearX": (_lin(0.0, 0.99), True), "ShearY": (_lin(0.0, 0.99), True),
             "TranslateX": (_lin(0.0, 32.0), True), "TranslateY": (_lin(0.0, 32.0), True),
             "Rotate": (_lin(0.0, 135.0), True), "Brightness": (_lin(0.0, 0.99), True),
             "Color": (_lin(0.0, 0.99), True), "Contrast": (_lin(0.0, 0.99), True),
             "Sharpness": (_lin(0.0, 0.99), True), "Posterize": (_posterize_bits(6), False),
             "Solarize": (_lin(1.0, 0.0), False), "AutoContrast": _NONE, "Equalize": _NONE}

    def __init__(self, num_magnitude_bins: int = 31, interpolation: Any = InterpolationMode.NEAREST,
                 fill: Any = None) -> None:
        super().__init__(interpolation, fill)
        self.num_magnitude_bins = num_magnitude_bins

    def _repr_fields(self) -> str:
        return f", num_magnitude_bins={self.num_magnitude_bins}"

    def _augment(self, img: Any) -> Any:
        gen = backend.generator()
        ops = list(self.SPACE)
        op = ops[int(gen.integers(len(ops)))]
        index = int(gen.integers(self.num_magnitude_bins))
        return _apply_op(img, op, self._magnitude(op, self.num_magnitude_bins, index, self._hw(img)),
                         self.interpolation, self.fill)
