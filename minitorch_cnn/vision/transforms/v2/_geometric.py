"""v2's ``RandomVerticalFlip``, ``FiveCrop``, ``TenCrop``, ``RandomPerspective``, ``LinearTransformation`` and
``ElasticTransform``:
v1's (``geometric.py``) taking v2 samples, with v2's reprs, v2's perspective (its fill blend, the fill passed as
given) and torchvision's ``make_params``/``transform`` split where it has one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ....autograd import Tensor
from .. import geometric as v1
from ..base import Image
from ..pil import is_pil_image
from ..warp import _hw, elastic_v2, perspective_coeffs, perspective_v2
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


def _numbers(value: Any, name: str) -> list[float]:
    """v2's ``alpha``/``sigma``: a number or a sequence of one or two numbers, as two floats."""
    if not isinstance(value, (int, float, Sequence)):
        raise TypeError(f"{name} should be a number or a sequence of numbers. Got {type(value)}")
    if isinstance(value, Sequence):
        if len(value) not in (1, 2):
            raise ValueError(f"If {name} is a sequence its length should be 1 or 2. Got {len(value)}")
        bad = [v for v in value if not isinstance(v, (int, float))]
        if bad:
            raise ValueError(f"{name} should be a sequence of numbers. Got {type(bad[0])}")
        return [float(value[0]), float(value[-1])]
    return [float(value), float(value)]


class ElasticTransform(SampleTransform, v1.ElasticTransform):
    """v2's: the displacement drawn with v2's blur kernel (``make_params``), warped by v2's ``elastic``."""

    def __init__(self, alpha: Any = 50.0, sigma: Any = 5.0, interpolation: Any = "bilinear", fill: Any = 0) -> None:
        self.alpha, self.sigma = _numbers(alpha, "alpha"), _numbers(sigma, "sigma")
        self.interpolation, self.fill = interpolation, fill

    def make_params(self, flat_inputs: list) -> dict:
        return {"displacement": self.draw((0, *_hw(flat_inputs[0])))}

    def transform(self, inpt: Image, params: dict) -> Image:
        return elastic_v2(inpt, params["displacement"], self.interpolation, self.fill)

    def draw(self, dims: tuple) -> Tensor:
        return v1.elastic_displacement(self.alpha, self.sigma, dims[1:], v1=False)

    def apply(self, img: Image, displacement: Tensor) -> Image:
        return self.transform(img, {"displacement": displacement})

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return f"ElasticTransform(alpha={self.alpha}, sigma={self.sigma}, interpolation={mode}, fill={self.fill})"
