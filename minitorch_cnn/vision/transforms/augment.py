"""The random augmentations: ``RandomCrop``, ``RandomResizedCrop``, ``RandomHorizontalFlip``, ``RandomGrayscale``.

Each draws its decisions from the global generator (``mt.manual_seed``) in ``draw``, in the order item-by-item
calls draw them, and does the array work in ``apply``/``apply_batch`` (see the package docstring).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from . import functional as F
from .base import Dims, Image, ModuleTransform, _batch_dims, _batch_hax, _crop_corner, _pad_batch


class RandomCrop(ModuleTransform):
    """A random (h, w) window, after optional padding, as torchvision's ``RandomCrop``.

    padding: padded first (see ``Pad``); pad_if_needed: an image smaller than ``size`` is padded on both sides
    of the short dimension by the missing amount, as torchvision does. The window's corner is drawn uniformly.
    """

    random = True

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float | Sequence[float] = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = F.pair(size, "RandomCrop")
        self.ltrb = F._parse_padding(padding) if padding is not None else None
        if padding_mode not in F.PAD_MODES:
            raise ValueError(f"RandomCrop: padding_mode should be one of {F.PAD_MODES}, got {padding_mode!r}")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img: Image, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """(top, left, h, w) of a random window of ``img``; no draw when the window is the whole image."""
        _, h, w = F.get_dimensions(img)
        return (*_crop_corner(h, w, *output_size), *output_size)

    def _paddings(self, h: int, w: int) -> list[list[int]]:
        """The pads applied before cropping (left, top, right, bottom each), in torchvision's order."""
        pads = []
        if self.ltrb is not None:
            pads.append(self.ltrb)
            h, w = h + self.ltrb[1] + self.ltrb[3], w + self.ltrb[0] + self.ltrb[2]
        if self.pad_if_needed and w < self.size[1]:
            pads.append([self.size[1] - w, 0, self.size[1] - w, 0])
            w += 2 * (self.size[1] - w)
        if self.pad_if_needed and h < self.size[0]:
            pads.append([0, self.size[0] - h, 0, self.size[0] - h])
        return pads

    def draw(self, dims: Dims) -> tuple[int, int]:
        _, h, w = dims
        for left, top, right, bottom in self._paddings(h, w):
            h, w = h + top + bottom, w + left + right
        return _crop_corner(h, w, *self.size)

    def out_dims(self, dims: Dims) -> Dims:
        return (dims[0], *self.size)

    def apply_one(self, img: Image, params: tuple[int, int]) -> Image:
        _, h, w = F.get_dimensions(img)
        for ltrb in self._paddings(h, w):
            img = F.pad(img, ltrb, self.fill, self.padding_mode)
        return F.crop(img, *params, *self.size)

    def apply_batch(self, batch: Any, params: list[tuple[int, int]]) -> Any:
        _, h, w = _batch_dims(batch)
        for ltrb in self._paddings(h, w):
            batch = _pad_batch(batch, ltrb, self.fill, self.padding_mode)
        arr, hax = _batch_hax(batch)
        corners = np.asarray(params, dtype=np.int64).reshape(-1, 2)
        out = F.crop_batch(arr, hax, corners[:, 0], corners[:, 1], *self.size)
        return Tensor._wrap(out) if isinstance(batch, Tensor) else out

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomResizedCrop(ModuleTransform):
    """A random window of random area and aspect ratio, resized to ``size``, as torchvision's ``RandomResizedCrop``.

    The window (``get_params``): up to ten tries of an area fraction drawn uniformly from ``scale`` and an aspect
    ratio (w / h) drawn log-uniformly from ``ratio``, w and h rounded, kept if it fits, its corner then uniform;
    else the centred window of the image's aspect ratio clamped into ``ratio``. torchvision's algorithm, drawn
    from our generator. The resize is ``Resize``'s (bilinear, antialiased).
    """

    random = True

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: Any = "bilinear",
        antialias: bool | None = True,
    ) -> None:
        self.size = F.pair(size, "RandomResizedCrop")
        for name, pair in (("scale", scale), ("ratio", ratio)):
            if not isinstance(pair, Sequence) or len(pair) != 2:
                raise TypeError(f"RandomResizedCrop: {name} should be a sequence of two numbers, got {pair!r}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = getattr(interpolation, "value", interpolation)  # a torchvision InterpolationMode too
        if self.interpolation != "bilinear":
            raise ValueError(f"RandomResizedCrop: only interpolation='bilinear' is implemented, got {interpolation!r}")
        self.scale, self.ratio, self.antialias = tuple(scale), tuple(ratio), antialias

    @staticmethod
    def get_params(img: Image, scale: Sequence[float], ratio: Sequence[float]) -> tuple[int, int, int, int]:
        """(top, left, h, w) of a random window of ``img`` (see the class notes)."""
        _, height, width = F.get_dimensions(img)
        return _resized_crop_box(height, width, scale, ratio)

    def draw(self, dims: Dims) -> tuple[int, int, int, int]:
        return _resized_crop_box(dims[1], dims[2], self.scale, self.ratio)

    def out_dims(self, dims: Dims) -> Dims:
        return (dims[0], *self.size)

    def apply_one(self, img: Image, params: tuple[int, int, int, int]) -> Image:
        return F.resized_crop(img, *params, list(self.size), self.interpolation, self.antialias)

    def apply_batch(self, batch: Any, params: list[tuple[int, int, int, int]]) -> Any:
        # each image has its own window, so each is cropped and resized on its own, then stacked
        if isinstance(batch, Tensor):
            xp = backend.array_module(batch._data)
            return Tensor._wrap(xp.stack([self.apply_one(Tensor._wrap(x), p)._data
                                          for x, p in zip(batch._data, params)]))
        return np.stack([self.apply_one(x, p) for x, p in zip(batch, params)])

    def __repr__(self) -> str:
        return (f"RandomResizedCrop(size={self.size}, scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, interpolation={self.interpolation}, "
                f"antialias={self.antialias})")


def _resized_crop_box(height: int, width: int, scale: Sequence[float], ratio: Sequence[float]) -> tuple[int, ...]:
    gen = backend.generator()
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * gen.uniform(scale[0], scale[1])
        aspect = math.exp(gen.uniform(*log_ratio))
        w = round(math.sqrt(target_area * aspect))
        h = round(math.sqrt(target_area / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = int(gen.integers(0, height - h + 1))
            left = int(gen.integers(0, width - w + 1))
            return top, left, h, w
    in_ratio = width / height  # no fit in ten tries: the centred window, its aspect clamped into ratio
    if in_ratio < min(ratio):
        w, h = width, round(width / min(ratio))
    elif in_ratio > max(ratio):
        h, w = height, round(height * max(ratio))
    else:
        h, w = height, width
    return (height - h) // 2, (width - w) // 2, h, w


class _RandomFlip(ModuleTransform):
    """Mirror along one image axis with probability ``p``; ``axis`` counts from the height axis (0: top-bottom,
    1: left-right)."""

    random = True
    axis: int
    flip: Any  # the functional form on one image

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def draw(self, dims: Dims) -> bool:
        return bool(backend.generator().random() < self.p)

    def apply_one(self, img: Image, flip: bool) -> Image:
        return type(self).flip(img) if flip else img

    def apply_batch(self, batch: Any, flips: list[bool]) -> Any:
        mask = np.asarray(flips, dtype=bool)
        if not mask.any():
            return batch
        arr, hax = _batch_hax(batch)
        out = arr.copy()
        out[mask] = backend.array_module(arr).flip(arr[mask], hax + self.axis)
        return Tensor._wrap(out) if isinstance(batch, Tensor) else out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p``."""

    axis, flip = 1, staticmethod(F.hflip)


class RandomGrayscale(ModuleTransform):
    """With probability ``p``, replace the image by its ITU-R 601-2 luma, keeping the number of channels."""

    random = True

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def draw(self, dims: Dims) -> bool:
        return bool(backend.generator().random() < self.p)

    def apply_one(self, img: Image, gray: bool) -> Image:
        return F.rgb_to_grayscale(img, num_output_channels=F.get_dimensions(img)[0]) if gray else img

    def apply_batch(self, batch: Any, grays: list[bool]) -> Any:
        mask = np.asarray(grays, dtype=bool)
        channels = _batch_dims(batch)[0]
        if not mask.any() or channels == 1:
            return batch
        if channels != 3:
            raise ValueError(f"RandomGrayscale: the images should have 1 or 3 channels, got {channels}")
        arr, _ = _batch_hax(batch)
        tensor = isinstance(batch, Tensor)
        if not tensor and arr.dtype != np.uint8:
            raise TypeError(f"RandomGrayscale: an array batch must be uint8, got {arr.dtype}")
        out = arr.copy()
        out[mask] = F.grayscale_raw(arr[mask], channels_last=not tensor, num_output_channels=3)
        return Tensor._wrap(out) if tensor else out

    def __repr__(self) -> str:
        return f"RandomGrayscale(p={self.p})"


