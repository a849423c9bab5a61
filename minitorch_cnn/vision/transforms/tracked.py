"""Crop, flip and pad of a Tensor image whose gradient is wanted, through differentiable ops, as torchvision's
tensor kernels are (slicing, ``torch.flip``, ``torch.nn.functional.pad`` and an index gather).

The array kernels in ``functional.py`` stay the path for everything else (PIL stand-ins, batches, tensors with no
gradient): they copy into fresh arrays without recording a graph. Gradients: a crop's and a constant pad's
gradient is the upstream gradient cut back to the source window; a flip's is flipped back; the edge, reflect and
symmetric pads gather source pixels by an index map, so their gradient scatter-adds onto the pixels they copied.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...autograd import Tensor
from ...autograd.grad_mode import is_grad_enabled
from ...ops.flip import flip as _flip
from ...ops.padding import pad as _pad


def tracked(img: object) -> bool:
    """Whether ``img`` is a Tensor whose graph must be recorded."""
    return isinstance(img, Tensor) and img.requires_grad and is_grad_enabled()


def check_reflect(shape: tuple, ltrb: tuple) -> None:
    """torch's reflection-pad check, width first, on the shape torchvision hands it (one leading dim added below
    4-D): each padding must be smaller than its dimension."""
    shape = list(shape) if len(shape) >= 4 else [1, *shape]
    left, top, right, bottom = ltrb
    for arg, dim, pads in ((4, len(shape) - 1, (left, right)), (6, len(shape) - 2, (top, bottom))):
        if max(pads) >= shape[dim]:
            raise RuntimeError(f"Argument #{arg}: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding {pads} at dimension {dim} of input {shape}")


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """img: (..., C, H, W), the window already inside the image -> (..., C, height, width)."""
    return img[..., top : top + height, left : left + width]


def flip(img: Tensor, axis: int) -> Tensor:
    """Mirror along the last (axis -1: left-right) or second-last (axis -2: top-bottom) axis."""
    return _flip(img, [axis])


def pad(img: Tensor, ltrb: Sequence[int], fill: float, padding_mode: str) -> Tensor:
    """img: (..., C, H, W) -> (..., C, H + top + bottom, W + left + right); a negative amount crops that side."""
    left, top, right, bottom = ltrb
    h, w = img.shape[-2:]
    img = crop(img, max(-top, 0), max(-left, 0), h - max(-top, 0) - max(-bottom, 0), w - max(-left, 0) - max(-right, 0))
    left, top, right, bottom = max(left, 0), max(top, 0), max(right, 0), max(bottom, 0)
    if padding_mode == "reflect":
        check_reflect(img.shape, (left, top, right, bottom))
    if padding_mode == "constant":
        return _pad(img, (left, right, top, bottom), value=fill)
    rows = np.pad(np.arange(img.shape[-2]), (top, bottom), mode=padding_mode)
    cols = np.pad(np.arange(img.shape[-1]), (left, right), mode=padding_mode)
    return img[..., rows[:, None], cols]
