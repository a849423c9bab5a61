"""v2's ``Grayscale`` and its p-gated colour transforms (``RandomInvert``, ``RandomPosterize``, ``RandomSolarize``,
``RandomAdjustSharpness``, ``RandomAutocontrast``, ``RandomEqualize``): v1's draws (one uniform per call, applied
when < p) with v2's kernels (``_auto_augment.py``) and reprs, taking v2 samples. Also v2's ``RGB``,
``RandomChannelPermutation``, ``GaussianNoise`` (see ``gaussian_noise``) and ``RandomPhotometricDistort``.

v2's grayscale: l = fma(b, 0.114, fma(g, 0.587, r·0.2989)) (torch's ``add_(x, alpha=a)`` rounds once), cast back
to the image dtype (truncating integers); one channel is copied (or repeated to three).
grayscale_to_rgb: one channel repeated to three (three or more channels: the image itself);
permute_channels: the channels reordered, out[c] = x[permutation[c]]."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .... import backend
from ....autograd import Tensor
from ....ops.factories import randn
from .. import functional as F
from .. import photometric as v1
from ..base import Image
from ..pil import from_pil, pil_to_tensor
from ._auto_augment import adjust_sharpness, autocontrast, equalize, invert, posterize, solarize
from ._color import adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation, axpy
from ._sample import SampleTransform, Transform, f32_uniform


def rgb_to_grayscale(image: Any, num_output_channels: int = 1) -> Any:
    """v2's luma of a (..., C, H, W) Tensor (see the module notes); PIL images and arrays as v1's."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    if not isinstance(image, Tensor):
        return F.to_grayscale(image, num_output_channels)
    x = image._data
    if x.shape[-3] == 1:
        return Tensor._wrap(np.repeat(x, num_output_channels, axis=-3))
    f = x if x.dtype.kind == "f" else x.astype(np.float32)
    r, g, b = f[..., 0, :, :], f[..., 1, :, :], f[..., 2, :, :]
    lum = axpy(axpy(r * f.dtype.type(0.2989), 0.587, g), 0.114, b).astype(x.dtype)[..., None, :, :]
    return Tensor._wrap(np.repeat(lum, 3, axis=-3) if num_output_channels == 3 else lum)


def grayscale_to_rgb(inpt: Any) -> Any:
    """One channel repeated to three; an image of three or more channels as it is (PIL: ``convert("RGB")``)."""
    if not isinstance(inpt, Tensor):
        arr = from_pil(inpt)
        return np.repeat(np.atleast_3d(arr), 3, axis=2) if np.atleast_3d(arr).shape[2] == 1 else arr
    return inpt if inpt.shape[-3] >= 3 else rgb_to_grayscale(inpt, num_output_channels=3)


def permute_channels(inpt: Any, permutation: Sequence[int]) -> Any:
    """out[..., c, :, :] = x[..., permutation[c], :, :]."""
    if not isinstance(inpt, Tensor):
        out = permute_channels(pil_to_tensor(inpt), permutation)._data.transpose(1, 2, 0)
        return out[:, :, 0] if out.shape[2] == 1 else out
    c = inpt.shape[-3]
    if len(permutation) != c:
        raise ValueError(f"Length of permutation does not match number of channels: {len(permutation)} != {c}")
    return Tensor._wrap(np.ascontiguousarray(inpt._data[..., list(permutation), :, :]))


class Grayscale(SampleTransform, v1.Grayscale):
    """v2's luma of the image, with ``num_output_channels`` channels."""

    def apply_one(self, img: Image, params: None) -> Image:
        return rgb_to_grayscale(img, self.num_output_channels)


class _V2Repr:
    """v2's repr of a p-gated transform: p first, then its arguments, ', '-separated."""

    def __repr__(self) -> str:
        parts = [f"p={self.p}"] + [f"{a}={getattr(self, a)}" for a in self.args]
        return f"{type(self).__name__}({', '.join(parts)})"


class RandomInvert(SampleTransform, _V2Repr, v1.RandomInvert):
    """v2's ``invert`` with probability p."""

    def op(self, img: Image) -> Image:
        return invert(img)


class RandomPosterize(SampleTransform, _V2Repr, v1.RandomPosterize):
    """v2's ``posterize`` with probability p."""

    def op(self, img: Image) -> Image:
        return posterize(img, self.bits)


class RandomSolarize(SampleTransform, _V2Repr, v1.RandomSolarize):
    """v2's ``solarize`` with probability p."""

    def op(self, img: Image) -> Image:
        return solarize(img, self.threshold)


class RandomAdjustSharpness(SampleTransform, _V2Repr, v1.RandomAdjustSharpness):
    """v2's ``adjust_sharpness`` with probability p."""

    def op(self, img: Image) -> Image:
        return adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(SampleTransform, _V2Repr, v1.RandomAutocontrast):
    """v2's ``autocontrast`` with probability p."""

    def op(self, img: Image) -> Image:
        return autocontrast(img)


class RandomEqualize(SampleTransform, _V2Repr, v1.RandomEqualize):
    """v2's ``equalize`` with probability p."""

    def op(self, img: Image) -> Image:
        return equalize(img)


def gaussian_noise(inpt: Tensor, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> Tensor:
    """x + (mean + n · sigma), n standard normal of the image's float dtype (float32 for uint8, whose noise
    255·mean + n·255·sigma is truncated to int16 first), clamped to [0, 1] (uint8: [0, 255]) when ``clip``."""
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    if not isinstance(inpt, Tensor):
        raise ValueError("Gaussian Noise is not implemented for PIL images.")
    x = inpt._data
    if x.dtype.kind == "f":
        t = x.dtype.type
        out = x + (t(mean) + randn(*x.shape, dtype=x.dtype)._data * t(sigma))
        return Tensor._wrap(np.clip(out, 0, 1) if clip else out)
    if x.dtype != np.uint8:
        raise ValueError(f"Input tensor is expected to be in uint8 or float dtype, got dtype={inpt.dtype}")
    noise = (np.float32(mean * 255) + randn(*x.shape, dtype=np.float32)._data * np.float32(sigma * 255))
    out = x.astype(np.int16) + noise.astype(np.int16)
    return Tensor._wrap((np.clip(out, 0, 255) if clip else out).astype(np.uint8))


def permutation(channels: int) -> list[int]:
    """A random order of ``channels`` channels (``randperm``), from the global generator."""
    return backend.generator().permutation(channels).tolist()


class RGB(Transform):
    """One-channel images repeated to three channels (``grayscale_to_rgb``)."""

    def transform(self, inpt: Image, params: dict) -> Image:
        return grayscale_to_rgb(inpt)


class RandomChannelPermutation(Transform):
    """The channels in a random order."""

    def make_params(self, flat_inputs: list) -> dict:
        return {"permutation": permutation(F.get_dimensions(flat_inputs[0])[0])}

    def transform(self, inpt: Image, params: dict) -> Image:
        return permute_channels(inpt, params["permutation"])


class GaussianNoise(Transform):
    """``gaussian_noise`` with fresh noise each call."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.mean, self.sigma, self.clip = mean, sigma, clip

    def transform(self, inpt: Image, params: dict) -> Image:
        return gaussian_noise(inpt, self.mean, self.sigma, self.clip)

    def __repr__(self) -> str:
        return f"GaussianNoise(mean={self.mean}, sigma={self.sigma}, clip={self.clip})"


class RandomPhotometricDistort(Transform):
    """SSD's distortion: brightness, contrast (before or after the rest, even odds), saturation and hue, each with
    probability p and a factor uniform in its range (float32), then a channel permutation with probability p."""

    def __init__(self, brightness: Sequence[float] = (0.875, 1.125), contrast: Sequence[float] = (0.5, 1.5),
                 saturation: Sequence[float] = (0.5, 1.5), hue: Sequence[float] = (-0.05, 0.05),
                 p: float = 0.5) -> None:
        self.brightness, self.contrast, self.hue, self.saturation, self.p = brightness, contrast, hue, saturation, p

    def make_params(self, flat_inputs: list) -> dict:
        gen = backend.generator()
        params: dict = {}
        for key, (low, high) in (("brightness_factor", self.brightness), ("contrast_factor", self.contrast),
                                 ("saturation_factor", self.saturation), ("hue_factor", self.hue)):
            params[key] = f32_uniform(gen, low, high) if gen.random() < self.p else None
        params["contrast_before"] = bool(gen.random() < 0.5)
        channels = F.get_dimensions(flat_inputs[0])[0]
        params["channel_permutation"] = permutation(channels) if gen.random() < self.p else None
        return params

    def transform(self, inpt: Image, params: dict) -> Image:
        contrast = params["contrast_factor"]
        if params["brightness_factor"] is not None:
            inpt = adjust_brightness(inpt, params["brightness_factor"])
        if contrast is not None and params["contrast_before"]:
            inpt = adjust_contrast(inpt, contrast)
        if params["saturation_factor"] is not None:
            inpt = adjust_saturation(inpt, params["saturation_factor"])
        if params["hue_factor"] is not None:
            inpt = adjust_hue(inpt, params["hue_factor"])
        if contrast is not None and not params["contrast_before"]:
            inpt = adjust_contrast(inpt, contrast)
        if params["channel_permutation"] is not None:
            inpt = permute_channels(inpt, params["channel_permutation"])
        return inpt

    def __repr__(self) -> str:
        return (f"RandomPhotometricDistort(brightness={self.brightness}, contrast={self.contrast}, hue={self.hue}, "
                f"saturation={self.saturation}, p={self.p})")
