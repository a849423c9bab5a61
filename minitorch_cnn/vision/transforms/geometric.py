"""v1's ``RandomVerticalFlip``, ``FiveCrop``, ``TenCrop``, ``RandomPerspective``, ``LinearTransformation`` and
``ElasticTransform``.

RandomPerspective: with probability p (one uniform draw, applied when < p), each corner moves inwards by a uniform
integer up to ``int(distortion_scale · half side)`` on each axis (``get_params``: eight ``randint`` draws in
torchvision's order: top-left x, y; top-right x, y; bottom-right x, y; bottom-left x, y), and the image is warped
so that the corners land there (``functional.perspective``). Draws come from the global generator.
LinearTransformation: flatten (..., C, H, W) to rows of C·H·W values, subtract ``mean_vector`` and multiply by
``transformation_matrix`` (ZCA whitening, say); written with Tensor ops, so it is differentiable.
ElasticTransform: see ``elastic_displacement`` (two ``rand`` fields drawn from the global generator, x first).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from ...ops.factories import rand
from . import functional as F
from .augment import _RandomFlip
from .base import Dims, Image, ModuleTransform
from .blur import gaussian_blur
from .warp import InterpolationMode, elastic_transform


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``."""

    axis, flip = 0, staticmethod(F.vflip)


def _setup_size(size: Any) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return size[0], size[1]


class FiveCrop(ModuleTransform):
    """The four corner crops and the central crop of ``size``, as a tuple of five images."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _setup_size(size)

    def apply_one(self, img: Image, params: None) -> tuple:
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class TenCrop(ModuleTransform):
    """``FiveCrop`` of the image and of its mirror image (left-right, or top-bottom with ``vertical_flip``)."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False) -> None:
        self.size = _setup_size(size)
        self.vertical_flip = vertical_flip

    def apply_one(self, img: Image, params: None) -> tuple:
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class RandomPerspective(ModuleTransform):
    """See the module notes; ``fill`` (0 when None) for the area outside the warped image."""

    random = True

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5, interpolation: Any = InterpolationMode.BILINEAR,
                 fill: Any = 0) -> None:
        self.p, self.interpolation, self.distortion_scale = p, interpolation, distortion_scale
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        self.fill = fill

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float) -> tuple[list[list[int]], list[list[int]]]:
        """(startpoints, endpoints): the image corners (top-left, top-right, bottom-right, bottom-left) and where
        they move to."""
        gen = backend.generator()
        dw, dh = int(distortion_scale * (width // 2)), int(distortion_scale * (height // 2))

        def randint(low: int, high: int) -> int:
            return int(gen.integers(low, high))

        topleft = [randint(0, dw + 1), randint(0, dh + 1)]
        topright = [randint(width - dw - 1, width), randint(0, dh + 1)]
        botright = [randint(width - dw - 1, width), randint(height - dh - 1, height)]
        botleft = [randint(0, dw + 1), randint(height - dh - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def draw(self, dims: Dims) -> tuple | None:
        if not backend.generator().random() < self.p:
            return None
        return self.get_params(dims[2], dims[1], self.distortion_scale)

    def fill_for(self, img: Image) -> Any:
        """The fill as the warp takes it: one float per channel for a Tensor, as given for the PIL stand-in."""
        if not isinstance(img, Tensor):
            return self.fill
        if isinstance(self.fill, (int, float)):
            return [float(self.fill)] * F.get_dimensions(img)[0]
        return [float(f) for f in self.fill]

    def apply_one(self, img: Image, points: tuple | None) -> Image:
        if points is None:
            return img
        return F.perspective(img, points[0], points[1], self.interpolation, self.fill_for(img))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class LinearTransformation(ModuleTransform):
    """(x.view(-1, C·H·W) - mean_vector) @ transformation_matrix, reshaped back."""

    def __init__(self, transformation_matrix: Tensor, mean_vector: Tensor) -> None:
        shape = tuple(transformation_matrix.shape)
        if shape[0] != shape[1]:
            raise ValueError(f"transformation_matrix should be square. Got {shape} rectangular matrix.")
        if mean_vector.shape[0] != shape[0]:
            raise ValueError(f"mean_vector should have the same length {mean_vector.shape[0]} as any one of the "
                             f"dimensions of the transformation_matrix [{shape}]")
        if transformation_matrix.device != mean_vector.device:
            raise ValueError(f"Input tensors should be on the same device. Got {transformation_matrix.device} and "
                             f"{mean_vector.device}")
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got {transformation_matrix.dtype} and "
                             f"{mean_vector.dtype}")
        self.transformation_matrix, self.mean_vector = transformation_matrix, mean_vector

    def forward(self, tensor: Tensor) -> Tensor:
        shape = tuple(tensor.shape)
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(f"Input tensor and transformation matrix have incompatible shape.[{shape[-3]} x "
                             f"{shape[-2]} x {shape[-1]}] != {self.transformation_matrix.shape[0]}")
        if tensor.device != self.mean_vector.device:
            raise ValueError(f"Input tensor should be on the same device as transformation matrix and mean vector. "
                             f"Got {tensor.device} vs {self.mean_vector.device}")
        flat = tensor.reshape(-1, n) - self.mean_vector
        return flat.matmul(self.transformation_matrix.to(flat.dtype)).reshape(shape)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(transformation_matrix={self.transformation_matrix.tolist()}, "
                f"mean_vector={self.mean_vector.tolist()})")


def elastic_displacement(alpha: Sequence[float], sigma: Sequence[float], size: Sequence[int],
                         v1: bool = True) -> Tensor:
    """A random (1, H, W, 2) displacement: for x then y, a uniform field in [-1, 1) (``rand`` · 2 - 1, float32),
    blurred by a Gaussian of σ = sigma (kernel int(8σ + 1), made odd; v1's or v2's kernel formula) when σ > 0,
    times alpha over the width (x) or the height (y)."""
    h, w = size
    fields = []
    for k in range(2):
        d = rand(1, 1, h, w, dtype=np.float32)._data * np.float32(2) - np.float32(1)
        if sigma[k] > 0.0:
            ks = int(8 * sigma[k] + 1)
            ks += 1 - ks % 2
            d = gaussian_blur(Tensor._wrap(d), [ks, ks], list(sigma), v1=v1)._data
        fields.append(d * np.float32(alpha[k]) / np.float32(w if k == 0 else h))
    return Tensor._wrap(np.ascontiguousarray(np.concatenate(fields, axis=1).transpose(0, 2, 3, 1)))


def _floats(value: Any, name: str) -> Sequence[float]:
    """v1's ``alpha``/``sigma``: a float (made [v, v]) or a sequence of two floats, kept as given (ints refused,
    as in torchvision)."""
    if not isinstance(value, (float, Sequence)):
        raise TypeError(f"{name} should be float or a sequence of floats. Got {type(value)}")
    if isinstance(value, Sequence):
        if len(value) != 2:
            raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(value)}")
        bad = [v for v in value if not isinstance(v, float)]
        if bad:
            raise TypeError(f"{name} should be a sequence of floats. Got {type(bad[0])}")
        return value
    return [float(value), float(value)]


class ElasticTransform(ModuleTransform):
    """Each call, a random displacement (``get_params``, see ``elastic_displacement``) applied by
    ``functional.elastic_transform``; ``fill`` (a list of floats) for what comes from outside the image."""

    random = True

    def __init__(self, alpha: Any = 50.0, sigma: Any = 5.0, interpolation: Any = InterpolationMode.BILINEAR,
                 fill: Any = 0) -> None:
        self.alpha, self.sigma, self.interpolation = _floats(alpha, "alpha"), _floats(sigma, "sigma"), interpolation
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill should be int or float or a list or tuple of them. Got {type(fill)}")
        self.fill = fill

    @staticmethod
    def get_params(alpha: Sequence[float], sigma: Sequence[float], size: Sequence[int]) -> Tensor:
        return elastic_displacement(alpha, sigma, size)

    def draw(self, dims: Dims) -> Tensor:
        return self.get_params(self.alpha, self.sigma, [dims[1], dims[2]])

    def apply_one(self, img: Image, displacement: Tensor) -> Image:
        return elastic_transform(img, displacement, self.interpolation, self.fill)

    def __repr__(self) -> str:
        mode = InterpolationMode(getattr(self.interpolation, "value", self.interpolation))
        return (f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, interpolation={mode}, "
                f"fill={self.fill})")
