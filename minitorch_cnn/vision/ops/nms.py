"""Non-maximum suppression, as torchvision.ops.nms / batched_nms (not differentiable: indices out).

    order boxes by score, decreasing (a stable sort: equal scores keep their input order, as torchvision's CPU
    kernel); walk the order, keep each box not yet suppressed and suppress every later box j with
    IoU(i, j) = inter / (area_i + area_j - inter) > iou_threshold, computed in the boxes' dtype.

batched_nms never lets boxes of different categories suppress each other: below 4000 coordinates it shifts each
category's boxes by idx·(max coordinate + 1) so they cannot overlap (torchvision's "coordinate trick"), above it
runs nms per category; the kept indices come sorted by decreasing score either way.
"""

from __future__ import annotations

import numpy as np

from ... import backend
from ...autograd import Tensor


def _check(boxes: Tensor, scores: Tensor) -> None:
    """torchvision's nms_kernel checks, with its messages."""
    if boxes.ndim != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.ndim}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.shape[1]}")
    if scores.ndim != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.ndim}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError(f"boxes and scores should have same number of elements in dimension 0, got "
                           f"{boxes.shape[0]} and {scores.shape[0]}")
    if boxes.dtype != scores.dtype:
        raise RuntimeError("dets should have the same type as scores")


def _nms(dets: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """The kernel on NumPy arrays: kept indices (int64), by decreasing score."""
    x1, y1, x2, y2 = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    order = np.argsort(-scores, kind="stable")
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    zero = dets.dtype.type(0)
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        w = np.maximum(zero, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(zero, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)  # in the boxes' dtype, compared in double as the C++ kernel
        suppressed[rest[iou.astype(np.float64) > iou_threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """int64 indices of the xyxy ``boxes`` (N, 4) that survive suppression at ``iou_threshold``, by decreasing
    ``scores`` (N,)."""
    _check(boxes, scores)
    dets = backend.move_to(boxes._data, "cpu")
    keep = _nms(dets, backend.move_to(scores._data, "cpu"), iou_threshold)
    return Tensor._wrap(backend.move_to(keep, boxes.device))


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """``nms`` within each category ``idxs`` (N,) separately; int64 indices by decreasing score."""
    _check(boxes, scores)
    dets = backend.move_to(boxes._data, "cpu")
    score = backend.move_to(scores._data, "cpu")
    cats = backend.move_to(idxs._data, "cpu")
    if dets.size == 0:
        keep = np.zeros(0, dtype=np.int64)
    elif dets.size <= 4000:
        offsets = cats.astype(dets.dtype) * (dets.max() + dets.dtype.type(1))
        keep = _nms(dets + offsets[:, None], score, iou_threshold)
    else:
        mask = np.zeros(len(score), dtype=bool)
        for cat in np.unique(cats):
            where = np.nonzero(cats == cat)[0]
            mask[where[_nms(dets[where], score[where], iou_threshold)]] = True
        kept = np.nonzero(mask)[0]
        keep = kept[np.argsort(-score[kept], kind="stable")]
    return Tensor._wrap(backend.move_to(keep, boxes.device))
