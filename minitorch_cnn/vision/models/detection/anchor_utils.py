"""Anchors for the Region Proposal Network, as torchvision.models.detection.anchor_utils.AnchorGenerator.

For each feature map i, the cell anchors are zero-centred boxes, one per (aspect ratio r, size s) (r = h / w):

    h_r = √r,  w_r = 1 / h_r,  w = w_r s,  h = h_r s,  cell = round((-w, -h, w, h) / 2)

and the anchors of an image are every cell anchor shifted to every grid point (x·stride_w, y·stride_h) of the map,
ordered (y, x, anchor), the strides being image size // map size; the maps are concatenated in order.
"""

from __future__ import annotations

from typing import Any

from .... import nn
from ....autograd import Tensor
from ....ops.factories import arange, as_tensor, full
from ....ops.shape import cat, meshgrid, stack
from .image_list import ImageList


class AnchorGenerator(nn.Module):
    """Anchors (per image, (ΣA, 4) xyxy) over feature maps, ``sizes[i]`` × ``aspect_ratios[i]`` per location of
    map i. ``sizes`` and ``aspect_ratios`` are tuples of tuples, one per feature map."""

    def __init__(self, sizes: Any = ((128, 256, 512),), aspect_ratios: Any = ((0.5, 1.0, 2.0),)) -> None:
        super().__init__()
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [self.generate_anchors(size, ratio) for size, ratio in zip(sizes, aspect_ratios,
                                                                                         strict=False)]

    def generate_anchors(self, scales: list[int], aspect_ratios: list[float], dtype: Any = "float32",
                         device: Any = "cpu") -> Tensor:
        """Zero-centred xyxy cell anchors (len(aspect_ratios)·len(scales), 4), ratio-major."""
        scales_t = as_tensor(scales, dtype=dtype, device=device)
        ratios = as_tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = ratios.sqrt()
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales_t[None, :]).view(-1)
        hs = (h_ratios[:, None] * scales_t[None, :]).view(-1)
        return (stack([-ws, -hs, ws, hs], dim=1) / 2).round()

    def set_cell_anchors(self, dtype: Any, device: Any) -> None:
        self.cell_anchors = [a.to(dtype=dtype, device=device) for a in self.cell_anchors]

    def num_anchors_per_location(self) -> list[int]:
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios, strict=False)]

    def grid_anchors(self, grid_sizes: list[list[int]], strides: list[list[Tensor]]) -> list[Tensor]:
        """Per feature map, the cell anchors shifted over its grid: (H·W·A, 4)."""
        if not len(grid_sizes) == len(strides) == len(self.cell_anchors):
            raise ValueError("Anchors should be Tuple[Tuple[int]] because each feature map could potentially have "
                             "different sizes and aspect ratios. There needs to be a match between the number of "
                             "feature maps passed and the number of sizes / aspect ratios specified.")
        anchors = []
        for (grid_height, grid_width), (stride_height, stride_width), base_anchors in zip(
                grid_sizes, strides, self.cell_anchors, strict=False):
            device = base_anchors.device
            shifts_x = arange(0, grid_width, dtype="int32", device=device) * stride_width
            shifts_y = arange(0, grid_height, dtype="int32", device=device) * stride_height
            shift_y, shift_x = meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
            shifts = stack((shift_x, shift_y, shift_x, shift_y), dim=1)
            anchors.append((shifts.view(-1, 1, 4) + base_anchors.view(1, -1, 4)).reshape(-1, 4))
        return anchors

    def forward(self, image_list: ImageList, feature_maps: list[Tensor]) -> list[Tensor]:
        grid_sizes = [list(feature_map.shape[-2:]) for feature_map in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        strides = [[full((), image_size[0] // g[0], dtype="int64", device=device),
                    full((), image_size[1] // g[1], dtype="int64", device=device)] for g in grid_sizes]
        self.set_cell_anchors(dtype, device)
        anchors_over_all_feature_maps = self.grid_anchors(grid_sizes, strides)
        return [cat(list(anchors_over_all_feature_maps)) for _ in range(len(image_list.image_sizes))]
