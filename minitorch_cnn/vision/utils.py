"""torchvision.utils' ``make_grid`` and ``save_image``: a batch of images tiled into one picture; the drawing
functions (``draw_bounding_boxes``, ``draw_segmentation_masks``, ``draw_keypoints``, ``flow_to_image``) live in
``vision.draw``.

Both work on the raw arrays (no autograd: a grid is for looking at), in the input's dtype, with torchvision's
arithmetic step for step so the pixels agree.
"""

from __future__ import annotations

import math
import os
from typing import IO, Any

from .. import backend
from ..autograd import Tensor
from ..ops.factories import as_tensor
from .draw import draw_bounding_boxes, draw_keypoints, draw_segmentation_masks, flow_to_image

__all__ = ["draw_bounding_boxes", "draw_keypoints", "draw_segmentation_masks", "flow_to_image", "make_grid",
           "save_image"]


def _normalize(arr: Any, value_range: tuple[float, float] | None) -> Any:
    """Clamp to ``value_range`` (default: the array's own min and max) and map it onto [0, 1]."""
    low, high = value_range if value_range is not None else (float(arr.min()), float(arr.max()))
    xp = backend.array_module(arr)
    out = xp.clip(arr, low, high)
    return (out - low) / max(high - low, 1e-5)


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile images (B, C, H, W) (or a list of (C, H, W), or one (C, H, W) / (H, W) image) into (C', H', W').

    ``nrow`` images per row, ``padding`` pixels of ``pad_value`` around each; one-channel images become three.
    ``normalize`` maps ``value_range`` (default min..max of the batch, or of each image with ``scale_each``) to
    [0, 1]. A single image comes back as it is (after the channel and normalize steps), as in torchvision.
    """
    if isinstance(tensor, (list, tuple)):
        if not tensor or not all(isinstance(t, Tensor) for t in tensor):
            raise TypeError("make_grid: expected a Tensor or a non-empty list of Tensors")
        xp = backend.array_module(tensor[0]._data)
        arr = xp.stack([t._data for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor._data
        xp = backend.array_module(arr)
    else:
        raise TypeError(f"make_grid: tensor should be a Tensor or a list of Tensors, got {type(tensor).__name__}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = xp.concatenate([arr, arr, arr], 0)
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), (C, H, W) or (H, W), got shape {arr.shape}")
    if arr.shape[1] == 1:
        arr = xp.concatenate([arr, arr, arr], 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if scale_each:
            arr = xp.stack([_normalize(img, value_range) for img in arr])
        else:
            arr = _normalize(arr, value_range)
    if arr.shape[0] == 1:
        return as_tensor(arr[0].copy())
    nmaps, channels, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = h + padding, w + padding
    grid = xp.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = arr[k]
    return as_tensor(grid)


def save_image(tensor: Tensor | list[Tensor], fp: str | os.PathLike | IO[bytes], format: str | None = None,
               **kwargs: Any) -> None:  # noqa: A002 - torchvision's name
    """``make_grid(tensor, **kwargs)`` scaled from [0, 1] to 0..255 and written as an image file (Pillow)."""
    from .io import _pil

    grid = make_grid(tensor, **kwargs)._data
    xp = backend.array_module(grid)
    pixels = xp.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype("uint8")  # + 0.5 then truncate: rounds
    _pil().Image.fromarray(backend.move_to(pixels, "cpu")).save(fp, format=format)
