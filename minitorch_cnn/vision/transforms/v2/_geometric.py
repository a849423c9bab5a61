"""v2's ``RandomVerticalFlip``, ``FiveCrop``, ``TenCrop``, ``RandomPerspective`` and ``LinearTransformation``:
v1's (``geometric.py``) taking v2 samples, with v2's reprs, v2's perspective (its fill blend, the fill passed as
given) and torchvision's ``make_params``/``transform`` split where it has one."""

from __future__ import annotations

from typing import Any

from .. import geometric as v1
from ..base import Image
from ..pil import is_pil_image
from ..warp import _hw, perspective_coeffs, perspective_v2
from ._sample import SampleTransform, flatten, on_image


class RandomVerticalFlip(SampleTransform, v1.RandomVerticalFlip):
    """v1's ``RandomVerticalFlip``, taking v2 samples."""


class FiveCrop(SampleTransform, v1.FiveCrop):
    """v1's ``FiveCrop``, taking v2 samples."""


class TenCrop(SampleTransform, v1.TenCrop):
    """v1's ``TenCrop``, taking v2 samples."""


class RandomPerspective(SampleTransform, v1.RandomPerspective):
    """v1's draws, v2's warp: ``make_params`` gives the eight coefficients, ``transform`` warps by them."""

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5, interpolation: Any = "bilinear",
                 fill: Any = 0) -> None:
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        super().__init__(distortion_scale, p, interpolation, fill)

    def make_params(self, flat_inputs: list) -> dict:
        h, w = _hw(flat_inputs[0])
        return {"coefficients": perspective_coeffs(*self.get_params(w, h, self.distortion_scale))}

    def transform(self, inpt: Image, params: dict) -> Image:
        return perspective_v2(inpt, None, None, self.interpolation, self.fill, coefficients=params["coefficients"])

    def apply(self, img: Image, points: tuple | None) -> Image:
        if points is None:
            return img
        return self.transform(img, {"coefficients": perspective_coeffs(*points)})

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return (f"RandomPerspective(p={self.p}, distortion_scale={self.distortion_scale}, interpolation={mode}, "
                f"fill={self.fill})")


class LinearTransformation(v1.LinearTransformation):
    """v1's ``LinearTransformation`` on the Tensor image of a v2 sample (PIL images are refused, as in v2)."""

    def __call__(self, *inputs: Any) -> Any:
        if any(is_pil_image(leaf) for leaf in flatten(inputs)[0]):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")
        return on_image(super().__call__, inputs)

    def __repr__(self) -> str:
        return "LinearTransformation()"
