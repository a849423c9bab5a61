"""``MultiScaleRoIAlign``: RoIAlign over a feature pyramid, as torchvision.ops.poolers (Lin et al. 2017, FPN).

Each level's scale is inferred from its size against the largest image, 2^round(log2(feature / image)); each box
goes to level ⌊lvl0 + log2(√area / s0) + 1e-6⌋ clamped to the pyramid's levels (s0 = canonical_scale 224 at
lvl0 = canonical_level 4); the boxes of each level are pooled with ``roi_align`` at that level's scale and the
results put back in the boxes' order (a gather, so the gradient reaches every level's features).
"""

from __future__ import annotations

import numpy as np

from ... import backend, nn
from ...autograd import Tensor
from ...ops.shape import cat
from ._rois import rois_array
from .roi_align import roi_align


class LevelMapper:
    """Boxes (lists of (L, 4) xyxy Tensors) -> int64 level index of each box, from 0 for level ``k_min``."""

    def __init__(self, k_min: int, k_max: int, canonical_scale: int = 224, canonical_level: int = 4,
                 eps: float = 1e-6) -> None:
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists: list[Tensor]) -> np.ndarray:
        boxes = np.concatenate([backend.move_to(b._data, "cpu") for b in boxlists])
        t = boxes.dtype.type
        s = np.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
        target = np.floor(t(self.lvl0) + np.log2(s / t(self.s0)) + t(self.eps))
        return np.clip(target, self.k_min, self.k_max).astype(np.int64) - self.k_min


def _infer_scale(feature: Tensor, original_size: tuple[int, int]) -> float:
    """2^round(log2(size / original size)) from the height (torchvision reads the first of the two)."""
    approx = np.float32(float(feature.shape[-2]) / float(original_size[0]))
    return 2 ** float(np.round(np.log2(approx)))


def _setup_scales(features: list[Tensor], image_shapes: list[tuple[int, int]], canonical_scale: int,
                  canonical_level: int) -> tuple[list[float], LevelMapper]:
    if not image_shapes:
        raise ValueError("images list should not be empty")
    original = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
    scales = [_infer_scale(f, original) for f in features]
    lvl_min = -float(np.log2(np.float32(scales[0])))
    lvl_max = -float(np.log2(np.float32(scales[-1])))
    return scales, LevelMapper(int(lvl_min), int(lvl_max), canonical_scale, canonical_level)


class MultiScaleRoIAlign(nn.Module):
    """RoIAlign of ``boxes`` (one (L, 4) Tensor per image) over the feature maps named ``featmap_names`` in the
    dict ``x`` (finest first) -> (ΣL, C, output_size); ``image_shapes`` are the images' (H, W)."""

    def __init__(self, featmap_names: list[str], output_size: int | tuple[int, int] | list[int], sampling_ratio: int,
                 *, canonical_scale: int = 224, canonical_level: int = 4) -> None:
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales: list[float] | None = None
        self.map_levels: LevelMapper | None = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x: dict[str, Tensor], boxes: list[Tensor], image_shapes: list[tuple[int, int]]) -> Tensor:
        features = [v for k, v in x.items() if k in self.featmap_names]
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _setup_scales(features, image_shapes, self.canonical_scale,
                                                         self.canonical_level)
        rois = Tensor._wrap(rois_array(boxes))
        if len(features) == 1:
            return roi_align(features[0], rois, self.output_size, self.scales[0], self.sampling_ratio)
        levels = self.map_levels(boxes)
        parts, order = [], []
        for level, (feature, scale) in enumerate(zip(features, self.scales, strict=False)):
            idx = np.nonzero(levels == level)[0]  # a level without boxes still runs: its features get zeros
            parts.append(roi_align(feature, rois[Tensor._wrap(idx)], self.output_size, scale, self.sampling_ratio))
            order.append(idx)
        pooled = cat(parts, 0)
        return pooled[Tensor._wrap(np.argsort(np.concatenate(order), kind="stable"))]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(featmap_names={self.featmap_names}, output_size={self.output_size}, "
                f"sampling_ratio={self.sampling_ratio})")


