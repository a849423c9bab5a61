"""``mt.vision.transforms.v2``: torchvision's v2 transforms on plain Tensors (there are no tv_tensors here).

Every transform takes v2's samples: one image, or an image with labels and other data in tuples, lists or dicts;
the image (the first Tensor, array or PIL image) is transformed and the rest passed through (``_sample.py``).
Images are (..., C, H, W) Tensors after ``ToImage``; the v1 transforms' array stand-in for PIL images is taken too.
Random draws come from the global generator (``mt.manual_seed``), not torch's stream: the same parameters give
torchvision's pixels (``make_params``/``transform`` where torchvision exposes them), not the same draws.
"""

from .. import affine as _affine
from .. import augment as _augment
from .. import base as _base
from .. import warp as _warp
from ..pil import from_pil
from ..warp import InterpolationMode
from . import functional
from ._augmix import AugMix
from ._auto_augment import (
    AutoAugment,
    AutoAugmentPolicy,
    RandAugment,
    TrivialAugmentWide,
    adjust_sharpness,
    autocontrast,
    equalize,
    invert,
    posterize,
    solarize,
)
from ._blur import GaussianBlur, gaussian_blur
from ._color import ColorJitter, adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation
from ._container import Compose, RandomApply, RandomChoice, RandomOrder
from ._erasing import RandomErasing, erase
from ._geometric import (
    ElasticTransform,
    FiveCrop,
    LinearTransformation,
    RandomPerspective,
    RandomResize,
    RandomShortestSize,
    RandomVerticalFlip,
    RandomZoomOut,
    ScaleJitter,
    TenCrop,
)
from ._misc import ConvertImageDtype, Identity, ToDtype, ToImage, ToPureTensor, ToTensor, to_image
from ._mix import CutMix, MixUp
from ._photometric import (
    RGB,
    GaussianNoise,
    Grayscale,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomChannelPermutation,
    RandomEqualize,
    RandomInvert,
    RandomPhotometricDistort,
    RandomPosterize,
    RandomSolarize,
    rgb_to_grayscale,
)
from ._sample import (
    SampleTransform,
    Transform,
    check_type,
    has_all,
    has_any,
    query_chw,
    query_size,
)
from ._temporal import UniformTemporalSubsample


class Normalize(SampleTransform, _base.Normalize):
    """(x - mean[c]) / std[c] of a float image (v1's ``Normalize``, taking v2 samples)."""

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", inplace={self.inplace})"


class _Resize(_base.Resize):
    def forward(self, img: object) -> object:
        return functional.resize(from_pil(img), self.size, self.interpolation, self.max_size, self.antialias)


class Resize(SampleTransform, _Resize):
    """v1's ``Resize`` with v2's resize (uint8 tensors by torch's native uint8 kernel), taking v2 samples."""

    def __repr__(self) -> str:  # v2 shows the size as a list and max_size only when set
        size = [self.size] if isinstance(self.size, int) else list(self.size)
        max_size = f", max_size={self.max_size}" if self.max_size is not None else ""
        return f"Resize(size={size}, interpolation={self.interpolation}{max_size}, antialias={self.antialias})"


class CenterCrop(SampleTransform, _base.CenterCrop):
    """v1's ``CenterCrop``, taking v2 samples."""


class Pad(SampleTransform, _base.Pad):
    """v1's ``Pad``, taking v2 samples."""


class Lambda(SampleTransform, _base.Lambda):
    """v1's ``Lambda``, taking v2 samples (applied to the image)."""


class PILToTensor(SampleTransform, _base.PILToTensor):
    """v1's ``PILToTensor``, taking v2 samples."""


class ToPILImage(SampleTransform, _base.ToPILImage):
    """v1's ``ToPILImage``, taking v2 samples."""


class RandomCrop(SampleTransform, _augment.RandomCrop):
    """v1's ``RandomCrop``, taking v2 samples."""

    def __repr__(self) -> str:  # v2's: padding in torch's pad order (left, right, top, bottom), a plain fill only
        parts = [f"size={self.size}"]
        if self.ltrb is not None:
            left, top, right, bottom = self.ltrb
            parts.append(f"padding={[left, right, top, bottom]}")
        parts.append(f"pad_if_needed={self.pad_if_needed}")
        if isinstance(self.fill, (int, float, str, tuple, list)):
            parts.append(f"fill={self.fill}")
        return f"RandomCrop({', '.join(parts)}, padding_mode={self.padding_mode})"


class RandomResizedCrop(SampleTransform, _augment.RandomResizedCrop):
    """v1's ``RandomResizedCrop`` (antialiased bilinear) with v2's resize, taking v2 samples."""

    def apply_one(self, img: object, params: tuple[int, int, int, int]) -> object:
        return functional.resized_crop(img, *params, list(self.size), self.interpolation, self.antialias)

    def __repr__(self) -> str:  # v2 prints scale and ratio unrounded
        return (f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio}, "
                f"interpolation={self.interpolation}, antialias={self.antialias})")


class RandomHorizontalFlip(SampleTransform, _augment.RandomHorizontalFlip):
    """v1's ``RandomHorizontalFlip``, taking v2 samples."""


class RandomRotation(SampleTransform, _affine.RandomRotation):
    """v1's ``RandomRotation`` with v2's exact multiples of 90 degrees, taking v2 samples."""

    def apply_one(self, img: object, angle: float) -> object:
        return _warp.rotate_v2(img, angle, self.interpolation, self.expand, self.center, self.fill)


class RandomAffine(SampleTransform, _affine.RandomAffine):
    """v1's ``RandomAffine`` with v2's fill blend, taking v2 samples."""

    def apply_one(self, img: object, params: dict) -> object:
        return _warp.affine_v2(img, params["angle"], list(params["translate"]), params["scale"],
                               list(params["shear"]), self.interpolation, self.fill, self.center)

    def __repr__(self) -> str:  # v2 leaves out what is not set; a mode given as an enum shows as one
        parts = [f"degrees={self.degrees}"] + [f"{n}={getattr(self, n)}" for n in ("translate", "scale", "shear")
                                                if getattr(self, n) is not None]
        mode = self.interpolation
        parts.append(f"interpolation={'nearest' if mode is InterpolationMode.NEAREST else mode}")
        parts += [f"fill={self.fill}"] if isinstance(self.fill, (int, float, tuple, list)) else []
        parts += [f"center={self.center}"] if self.center is not None else []
        return f"RandomAffine({', '.join(parts)})"


rotate = _warp.rotate_v2
affine = _warp.affine_v2
perspective = _warp.perspective_v2


class RandomGrayscale(SampleTransform, _augment.RandomGrayscale):
    """v1's ``RandomGrayscale``, taking v2 samples."""


__all__ = [
    "AutoAugment", "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide", "adjust_sharpness", "autocontrast",
    "equalize", "invert", "posterize", "solarize", "CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype",
    "CutMix", "GaussianBlur", "InterpolationMode", "Lambda", "MixUp", "Normalize", "Pad", "PILToTensor",
    "RandomAffine", "RandomApply", "RandomChoice", "RandomCrop", "RandomErasing", "RandomGrayscale",
    "RandomHorizontalFlip", "RandomOrder", "RandomResizedCrop", "RandomRotation", "Resize", "ToDtype", "ToImage",
    "ToPILImage", "ToPureTensor", "adjust_brightness", "adjust_contrast", "adjust_hue", "adjust_saturation", "affine",
    "erase", "gaussian_blur", "rotate", "to_image",
    "ElasticTransform", "FiveCrop", "Grayscale",
    "LinearTransformation", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize",
    "RandomInvert", "RandomPerspective", "RandomPosterize", "RandomSolarize", "RandomVerticalFlip", "TenCrop",
    "perspective", "rgb_to_grayscale", "AugMix", "functional", "GaussianNoise", "Identity", "RGB",
    "RandomChannelPermutation", "RandomPhotometricDistort", "RandomResize", "RandomShortestSize", "RandomZoomOut",
    "ScaleJitter", "ToTensor", "Transform", "query_chw", "query_size", "UniformTemporalSubsample",
    "check_type", "has_all", "has_any",
]
