"""RoIPool (Girshick 2015, Fast R-CNN), torchvision's CPU kernel: input (N, C, H, W), K regions ->
(K, C, PH, PW), the maximum of each bin.

    start = round(box·spatial_scale) (half away from zero); size = max(end - start + 1, 1); bin = size / P
    bin (ph, pw) covers rows [⌊ph·bin_h⌋, ⌈(ph+1)·bin_h⌉) + start_h clipped to [0, H] (columns likewise);
    out = max over the bin (the first maximum in row-major order is the argmax), 0 for an empty bin
    backward: dinput[b, c, argmax] += g[k, c, ph, pw]  (nothing for an empty bin; the boxes get no gradient)

The backward is not differentiable again (torchvision's is not either).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd import Function, Tensor
from ._rois import pair, rois_array


def _round(v: float) -> int:
    """C's round: halves away from zero."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


class RoIPoolFunction(Function):
    torch_name = "GeneratedBackwardFor_torchvision_roi_pool_defaultBackward"

    def forward(self, x: Any, rois: Any, spatial_scale: float, pooled: tuple[int, int]) -> Any:
        xp = backend.array_module(x)
        n, c, h, w = x.shape
        dtype = np.dtype(x.dtype)
        t = dtype.type
        boxes = backend.move_to(rois, "cpu")
        out = xp.zeros((len(boxes), c, *pooled), dtype=dtype)
        self.argmax = xp.full((len(boxes), c, *pooled), -1, dtype=np.int64)
        for k, (b, x1, y1, x2, y2) in enumerate(boxes):
            sw, sh = _round(t(x1) * t(spatial_scale)), _round(t(y1) * t(spatial_scale))
            ew, eh = _round(t(x2) * t(spatial_scale)), _round(t(y2) * t(spatial_scale))
            bh, bw = t(max(eh - sh + 1, 1)) / t(pooled[0]), t(max(ew - sw + 1, 1)) / t(pooled[1])
            for ph in range(pooled[0]):
                hs = min(max(math.floor(t(ph) * bh) + sh, 0), h)
                he = min(max(math.ceil(t(ph + 1) * bh) + sh, 0), h)
                for pw in range(pooled[1]):
                    ws = min(max(math.floor(t(pw) * bw) + sw, 0), w)
                    we = min(max(math.ceil(t(pw + 1) * bw) + sw, 0), w)
                    if he <= hs or we <= ws:
                        continue
                    region = x[int(b), :, hs:he, ws:we].reshape(c, -1)
                    arg = region.argmax(axis=1)
                    out[k, :, ph, pw] = region[xp.arange(c), arg]
                    self.argmax[k, :, ph, pw] = (hs + arg // (we - ws)) * w + ws + arg % (we - ws)
        self.batch = boxes[:, 0].astype(np.int64)
        self.input_shape = x.shape
        return out

    def backward(self, g: Any) -> tuple[Any, None]:
        xp = backend.array_module(g)
        n, c, h, w = self.input_shape
        grad = xp.zeros((n, c, h * w), dtype=g.dtype)
        k, ch, ph, pw = xp.nonzero(self.argmax >= 0)
        backend.scatter_add(grad, (xp.asarray(self.batch)[k], ch, self.argmax[k, ch, ph, pw]), g[k, ch, ph, pw])
        return grad.reshape(self.input_shape), None


def roi_pool(input: Tensor, boxes: Tensor | list[Tensor], output_size: int | tuple[int, int],  # noqa: A002
             spatial_scale: float = 1.0) -> Tensor:
    """RoIPool of ``input`` (N, C, H, W) over ``boxes`` (Tensor (K, 5) of (batch index, x1, y1, x2, y2), or a
    list of (L, 4) per image) -> (K, C, output_size[0], output_size[1])."""
    rois = rois_array(boxes)
    if input.ndim != 4:
        raise RuntimeError(f"roi_pool: expected input (N, C, H, W), got shape {tuple(input.shape)}")
    if input.dtype != rois.dtype:
        raise RuntimeError(f"input should have the same type as rois (input {input.dtype}, rois {rois.dtype})")
    return RoIPoolFunction.apply(input, rois, spatial_scale, pair(output_size))


class RoIPool(nn.Module):
    """``roi_pool`` as a layer."""

    def __init__(self, output_size: int | tuple[int, int], spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:  # noqa: A002
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale})"
