"""``ImageList``: a batch of images of different sizes, padded into one (N, C, H, W) Tensor, with each image's
(height, width) before padding, as torchvision.models.detection.image_list."""

from __future__ import annotations

from typing import Any

from ....autograd import Tensor


class ImageList:
    """``tensors`` (N, C, H, W), the padded batch, and ``image_sizes``, the (h, w) of each image in it."""

    def __init__(self, tensors: Tensor, image_sizes: list[tuple[int, int]]) -> None:
        self.tensors = tensors
        self.image_sizes = image_sizes

    def to(self, device: Any) -> ImageList:
        return ImageList(self.tensors.to(device), self.image_sizes)
