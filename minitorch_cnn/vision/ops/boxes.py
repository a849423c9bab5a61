"""Axis-aligned box arithmetic, as torchvision.ops.boxes: conversions, areas, the IoU family, clipping, and the
boxes around masks. Boxes are (..., 4) in "xyxy" (x1, y1, x2, y2) unless a ``fmt`` says otherwise.

Everything differentiable is written in differentiable Tensor ops (max, min, clamp, atan, division), so the
gradients are autograd's and agree with torch's step for step (torchvision writes them the same way):

    area  = (x2 - x1)(y2 - y1)
    inter = clamp(min(b1.rb, b2.rb) - max(b1.lt, b2.lt), 0) multiplied over x and y;  union = a1 + a2 - inter
    iou   = inter / union
    giou  = iou - (C - union) / C,   C the area of the smallest enclosing box
    diou  = iou - ρ² / (c² + eps),  ρ the distance of the centres, c the enclosing box's diagonal
    ciou  = diou - α v,  v = 4/π² (atan(w1/h1) - atan(w2/h2))²,  α = v / (1 - iou + v + eps) taken as a constant

Integer boxes are computed in int32/int64 (float16 upcast to float32) as torchvision's ``_upcast``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...autograd import Tensor, no_grad
from ...ops.elementwise import maximum, minimum
from ...ops.factories import as_tensor
from ...ops.shape import stack
from ...ops.trig import atan

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("xywhr", "cxcywhr", "xyxyxyxy")


def _upcast(t: Tensor) -> Tensor:
    """Floats below 32 bits to float32, integers below 32 bits to int32 (guards products from overflow)."""
    if t.dtype.kind == "f":
        return t if t.dtype in (np.float32, np.float64) else t.float()
    return t if t.dtype in (np.int32, np.int64) else t.int()


def _to_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    if fmt == "xywh":
        x, y, w, h = boxes.unbind(-1)
        return stack([x, y, x + w, y + h], dim=-1)
    cx, cy, w, h = boxes.unbind(-1)
    return stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


def _from_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    x1, y1, x2, y2 = boxes.unbind(-1)
    if fmt == "xywh":
        return stack([x1, y1, x2 - x1, y2 - y1], dim=-1)
    return stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], dim=-1)


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Boxes (..., 4) from ``in_fmt`` to ``out_fmt``, each one of "xyxy", "xywh", "cxcywh" (rotated formats are
    not offered: a clear error says so)."""
    if in_fmt not in _AXIS_ALIGNED + _ROTATED or out_fmt not in _AXIS_ALIGNED + _ROTATED:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    if in_fmt in _ROTATED or out_fmt in _ROTATED:
        raise NotImplementedError(f"box_convert: rotated box formats ({in_fmt} -> {out_fmt}) are not offered by "
                                  f"minitorch_cnn; use one of {_AXIS_ALIGNED}")
    if in_fmt != "xyxy":
        boxes = _to_xyxy(boxes, in_fmt)
    return boxes if out_fmt == "xyxy" else _from_xyxy(boxes, out_fmt)


def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Areas (...) of boxes (..., 4) in ``fmt`` ("xyxy", "xywh" or "cxcywh")."""
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _inter_union(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> tuple[Tensor, Tensor]:
    """Pairwise intersection and union areas (..., N, M) of boxes1 (..., N, 4) and boxes2 (..., M, 4)."""
    area1, area2 = box_area(boxes1, fmt=fmt), box_area(boxes2, fmt=fmt)
    if fmt == "xyxy":
        lt = maximum(boxes1[..., None, :2], boxes2[..., None, :, :2])
        rb = minimum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    elif fmt == "xywh":
        lt = maximum(boxes1[..., None, :2], boxes2[..., None, :, :2])
        rb = minimum(boxes1[..., None, :2] + boxes1[..., None, 2:], boxes2[..., None, :, :2] + boxes2[..., None, :, 2:])
    else:
        lt = maximum(boxes1[..., None, :2] - boxes1[..., None, 2:] / 2,
                     boxes2[..., None, :, :2] - boxes2[..., None, :, 2:] / 2)
        rb = minimum(boxes1[..., None, :2] + boxes1[..., None, 2:] / 2,
                     boxes2[..., None, :, :2] + boxes2[..., None, :, 2:] / 2)
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """Pairwise IoU (..., N, M) of boxes1 (..., N, 4) and boxes2 (..., M, 4) in ``fmt``."""
    if fmt in _ROTATED:
        raise NotImplementedError(f"box_iou: rotated boxes ({fmt}) are not offered by minitorch_cnn; use one of "
                                  f"{_AXIS_ALIGNED}")
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: {_AXIS_ALIGNED}. "
                         f"Supported rotated formats: {_ROTATED}.")
    inter, union = _inter_union(boxes1, boxes2, fmt)
    return inter / union


def _enclosing_wh(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Width and height (..., N, M, 2) of the smallest box enclosing each pair."""
    lti = minimum(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = maximum(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU (..., N, M) of xyxy boxes (Rezatofighi et al. 2019)."""
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal_distance_squared = (whi[..., 0] ** 2) + (whi[..., 1] ** 2) + eps
    x_p, y_p = (boxes1[..., 0] + boxes1[..., 2]) / 2, (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g, y_g = (boxes2[..., 0] + boxes2[..., 2]) / 2, (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers_distance_squared = (_upcast(x_p[..., None] - x_g[..., None, :]) ** 2) + (
        _upcast(y_p[..., None] - y_g[..., None, :]) ** 2)
    return iou - centers_distance_squared / diagonal_distance_squared, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise distance IoU (..., N, M) of xyxy boxes (Zheng et al. 2019)."""
    diou, _ = _diou_iou(_upcast(boxes1), _upcast(boxes2), eps)
    return diou


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise complete IoU (..., N, M) of xyxy boxes (Zheng et al. 2019); α is held constant, as torchvision."""
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi ** 2)) * (atan(w_pred / h_pred) - atan(w_gt / h_gt)) ** 2
    with no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """xyxy boxes (..., 4) with x clamped to [0, width] and y to [0, height]; ``size`` is (height, width)."""
    height, width = size
    boxes_x = boxes[..., 0::2].clamp(min=0, max=width)
    boxes_y = boxes[..., 1::2].clamp(min=0, max=height)
    return stack([boxes_x, boxes_y], dim=boxes.ndim).reshape(boxes.shape)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """int64 indices (K,) of the boxes (N, 4) whose width and height are both at least ``min_size``."""
    data = boxes._data
    keep = ((data[..., 2] - data[..., 0]) >= min_size) & ((data[..., 3] - data[..., 1]) >= min_size)
    xp = backend.array_module(data)
    return Tensor._wrap(xp.nonzero(keep)[0].astype(np.int64))


def masks_to_boxes(masks: Tensor) -> Tensor:
    """float32 xyxy boxes (N, 4) around the nonzero pixels of masks (N, H, W) (pixel indices, inclusive); an empty
    mask gives (0, 0, 0, 0)."""
    data = masks._data
    xp = backend.array_module(data)
    if data.size == 0:
        return Tensor._wrap(xp.zeros((0, 4), dtype=np.float32))
    if data.ndim != 3:
        raise ValueError(f"masks_to_boxes: expected masks (N, H, W), got shape {tuple(data.shape)}")
    _, h, w = data.shape
    rows, cols = (data != 0).any(axis=2), (data != 0).any(axis=1)
    y1, x1 = rows.argmax(axis=1), cols.argmax(axis=1)
    y2, x2 = (h - 1) - rows[:, ::-1].argmax(axis=1), (w - 1) - cols[:, ::-1].argmax(axis=1)
    out = xp.stack([x1, y1, x2, y2], axis=1).astype(np.float32)
    out[~rows.any(axis=1)] = 0
    return as_tensor(out)
