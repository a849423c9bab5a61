"""Image transforms with torchvision's (v1) names, arguments and results.

Each transform takes an ``(H, W[, C])`` uint8 NumPy array (the stand-in for a PIL image, what the datasets
return) or a ``(..., C, H, W)`` Tensor, as torchvision's take a PIL image or a tensor; ``ToTensor`` turns the
first into the second. Random transforms draw from the global generator (``mt.manual_seed``) at call time.

PIL images are read as their array; the warps (``RandomRotation``, ``RandomAffine``, ``RandomPerspective``) and the
colour transforms adjust arrays with Pillow, as torchvision adjusts PIL images. Where the module is: ``functional``
(and ``colour``, ``warp``, ``blur``, ``resize`` for its kernels), ``photometric`` (Grayscale and the p-gated colour
transforms), ``geometric`` (vertical flip, five/ten crops, perspective, linear and elastic transforms),
``containers`` (RandomApply, RandomChoice, RandomOrder), ``augmix``, ``autoaugment``. ``v2`` holds torchvision's v2
transforms.

Modules: the transforms torchvision makes ``nn.Module``s (v1's all but Compose, Lambda, ToTensor, PILToTensor,
ToPILImage, RandomChoice, RandomOrder; every v2 transform) derive from ``base.ModuleTransform``: ``forward`` is the
transform, so they go in an ``nn.Sequential`` beside layers, with empty state_dicts, hooks, ``eval``/``to``.
On a Tensor that needs its gradient, Normalize, GaussianBlur, LinearTransformation, the crops, pads and flips
record the graph as torch's do
(``tracked.py``).

Batches: ToTensor, Normalize, Resize, Pad, CenterCrop and the random crops, flips and grayscale also work on N
separate images at once through
``transform.batch(images)`` (images an ``(N, H, W[, C])`` array or an ``(N, C, H, W)`` Tensor), which the
datasets use to build a DataLoader batch in one vectorised step. A transform splits into ``draw`` (its random
decisions for one image of given dims, made from the generator in the same order as item-by-item calls make
them) and ``apply_one``/``apply_batch`` (pure array work), so ``batch`` gives exactly what transforming the images
one by one gives. ``Compose.batch`` is None when a part (a ``Lambda``, a user function, the colour, blur, erasing,
rotation and affine transforms, the PIL conversions) cannot do this: such a pipeline runs image by image.
"""

from . import functional, v2
from .affine import RandomAffine, RandomRotation
from .augment import RandomCrop, RandomGrayscale, RandomHorizontalFlip, RandomResizedCrop
from .augmix import AugMix
from .autoaugment import AutoAugment, RandAugment, TrivialAugmentWide
from .base import (
    CenterCrop,
    Compose,
    ConvertImageDtype,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    Resize,
    ToPILImage,
    ToTensor,
    Transform,
)
from .containers import RandomApply, RandomChoice, RandomOrder
from .geometric import (
    ElasticTransform,
    FiveCrop,
    LinearTransformation,
    RandomPerspective,
    RandomVerticalFlip,
    TenCrop,
)
from .photometric import (
    Grayscale,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomEqualize,
    RandomInvert,
    RandomPosterize,
    RandomSolarize,
)
from .v2._auto_augment import AutoAugmentPolicy
from .v2._blur import GaussianBlurV1 as GaussianBlur
from .v2._color import ColorJitterV1 as ColorJitter
from .v2._erasing import RandomErasingV1 as RandomErasing
from .warp import InterpolationMode

__all__ = [
    "AutoAugment", "AutoAugmentPolicy", "RandAugment", "TrivialAugmentWide", "CenterCrop", "ColorJitter", "Compose",
    "ConvertImageDtype", "GaussianBlur", "InterpolationMode", "Lambda", "Normalize", "Pad", "PILToTensor",
    "RandomAffine", "RandomCrop", "RandomErasing", "RandomGrayscale", "RandomHorizontalFlip", "RandomResizedCrop",
    "RandomRotation", "Resize", "ToPILImage", "ToTensor", "Transform", "functional", "v2",
    "ElasticTransform", "FiveCrop", "Grayscale", "LinearTransformation", "RandomAdjustSharpness", "RandomApply",
    "RandomAutocontrast", "RandomChoice", "RandomEqualize", "RandomInvert", "RandomOrder", "RandomPerspective",
    "RandomPosterize", "RandomSolarize", "RandomVerticalFlip", "TenCrop", "AugMix",
]
