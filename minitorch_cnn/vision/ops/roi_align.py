"""RoIAlign (He et al. 2017, Mask R-CNN), torchvision's CPU kernel: input (N, C, H, W), K regions ->
(K, C, PH, PW).

For region k on image b, with offset = 0.5 if aligned else 0:

    start = box·spatial_scale - offset; size = end - start (at least 1 unless aligned); bin = size / P
    grid  = sampling_ratio if > 0 else ceil(size / P) sample points per bin and axis; count = max(gy·gx, 1)
    y(ph, iy) = start_h + ph·bin_h + (iy + ½)·bin_h / gy                 (x likewise)
    a sample outside [-1, H] (or [-1, W]) reads 0; otherwise y is clamped at 0, y_low = ⌊y⌋, y_high = y_low + 1
    (both H-1 at the bottom edge), ly = y - y_low and the bilinear weights are (1-ly, ly) on (y_low, y_high).

Every sample's weight is a product of a y factor and an x factor, so the whole pooling is two small matrix
products per region: with Wy (PH, H) summing the y weights of each bin's samples and Wx (PW, W) likewise,

    out[k, c] = Wy · input[b, c] · Wxᵀ / count
    backward:  dinput[b, c] += Wyᵀ · g[k, c] · Wx / count      (the boxes receive no gradient, as in torchvision)

The backward is not differentiable again (torchvision's is not either).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd import Function, Tensor
from ._rois import pair, rois_array


def _axis_weights(xp: Any, start: float, bin_size: float, pooled: int, grid: int, size: int, dtype: Any) -> Any:
    """W (pooled, size): the summed bilinear weights of each bin's ``grid`` samples along one axis."""
    host = np.zeros((pooled, size), dtype=dtype)
    if grid <= 0:
        return xp.asarray(host)
    p = np.arange(pooled, dtype=dtype)[:, None]
    i = np.arange(grid, dtype=dtype)[None, :]
    t = dtype.type
    coord = t(start) + p * t(bin_size) + (i + t(0.5)) * t(bin_size) / t(grid)  # (pooled, grid)
    inside = ~((coord < -1.0) | (coord > size))
    coord = np.maximum(coord, t(0))
    low = coord.astype(np.int64)
    edge = low >= size - 1
    low = np.where(edge, size - 1, low)
    high = np.where(edge, size - 1, low + 1)
    coord = np.where(edge, low.astype(dtype), coord)
    lw = (coord - low) * inside
    hw = (t(1) - (coord - low)) * inside
    rows = np.broadcast_to(np.arange(pooled)[:, None], low.shape)
    np.add.at(host, (rows, low), hw)
    np.add.at(host, (rows, high), lw)
    return xp.asarray(host)


class RoIAlignFunction(Function):
    torch_name = "GeneratedBackwardFor_torchvision_roi_align_defaultBackward"

    def forward(self, x: Any, rois: Any, spatial_scale: float, pooled: tuple[int, int], sampling_ratio: int,
                aligned: bool) -> Any:
        xp = backend.array_module(x)
        n, c, h, w = x.shape
        dtype = np.dtype(x.dtype)
        boxes = backend.move_to(rois, "cpu").astype(np.float64)
        offset = 0.5 if aligned else 0.0
        self.plan = []
        out = xp.zeros((len(boxes), c, *pooled), dtype=dtype)
        for k, (b, x1, y1, x2, y2) in enumerate(boxes):
            t = dtype.type
            sw, sh = t(x1) * t(spatial_scale) - t(offset), t(y1) * t(spatial_scale) - t(offset)
            ew, eh = t(x2) * t(spatial_scale) - t(offset), t(y2) * t(spatial_scale) - t(offset)
            rw, rh = ew - sw, eh - sh
            if not aligned:
                rw, rh = max(rw, t(1)), max(rh, t(1))
            bh, bw = rh / t(pooled[0]), rw / t(pooled[1])
            gy = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / t(pooled[0]))
            gx = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / t(pooled[1]))
            count = max(gy * gx, 1)
            wy = _axis_weights(xp, sh, bh, pooled[0], gy, h, dtype)
            wx = _axis_weights(xp, sw, bw, pooled[1], gx, w, dtype)
            self.plan.append((int(b), wy, wx, count))
            out[k] = (wy @ x[int(b)] @ wx.T) / dtype.type(count)
        self.input_shape = x.shape
        return out

    def backward(self, g: Any) -> tuple[Any, None]:
        xp = backend.array_module(g)
        grad = xp.zeros(self.input_shape, dtype=g.dtype)
        for k, (b, wy, wx, count) in enumerate(self.plan):
            grad[b] += (wy.T @ g[k] @ wx) / g.dtype.type(count)
        return grad, None


def roi_align(input: Tensor, boxes: Tensor | list[Tensor], output_size: int | tuple[int, int],  # noqa: A002
              spatial_scale: float = 1.0, sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """RoIAlign of ``input`` (N, C, H, W) over ``boxes`` (Tensor (K, 5) of (batch index, x1, y1, x2, y2), or a
    list of (L, 4) per image) -> (K, C, output_size[0], output_size[1])."""
    rois = rois_array(boxes)
    if input.ndim != 4:
        raise RuntimeError(f"roi_align: expected input (N, C, H, W), got shape {tuple(input.shape)}")
    if input.dtype != rois.dtype:
        raise RuntimeError(f"input should have the same type as rois (input {input.dtype}, rois {rois.dtype})")
    return RoIAlignFunction.apply(input, rois, spatial_scale, pair(output_size), sampling_ratio, aligned)


class RoIAlign(nn.Module):
    """``roi_align`` as a layer."""

    def __init__(self, output_size: int | tuple[int, int], spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:  # noqa: A002
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned})")
