"""v2's ``RandomVerticalFlip``, ``FiveCrop``, ``TenCrop``, ``RandomPerspective``, ``LinearTransformation`` and
``ElasticTransform``: v1's (``geometric.py``) taking v2 samples, with v2's reprs, v2's perspective (its fill blend,
the fill passed as given) and torchvision's ``make_params``/``transform`` split where it has one. And v2's own
``RandomResize``, ``RandomShortestSize``, ``ScaleJitter`` (v2's resize to a drawn size) and ``RandomZoomOut``
(padding onto a drawn canvas)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .... import backend
from ....autograd import Tensor
from .. import geometric as v1
from ..base import Image
from ..pil import is_pil_image
from ..warp import _hw, elastic_v2, perspective_coeffs, perspective_v2
from ._sample import SampleTransform, Transform, flatten, on_image
from .functional import pad, resize


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

    def apply_one(self, img: Image, points: tuple | None) -> Image:
        if points is None:
            return img
        return self.transform(img, {"coefficients": perspective_coeffs(*points)})

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return (f"RandomPerspective(p={self.p}, distortion_scale={self.distortion_scale}, interpolation={mode}, "
                f"fill={self.fill})")


class LinearTransformation(v1.LinearTransformation):
    """v1's ``LinearTransformation`` on the Tensor image of a v2 sample (PIL images are refused, as in v2)."""

    def forward(self, *inputs: Any) -> Any:
        if any(is_pil_image(leaf) for leaf in flatten(inputs)[0]):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")
        return on_image(super().forward, inputs)

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

    def apply_one(self, img: Image, displacement: Tensor) -> Image:
        return self.transform(img, {"displacement": displacement})

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return f"ElasticTransform(alpha={self.alpha}, sigma={self.sigma}, interpolation={mode}, fill={self.fill})"


class _Resizing(Transform):
    """Base of the v2 transforms that resize to a drawn size (``make_params`` gives ``{"size": ...}``)."""

    def __init__(self, interpolation: Any, antialias: bool | None) -> None:
        self.interpolation, self.antialias = interpolation, antialias

    def transform(self, inpt: Image, params: dict) -> Image:
        return resize(inpt, params["size"], self.interpolation, antialias=self.antialias)

    def _mode(self) -> str:
        return getattr(self.interpolation, "value", self.interpolation)


class RandomResize(_Resizing):
    """The smaller edge resized to an integer drawn uniformly from [min_size, max_size)."""

    def __init__(self, min_size: int, max_size: int, interpolation: Any = "bilinear",
                 antialias: bool | None = True) -> None:
        super().__init__(interpolation, antialias)
        self.min_size, self.max_size = min_size, max_size

    def make_params(self, flat_inputs: list) -> dict:
        return {"size": [int(backend.generator().integers(self.min_size, self.max_size))]}

    def __repr__(self) -> str:
        return (f"RandomResize(min_size={self.min_size}, max_size={self.max_size}, interpolation={self._mode()}, "
                f"antialias={self.antialias})")


class RandomShortestSize(_Resizing):
    """The smaller edge resized to one of ``min_size`` (uniform pick), the longer edge kept <= ``max_size``."""

    def __init__(self, min_size: int | Sequence[int], max_size: int | None = None, interpolation: Any = "bilinear",
                 antialias: bool | None = True) -> None:
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size

    def make_params(self, flat_inputs: list) -> dict:
        h, w = _hw(flat_inputs[0])
        r = self.min_size[int(backend.generator().integers(len(self.min_size)))] / min(h, w)
        if self.max_size is not None:
            r = min(r, self.max_size / max(h, w))
        return {"size": (int(h * r), int(w * r))}

    def __repr__(self) -> str:
        return (f"RandomShortestSize(min_size={self.min_size}, max_size={self.max_size}, "
                f"interpolation={self._mode()}, antialias={self.antialias})")


class ScaleJitter(_Resizing):
    """Large-scale jitter: resized by min(target_h / h, target_w / w) times a scale uniform in ``scale_range``
    (float32, as torchvision's ``torch.rand``)."""

    def __init__(self, target_size: tuple[int, int], scale_range: tuple[float, float] = (0.1, 2.0),
                 interpolation: Any = "bilinear", antialias: bool | None = True) -> None:
        super().__init__(interpolation, antialias)
        self.target_size, self.scale_range = target_size, scale_range

    def make_params(self, flat_inputs: list) -> dict:
        h, w = _hw(flat_inputs[0])
        lo, hi = self.scale_range
        scale = np.float32(lo) + np.float32(backend.generator().random()) * np.float32(hi - lo)
        r = np.float32(min(self.target_size[1] / h, self.target_size[0] / w)) * scale
        return {"size": (int(np.float32(h) * r), int(np.float32(w) * r))}

    def __repr__(self) -> str:
        return (f"ScaleJitter(target_size={self.target_size}, scale_range={self.scale_range}, "
                f"interpolation={self._mode()}, antialias={self.antialias})")


class RandomZoomOut(Transform):
    """With probability p, the image placed at a random spot of a canvas ``side_range`` times larger (a float32
    uniform draw), filled with ``fill``."""

    def __init__(self, fill: Any = 0, side_range: Sequence[float] = (1.0, 4.0), p: float = 0.5) -> None:
        if not isinstance(side_range, Sequence) or len(side_range) != 2:
            raise TypeError("side_range should be a sequence of length 2.")
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")
        self.fill, self.side_range, self.p = fill, side_range, p

    def make_params(self, flat_inputs: list) -> dict:
        h, w = _hw(flat_inputs[0])
        gen = backend.generator()
        lo, hi = self.side_range
        r = np.float32(lo) + np.float32(gen.random()) * np.float32(hi - lo)
        canvas_w, canvas_h = int(np.float32(w) * r), int(np.float32(h) * r)
        rx, ry = gen.random(2).astype(np.float32)
        left, top = int(np.float32(canvas_w - w) * rx), int(np.float32(canvas_h - h) * ry)
        return {"padding": [left, top, canvas_w - (left + w), canvas_h - (top + h)]}

    def transform(self, inpt: Image, params: dict) -> Image:
        return pad(inpt, params["padding"], fill=self.fill)

    def forward(self, *inputs: Any) -> Any:
        if backend.generator().random() >= self.p:
            return inputs[0] if len(inputs) == 1 else inputs
        return super().forward(*inputs)

    def __repr__(self) -> str:
        return f"RandomZoomOut(p={self.p}, fill={self.fill}, side_range={self.side_range})"
