"""v1's colour transforms that wrap one function of ``colour.py``: ``Grayscale`` always; ``RandomInvert``,
``RandomPosterize``, ``RandomSolarize``, ``RandomAdjustSharpness``, ``RandomAutocontrast``, ``RandomEqualize``
with probability ``p`` (one uniform draw from the global generator per call, applied when it is < p, as
torchvision's ``torch.rand(1) < p``). Images: (..., C, H, W) Tensors, or PIL images and their array stand-ins."""

from __future__ import annotations

from ... import backend
from . import colour
from . import functional as F
from .base import Dims, Image, ModuleTransform


class Grayscale(ModuleTransform):
    """The ITU-R 601-2 luma of the image, with ``num_output_channels`` (1 or 3) channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def out_dims(self, dims: Dims) -> Dims:
        return (self.num_output_channels, dims[1], dims[2])

    def apply_one(self, img: Image, params: None) -> Image:
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomColourOp(ModuleTransform):
    """Base of the p-gated colour transforms: ``op`` on the image with probability ``p``."""

    random = True
    args: tuple[str, ...] = ()  # the attributes passed to ``op`` after the image, shown in the repr before p

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def draw(self, dims: Dims) -> bool:
        return bool(backend.generator().random() < self.p)

    def op(self, img: Image) -> Image:
        raise NotImplementedError

    def apply_one(self, img: Image, hit: bool) -> Image:
        return self.op(img) if hit else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ",".join([f"{a}={getattr(self, a)}" for a in self.args] + [f"p={self.p}"]) \
            + ")"


class RandomInvert(RandomColourOp):
    """``invert`` with probability p."""

    def op(self, img: Image) -> Image:
        return colour.invert(img)


class RandomPosterize(RandomColourOp):
    """``posterize(img, bits)`` with probability p."""

    args = ("bits",)

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = bits

    def op(self, img: Image) -> Image:
        return colour.posterize(img, self.bits)


class RandomSolarize(RandomColourOp):
    """``solarize(img, threshold)`` with probability p."""

    args = ("threshold",)

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = threshold

    def op(self, img: Image) -> Image:
        return colour.solarize(img, self.threshold)


class RandomAdjustSharpness(RandomColourOp):
    """``adjust_sharpness(img, sharpness_factor)`` with probability p."""

    args = ("sharpness_factor",)

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def op(self, img: Image) -> Image:
        return colour.adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(RandomColourOp):
    """``autocontrast`` with probability p."""

    def op(self, img: Image) -> Image:
        return colour.autocontrast(img)


class RandomEqualize(RandomColourOp):
    """``equalize`` with probability p."""

    def op(self, img: Image) -> Image:
        return colour.equalize(img)

