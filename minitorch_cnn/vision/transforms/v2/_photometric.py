"""v2's ``Grayscale`` and its p-gated colour transforms (``RandomInvert``, ``RandomPosterize``, ``RandomSolarize``,
``RandomAdjustSharpness``, ``RandomAutocontrast``, ``RandomEqualize``): v1's draws (one uniform per call, applied
when < p) with v2's kernels (``_auto_augment.py``) and reprs, taking v2 samples.

v2's grayscale: l = fma(b, 0.114, fma(g, 0.587, r·0.2989)) (torch's ``add_(x, alpha=a)`` rounds once), cast back
to the image dtype (truncating integers); one channel is copied (or repeated to three)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....autograd import Tensor
from .. import functional as F
from .. import photometric as v1
from ..base import Image
from ._auto_augment import adjust_sharpness, autocontrast, equalize, invert, posterize, solarize
from ._color import axpy
from ._sample import SampleTransform


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


class Grayscale(SampleTransform, v1.Grayscale):
    """v2's luma of the image, with ``num_output_channels`` channels."""

    def apply(self, img: Image, params: None) -> Image:
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
