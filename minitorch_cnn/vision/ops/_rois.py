"""The region list both RoI poolings take: a Tensor (K, 5) of (batch index, x1, y1, x2, y2), or a list of one
(L, 4) xyxy Tensor per image, checked and flattened as torchvision.ops._utils does."""

from __future__ import annotations

from typing import Any

from ... import backend
from ...autograd import Tensor


def rois_array(boxes: Tensor | list[Tensor] | tuple[Tensor, ...]) -> Any:
    """(K, 5) array of (batch index, x1, y1, x2, y2) from either form; AssertionError for a wrong shape."""
    if isinstance(boxes, (list, tuple)):
        for t in boxes:
            if t.ndim != 2 or t.shape[1] != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]")
        if not boxes:
            raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")
        xp = backend.array_module(boxes[0]._data)
        data = xp.concatenate([t._data for t in boxes], axis=0)
        ids = xp.concatenate([xp.full((t.shape[0], 1), i, dtype=data.dtype) for i, t in enumerate(boxes)], axis=0)
        return xp.concatenate([ids, data], axis=1)
    if isinstance(boxes, Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
        return boxes._data
    raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def pair(output_size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(output_size, int):
        return output_size, output_size
    return int(output_size[0]), int(output_size[1])
