"""Detection losses, as torchvision.ops: the focal loss and the IoU-family box regression losses, written in
differentiable Tensor ops so that their gradients are autograd's (and torch's).

    focal:  p = σ(x), ce = BCE-with-logits(x, t), p_t = p·t + (1-p)(1-t),
            loss = ce·(1 - p_t)^γ, times α_t = α·t + (1-α)(1-t) when α ≥ 0          (Lin et al. 2017)
    per box pair (boxes1[i], boxes2[i], xyxy):
            inter = (x2ᵢ - x1ᵢ)(y2ᵢ - y1ᵢ) of the intersection where it is not empty, else 0
            iou = inter / (union + eps)
    giou:   1 - iou + (C - union) / (C + eps), C the enclosing box's area
    diou:   1 - iou + ρ² / (c² + eps), ρ the distance of the centres, c the enclosing box's diagonal
    ciou:   diou + α v, v = 4/π² (atan(w_gt/h_gt) - atan(w/h))², α = v / (1 - iou + v + eps) held constant
"""

from __future__ import annotations

import math

from ...autograd import Tensor, no_grad
from ...nn.functional import binary_cross_entropy_with_logits
from ...ops.elementwise import maximum, minimum, sigmoid, where
from ...ops.trig import atan


def _reduce(loss: Tensor, reduction: str, empty_mean: bool = True) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 or not empty_mean else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: 'none', "
                     f"'mean', 'sum'")


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> Tensor:
    """RetinaNet's focal loss of logits ``inputs`` against 0/1 ``targets`` (same shape); ``alpha=-1`` drops the
    class weighting."""
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 for ignore.")
    p = sigmoid(inputs)
    ce_loss = binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction, empty_mean=False)


def _float(t: Tensor) -> Tensor:
    return t if t.dtype.kind == "f" and t.dtype.itemsize >= 4 else t.float()


def _inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1, ykis1 = maximum(x1, x1g), maximum(y1, y1g)
    xkis2, ykis2 = minimum(x2, x2g), minimum(y2, y2g)
    intsctk = where((ykis2 > ykis1) & (xkis2 > xkis1), (xkis2 - xkis1) * (ykis2 - ykis1), 0.0)
    return intsctk, (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk


def _enclosing(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Width and height of the smallest box enclosing each pair."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    return maximum(x2, x2g) - minimum(x1, x1g), maximum(y2, y2g) - minimum(y1, y1g)


def generalized_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7) -> Tensor:
    """1 - GIoU of matching xyxy boxes (N, 4) or (4,)."""
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    intsctk, unionk = _inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    wc, hc = _enclosing(boxes1, boxes2)
    area_c = wc * hc
    return _reduce(1 - (iouk - ((area_c - unionk) / (area_c + eps))), reduction)


def _diou_iou_loss(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> tuple[Tensor, Tensor]:
    intsct, union = _inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    wc, hc = _enclosing(boxes1, boxes2)
    diagonal_distance_squared = (wc ** 2) + (hc ** 2) + eps
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    centers_distance_squared = (((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2) + (((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2)
    return 1 - iou + (centers_distance_squared / diagonal_distance_squared), iou


def distance_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7) -> Tensor:
    """1 - DIoU of matching xyxy boxes (N, 4) or (4,)."""
    loss, _ = _diou_iou_loss(_float(boxes1), _float(boxes2), eps)
    return _reduce(loss, reduction)


def complete_box_iou_loss(boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7) -> Tensor:
    """1 - CIoU of matching xyxy boxes (N, 4) or (4,); the DIoU part uses eps=1e-7 whatever ``eps`` is, as
    torchvision's."""
    boxes1, boxes2 = _float(boxes1), _float(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    v = (4 / (math.pi ** 2)) * (atan((x2g - x1g) / (y2g - y1g)) - atan((x2 - x1) / (y2 - y1))) ** 2
    with no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou_loss + alpha * v, reduction)
