"""``GeneralizedRCNNTransform``: what an R-CNN does to its inputs and outputs, as
torchvision.models.detection.transform.

    normalize:  (image - mean[:, None, None]) / std[:, None, None]
    resize:     scale = min(min_size / min(h, w), max_size / max(h, w)); bilinear (align_corners=False) to
                ⌊h·scale⌋ × ⌊w·scale⌋ (the scale then recomputed from the sizes, as ``recompute_scale_factor``),
                target boxes multiplied by new/old size per axis (ratios in float32), masks resized nearest
    batch:      zero-pad every image to the largest height and width, rounded up to ``size_divisible``
    postprocess (eval): boxes scaled back to the original sizes, masks pasted into the original image frame
"""

from __future__ import annotations

import math
from typing import Any

from .... import nn
from ....autograd import Tensor
from ....ops.factories import as_tensor, empty, tensor
from ....ops.interpolate import interpolate
from ....ops.padding import pad
from ....ops.shape import stack
from .image_list import ImageList
from .mask_ops import paste_masks_in_image


def _resize_image_and_masks(image: Tensor, self_min_size: int, self_max_size: int, target: dict | None = None,
                            fixed_size: tuple[int, int] | None = None) -> tuple[Tensor, dict | None]:
    size = scale_factor = recompute_scale_factor = None
    if fixed_size is not None:
        size = [fixed_size[1], fixed_size[0]]
    else:
        im_shape = image.shape[-2:]
        scale_factor = min(self_min_size / min(im_shape), self_max_size / max(im_shape))
        recompute_scale_factor = True
    image = interpolate(image[None], size=size, scale_factor=scale_factor, mode="bilinear",
                        recompute_scale_factor=recompute_scale_factor, align_corners=False)[0]
    if target is not None and "masks" in target:
        mask = interpolate(target["masks"][:, None].float(), size=size, scale_factor=scale_factor,
                           recompute_scale_factor=recompute_scale_factor)[:, 0].byte()
        target["masks"] = mask
    return image, target


def resize_boxes(boxes: Tensor, original_size: Any, new_size: Any) -> Tensor:
    """xyxy boxes (N, 4) scaled by new/original size per axis (the ratios computed in float32, as torchvision)."""
    ratio_height, ratio_width = (tensor(s, dtype="float32", device=boxes.device)
                                 / tensor(s_orig, dtype="float32", device=boxes.device)
                                 for s, s_orig in zip(new_size, original_size, strict=False))
    xmin, ymin, xmax, ymax = boxes.unbind(1)
    return stack((xmin * ratio_width, ymin * ratio_height, xmax * ratio_width, ymax * ratio_height), dim=1)


class GeneralizedRCNNTransform(nn.Module):
    """Images (list of (C, H, W) floats in [0, 1]) and targets -> (``ImageList``, targets resized alike); see the
    module notes. In training ``min_size`` may be a tuple: one of its values is drawn per image."""

    def __init__(self, min_size: int | tuple[int, ...], max_size: int, image_mean: list[float],
                 image_std: list[float], size_divisible: int = 32, fixed_size: tuple[int, int] | None = None,
                 **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(min_size, (list, tuple)):
            min_size = (min_size,)
        self.min_size = min_size
        self.max_size = max_size
        self.image_mean = image_mean
        self.image_std = image_std
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = kwargs.pop("_skip_resize", False)

    def forward(self, images: list[Tensor], targets: list[dict[str, Tensor]] | None = None
                ) -> tuple[ImageList, list[dict[str, Tensor]] | None]:
        images = list(images)
        if targets is not None:
            targets = [dict(t) for t in targets]
        for i, image in enumerate(images):
            target_index = targets[i] if targets is not None else None
            if image.dim() != 3:
                raise ValueError(f"images is expected to be a list of 3d tensors of shape [C, H, W], got "
                                 f"{tuple(image.shape)}")
            image = self.normalize(image)
            image, target_index = self.resize(image, target_index)
            images[i] = image
            if targets is not None and target_index is not None:
                targets[i] = target_index
        image_sizes = [tuple(img.shape[-2:]) for img in images]
        return ImageList(self.batch_images(images, size_divisible=self.size_divisible), image_sizes), targets

    def normalize(self, image: Tensor) -> Tensor:
        if not image.is_floating_point():
            raise TypeError(f"Expected input images to be of floating type (in range [0, 1]), but found type "
                            f"{image.dtype} instead")
        mean = as_tensor(self.image_mean, dtype=image.dtype, device=image.device)
        std = as_tensor(self.image_std, dtype=image.dtype, device=image.device)
        return (image - mean[:, None, None]) / std[:, None, None]

    def torch_choice(self, k: list[int]) -> int:
        """One of ``k`` drawn with the framework's RNG (one uniform draw, as torchvision)."""
        return k[int(empty(1).uniform_(0.0, float(len(k))).item())]

    def resize(self, image: Tensor, target: dict[str, Tensor] | None = None
               ) -> tuple[Tensor, dict[str, Tensor] | None]:
        h, w = image.shape[-2:]
        if self.training:
            if self._skip_resize:
                return image, target
            size = self.torch_choice(self.min_size)
        else:
            size = self.min_size[-1]
        image, target = _resize_image_and_masks(image, size, self.max_size, target, self.fixed_size)
        if target is None:
            return image, target
        target["boxes"] = resize_boxes(target["boxes"], (h, w), image.shape[-2:])
        return image, target

    def max_by_axis(self, the_list: list[list[int]]) -> list[int]:
        maxes = list(the_list[0])
        for sublist in the_list[1:]:
            for index, item in enumerate(sublist):
                maxes[index] = max(maxes[index], item)
        return maxes

    def batch_images(self, images: list[Tensor], size_divisible: int = 32) -> Tensor:
        """(C, h_i, w_i) images -> (N, C, H, W), zero-padded at the bottom and right."""
        max_size = self.max_by_axis([list(img.shape) for img in images])
        stride = float(size_divisible)
        max_size[1] = int(math.ceil(float(max_size[1]) / stride) * stride)
        max_size[2] = int(math.ceil(float(max_size[2]) / stride) * stride)
        return stack([pad(img, (0, max_size[2] - img.shape[2], 0, max_size[1] - img.shape[1],
                                0, max_size[0] - img.shape[0])) for img in images])

    def postprocess(self, result: list[dict[str, Tensor]], image_shapes: list[tuple[int, int]],
                    original_image_sizes: list[tuple[int, int]]) -> list[dict[str, Tensor]]:
        if self.training:
            return result
        for i, (pred, im_s, o_im_s) in enumerate(zip(result, image_shapes, original_image_sizes, strict=False)):
            boxes = resize_boxes(pred["boxes"], im_s, o_im_s)
            result[i]["boxes"] = boxes
            if "masks" in pred:
                result[i]["masks"] = paste_masks_in_image(pred["masks"], boxes, o_im_s)
        return result

    def __repr__(self) -> str:
        indent = "\n    "
        return (f"{type(self).__name__}({indent}Normalize(mean={self.image_mean}, std={self.image_std}){indent}"
                f"Resize(min_size={self.min_size}, max_size={self.max_size}, mode='bilinear')\n)")
