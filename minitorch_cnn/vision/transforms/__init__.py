"""Image transforms with torchvision's (v1) names, arguments and results.

Each transform takes an ``(H, W[, C])`` uint8 NumPy array (the stand-in for a PIL image, what the datasets
return) or a ``(..., C, H, W)`` Tensor, as torchvision's take a PIL image or a tensor; ``ToTensor`` turns the
first into the second. Random transforms draw from the global generator (``mt.manual_seed``) at call time.

Batches: every transform here except ``Lambda`` also works on N separate images at once through
``transform.batch(images)`` (images an ``(N, H, W[, C])`` array or an ``(N, C, H, W)`` Tensor), which the
datasets use to build a DataLoader batch in one vectorised step. A transform splits into ``draw`` (its random
decisions for one image of given dims, made from the generator in the same order as item-by-item calls make
them) and ``apply``/``apply_batch`` (pure array work), so ``batch`` gives exactly what transforming the images
one by one gives. ``Compose.batch`` is None when a part (a ``Lambda``, a user function) cannot do this.
"""

from . import functional
from .augment import RandomCrop, RandomGrayscale, RandomHorizontalFlip, RandomResizedCrop
from .base import CenterCrop, Compose, Lambda, Normalize, Pad, Resize, ToPILImage, ToTensor, Transform

__all__ = [
    "CenterCrop", "Compose", "Lambda", "Normalize", "Pad", "RandomCrop", "RandomGrayscale", "RandomHorizontalFlip",
    "RandomResizedCrop", "Resize", "ToPILImage", "ToTensor", "Transform", "functional",
]
