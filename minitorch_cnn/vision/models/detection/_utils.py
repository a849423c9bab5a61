"""The R-CNN family's bookkeeping, as torchvision.models.detection._utils: the balanced sampler of positives and
negatives, the box coder, and the IoU matcher.

Box coding (Girshick et al. 2014), for a reference box (x_a, y_a, w_a, h_a) (centre and size) and a target box
(x, y, w, h), with weights (w_x, w_y, w_w, w_h):

    encode:  t_x = w_x (x - x_a) / w_a,   t_y = w_y (y - y_a) / h_a,   t_w = w_w log(w / w_a),   t_h = w_h log(h / h_a)
    decode:  x = t_x / w_x · w_a + x_a, ...,  w = exp(min(t_w / w_w, clip)) · w_a, ...  -> (x ∓ w/2, y ∓ h/2)

Both are written in differentiable Tensor ops, so the gradient of a loss on decoded or encoded boxes is autograd's.
"""

from __future__ import annotations

import math

import numpy as np

from .... import nn
from ....autograd import Tensor
from ....ops.elementwise import where
from ....ops.factories import as_tensor, randperm, zeros_like
from ....ops.shape import cat, stack
from ...ops import FrozenBatchNorm2d


class BalancedPositiveNegativeSampler:
    """Per image, at most ``batch_size_per_image · positive_fraction`` positives (label >= 1), the rest negatives
    (label 0), each drawn at random (``randperm``); -1 is ignored. Returns uint8 masks of the chosen ones."""

    def __init__(self, batch_size_per_image: int, positive_fraction: float) -> None:
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, matched_idxs: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        pos_idx, neg_idx = [], []
        for matched_idxs_per_image in matched_idxs:
            positive = where(matched_idxs_per_image >= 1)[0]
            negative = where(matched_idxs_per_image == 0)[0]
            num_pos = min(positive.numel(), int(self.batch_size_per_image * self.positive_fraction))
            num_neg = min(negative.numel(), self.batch_size_per_image - num_pos)
            perm1 = randperm(positive.numel(), device=positive.device)[:num_pos]
            perm2 = randperm(negative.numel(), device=negative.device)[:num_neg]
            pos_mask = zeros_like(matched_idxs_per_image, dtype=np.uint8)
            neg_mask = zeros_like(matched_idxs_per_image, dtype=np.uint8)
            pos_mask[positive[perm1]] = 1
            neg_mask[negative[perm2]] = 1
            pos_idx.append(pos_mask)
            neg_idx.append(neg_mask)
        return pos_idx, neg_idx


def encode_boxes(reference_boxes: Tensor, proposals: Tensor, weights: Tensor) -> Tensor:
    """Regression targets (N, 4) of ``reference_boxes`` (N, 4) relative to ``proposals`` (N, 4), both xyxy."""
    wx, wy, ww, wh = weights[0], weights[1], weights[2], weights[3]
    px1, py1, px2, py2 = (proposals[:, i].unsqueeze(1) for i in range(4))
    rx1, ry1, rx2, ry2 = (reference_boxes[:, i].unsqueeze(1) for i in range(4))
    ex_widths, ex_heights = px2 - px1, py2 - py1
    ex_ctr_x, ex_ctr_y = px1 + 0.5 * ex_widths, py1 + 0.5 * ex_heights
    gt_widths, gt_heights = rx2 - rx1, ry2 - ry1
    gt_ctr_x, gt_ctr_y = rx1 + 0.5 * gt_widths, ry1 + 0.5 * gt_heights
    targets_dx = wx * (gt_ctr_x - ex_ctr_x) / ex_widths
    targets_dy = wy * (gt_ctr_y - ex_ctr_y) / ex_heights
    targets_dw = ww * (gt_widths / ex_widths).log()
    targets_dh = wh * (gt_heights / ex_heights).log()
    return cat((targets_dx, targets_dy, targets_dw, targets_dh), dim=1)


class BoxCoder:
    """Encodes boxes as regression targets against reference boxes and decodes them back (module notes)."""

    def __init__(self, weights: tuple[float, float, float, float],
                 bbox_xform_clip: float = math.log(1000.0 / 16)) -> None:
        self.weights = weights
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, reference_boxes: list[Tensor], proposals: list[Tensor]) -> tuple[Tensor, ...]:
        boxes_per_image = [len(b) for b in reference_boxes]
        targets = self.encode_single(cat(reference_boxes, dim=0), cat(proposals, dim=0))
        return targets.split(boxes_per_image, 0)

    def encode_single(self, reference_boxes: Tensor, proposals: Tensor) -> Tensor:
        weights = as_tensor(self.weights, dtype=reference_boxes.dtype, device=reference_boxes.device)
        return encode_boxes(reference_boxes, proposals, weights)

    def decode(self, rel_codes: Tensor, boxes: list[Tensor]) -> Tensor:
        """Deltas (ΣN, 4K) on the boxes of every image (lists of (N, 4)) -> boxes (ΣN, K, 4)."""
        if not isinstance(boxes, (list, tuple)):
            raise TypeError("This function expects boxes of type list or tuple.")
        if not isinstance(rel_codes, Tensor):
            raise TypeError("This function expects rel_codes of type torch.Tensor.")
        box_sum = sum(b.size(0) for b in boxes)
        if box_sum > 0:
            rel_codes = rel_codes.reshape(box_sum, -1)
        pred_boxes = self.decode_single(rel_codes, cat(boxes, dim=0))
        return pred_boxes.reshape(box_sum, -1, 4) if box_sum > 0 else pred_boxes

    def decode_single(self, rel_codes: Tensor, boxes: Tensor) -> Tensor:
        """Deltas (N, 4K) on reference boxes (N, 4) -> xyxy boxes (N, 4K)."""
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights
        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        dw = (rel_codes[:, 2::4] / ww).clamp(max=self.bbox_xform_clip)  # keeps exp() finite
        dh = (rel_codes[:, 3::4] / wh).clamp(max=self.bbox_xform_clip)
        pred_ctr_x = dx * widths[:, None] + ctr_x[:, None]
        pred_ctr_y = dy * heights[:, None] + ctr_y[:, None]
        half_w = 0.5 * (dw.exp() * widths[:, None])
        half_h = 0.5 * (dh.exp() * heights[:, None])
        return stack((pred_ctr_x - half_w, pred_ctr_y - half_h, pred_ctr_x + half_w, pred_ctr_y + half_h),
                     dim=2).flatten(1)


class Matcher:
    """Quality matrix (M ground truths, N predictions) -> int64 (N,): the best ground truth of each prediction,
    or -1 below ``low_threshold``, -2 between the thresholds. With ``allow_low_quality_matches`` every
    prediction that is some ground truth's best (ties included) keeps its match whatever its quality."""

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold: float, low_threshold: float, allow_low_quality_matches: bool = False) -> None:
        if low_threshold > high_threshold:
            raise AssertionError("low_threshold should be <= high_threshold")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix: Tensor) -> Tensor:
        if match_quality_matrix.numel() == 0:
            if match_quality_matrix.shape[0] == 0:
                raise ValueError("No ground-truth boxes available for one of the images during training")
            raise ValueError("No proposal boxes available for one of the images during training")
        matched_vals, matches = match_quality_matrix.max(dim=0)
        all_matches = matches.clone() if self.allow_low_quality_matches else None
        below_low_threshold = matched_vals < self.low_threshold
        between_thresholds = (matched_vals >= self.low_threshold) & (matched_vals < self.high_threshold)
        matches[below_low_threshold] = self.BELOW_LOW_THRESHOLD
        matches[between_thresholds] = self.BETWEEN_THRESHOLDS
        if all_matches is not None:
            self.set_low_quality_matches_(matches, all_matches, match_quality_matrix)
        return matches

    def set_low_quality_matches_(self, matches: Tensor, all_matches: Tensor, match_quality_matrix: Tensor) -> None:
        """Give back their match to the predictions that are some ground truth's best (ties included)."""
        highest_quality_foreach_gt, _ = match_quality_matrix.max(dim=1)
        pred_inds_to_update = where(match_quality_matrix == highest_quality_foreach_gt[:, None])[1]
        matches[pred_inds_to_update] = all_matches[pred_inds_to_update]


def overwrite_eps(model: nn.Module, eps: float) -> None:
    """Set the ``eps`` of every FrozenBatchNorm2d in ``model`` (torchvision's COCO_V1 checkpoints were trained with
    eps 0)."""
    for module in model.modules():
        if isinstance(module, FrozenBatchNorm2d):
            module.eps = eps
