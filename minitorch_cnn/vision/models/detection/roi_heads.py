"""The second stage of Faster/Mask R-CNN, as torchvision.models.detection.roi_heads.RoIHeads.

    training:  the ground-truth boxes join the proposals; proposals matched by IoU (>= fg_iou_thresh: the
               ground truth's label, < bg_iou_thresh: background 0); a balanced sample of ``batch_size_per_image``
               (``positive_fraction`` positives); targets encoded with weights (10, 10, 5, 5);
               loss_classifier = cross_entropy(logits, labels),
               loss_box_reg = Σ over positives smooth-L1_β=1/9(deltas of the true class, target) / #sampled
    inference: deltas decoded per class, boxes clipped, softmax scores; per class > score_thresh, boxes under
               1e-2 dropped, NMS per class at ``nms_thresh``, the ``detections_per_img`` best kept
    masks:     (Mask R-CNN) RoIAlign of the positive proposals (training) or the detections (inference), the mask
               head and predictor, then ``mask_ops``' loss or per-label probabilities
"""

from __future__ import annotations

from typing import Any

from .... import nn
from ....autograd import Tensor
from ....nn.functional import cross_entropy, smooth_l1_loss, softmax
from ....ops.elementwise import where
from ....ops.factories import arange, zeros
from ....ops.shape import cat
from ...ops import batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes
from . import _utils as det_utils
from .mask_ops import maskrcnn_inference, maskrcnn_loss


def fastrcnn_loss(class_logits: Tensor, box_regression: Tensor, labels: list[Tensor],
                  regression_targets: list[Tensor]) -> tuple[Tensor, Tensor]:
    """(classification loss, box loss) of the sampled proposals; see the module notes."""
    labels_all = cat(labels, dim=0)
    targets_all = cat(regression_targets, dim=0)
    classification_loss = cross_entropy(class_logits, labels_all)
    pos = where(labels_all > 0)[0]
    labels_pos = labels_all[pos]
    n = class_logits.shape[0]
    box_regression = box_regression.reshape(n, box_regression.size(-1) // 4, 4)
    box_loss = smooth_l1_loss(box_regression[pos, labels_pos], targets_all[pos], beta=1 / 9, reduction="sum")
    return classification_loss, box_loss / labels_all.numel()


class RoIHeads(nn.Module):
    """Box (and optionally mask) heads on the proposals: (features, proposals, image_shapes, targets) ->
    (detections, losses); see the module notes. Keypoint heads are not offered."""

    def __init__(self, box_roi_pool: nn.Module, box_head: nn.Module, box_predictor: nn.Module,
                 fg_iou_thresh: float, bg_iou_thresh: float, batch_size_per_image: int, positive_fraction: float,
                 bbox_reg_weights: tuple[float, float, float, float] | None, score_thresh: float, nms_thresh: float,
                 detections_per_img: int, mask_roi_pool: nn.Module | None = None, mask_head: nn.Module | None = None,
                 mask_predictor: nn.Module | None = None) -> None:
        super().__init__()
        self.box_similarity = box_iou
        self.proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=False)
        self.fg_bg_sampler = det_utils.BalancedPositiveNegativeSampler(batch_size_per_image, positive_fraction)
        self.box_coder = det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0) if bbox_reg_weights is None else bbox_reg_weights)
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.mask_roi_pool = mask_roi_pool
        self.mask_head = mask_head
        self.mask_predictor = mask_predictor

    def has_mask(self) -> bool:
        return self.mask_roi_pool is not None and self.mask_head is not None and self.mask_predictor is not None

    def assign_targets_to_proposals(self, proposals: list[Tensor], gt_boxes: list[Tensor], gt_labels: list[Tensor]
                                    ) -> tuple[list[Tensor], list[Tensor]]:
        """Per image, the matched ground-truth index (clamped to >= 0) and int64 label (0 background, -1
        ignored) of each proposal."""
        matched_idxs, labels = [], []
        for props, gt_b, gt_l in zip(proposals, gt_boxes, gt_labels, strict=False):
            if gt_b.numel() == 0:
                clamped = zeros((props.shape[0],), dtype="int64", device=props.device)
                labels_in_image = zeros((props.shape[0],), dtype="int64", device=props.device)
            else:
                matched = self.proposal_matcher(box_iou(gt_b, props))
                clamped = matched.clamp(min=0)
                labels_in_image = gt_l[clamped].to(dtype="int64")
                labels_in_image[matched == self.proposal_matcher.BELOW_LOW_THRESHOLD] = 0
                labels_in_image[matched == self.proposal_matcher.BETWEEN_THRESHOLDS] = -1
            matched_idxs.append(clamped)
            labels.append(labels_in_image)
        return matched_idxs, labels

    def subsample(self, labels: list[Tensor]) -> list[Tensor]:
        sampled_pos, sampled_neg = self.fg_bg_sampler(labels)
        return [where(pos | neg)[0] for pos, neg in zip(sampled_pos, sampled_neg, strict=False)]

    def add_gt_proposals(self, proposals: list[Tensor], gt_boxes: list[Tensor]) -> list[Tensor]:
        return [cat((proposal, gt_box)) for proposal, gt_box in zip(proposals, gt_boxes, strict=False)]

    def check_targets(self, targets: list[dict[str, Tensor]] | None) -> None:
        if targets is None:
            raise ValueError("targets should not be None")
        if not all("boxes" in t for t in targets):
            raise ValueError("Every element of targets should have a boxes key")
        if not all("labels" in t for t in targets):
            raise ValueError("Every element of targets should have a labels key")
        if self.has_mask() and not all("masks" in t for t in targets):
            raise ValueError("Every element of targets should have a masks key")

    def select_training_samples(self, proposals: list[Tensor], targets: list[dict[str, Tensor]] | None
                                ) -> tuple[list[Tensor], list[Tensor], list[Tensor], tuple[Tensor, ...]]:
        self.check_targets(targets)
        dtype, device = proposals[0].dtype, proposals[0].device
        gt_boxes = [t["boxes"].to(dtype) for t in targets]
        gt_labels = [t["labels"] for t in targets]
        proposals = self.add_gt_proposals(proposals, gt_boxes)
        matched_idxs, labels = self.assign_targets_to_proposals(proposals, gt_boxes, gt_labels)
        sampled_inds = self.subsample(labels)
        matched_gt_boxes = []
        for img_id, inds in enumerate(sampled_inds):
            proposals[img_id] = proposals[img_id][inds]
            labels[img_id] = labels[img_id][inds]
            matched_idxs[img_id] = matched_idxs[img_id][inds]
            gt = gt_boxes[img_id]
            if gt.numel() == 0:
                gt = zeros((1, 4), dtype=dtype, device=device)
            matched_gt_boxes.append(gt[matched_idxs[img_id]])
        return proposals, matched_idxs, labels, self.box_coder.encode(matched_gt_boxes, proposals)

    def postprocess_detections(self, class_logits: Tensor, box_regression: Tensor, proposals: list[Tensor],
                               image_shapes: list[tuple[int, int]]
                               ) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        num_classes = class_logits.shape[-1]
        boxes_per_image = [p.shape[0] for p in proposals]
        pred_boxes_list = self.box_coder.decode(box_regression, proposals).split(boxes_per_image, 0)
        pred_scores_list = softmax(class_logits, -1).split(boxes_per_image, 0)
        all_boxes, all_scores, all_labels = [], [], []
        for boxes, scores, image_shape in zip(pred_boxes_list, pred_scores_list, image_shapes, strict=False):
            boxes = clip_boxes_to_image(boxes, image_shape)
            labels = arange(num_classes, device=class_logits.device).view(1, -1).expand_as(scores)
            # the background column goes; one detection per (proposal, class)
            boxes = boxes[:, 1:].reshape(-1, 4)
            scores = scores[:, 1:].reshape(-1)
            labels = labels[:, 1:].reshape(-1)
            inds = where(scores > self.score_thresh)[0]
            boxes, scores, labels = boxes[inds], scores[inds], labels[inds]
            keep = remove_small_boxes(boxes, min_size=1e-2)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = batched_nms(boxes, scores, labels, self.nms_thresh)[: self.detections_per_img]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
            all_labels.append(labels[keep])
        return all_boxes, all_scores, all_labels

    def forward(self, features: dict[str, Tensor], proposals: list[Tensor], image_shapes: list[tuple[int, int]],
                targets: list[dict[str, Tensor]] | None = None) -> tuple[list[dict[str, Tensor]], dict[str, Any]]:
        if targets is not None:
            for t in targets:
                if t["boxes"].dtype.kind != "f":
                    raise TypeError(f"target boxes must of float type, instead got {t['boxes'].dtype}")
                if t["labels"].dtype != "int64":
                    raise TypeError(f"target labels must of int64 type, instead got {t['labels'].dtype}")
        labels = regression_targets = matched_idxs = None
        if self.training:
            proposals, matched_idxs, labels, regression_targets = self.select_training_samples(proposals, targets)
        box_features = self.box_head(self.box_roi_pool(features, proposals, image_shapes))
        class_logits, box_regression = self.box_predictor(box_features)
        result: list[dict[str, Tensor]] = []
        losses = {}
        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels, regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
        else:
            boxes, scores, labels = self.postprocess_detections(class_logits, box_regression, proposals, image_shapes)
            result = [{"boxes": b, "labels": lab, "scores": s} for b, s, lab in zip(boxes, scores, labels,
                                                                                      strict=False)]
        if self.has_mask():
            losses.update(self._mask_forward(features, proposals, image_shapes, targets, result, labels,
                                             matched_idxs))
        return result, losses

    def _mask_forward(self, features: dict[str, Tensor], proposals: list[Tensor],
                      image_shapes: list[tuple[int, int]], targets: list[dict[str, Tensor]] | None,
                      result: list[dict[str, Tensor]], labels: list[Tensor] | None,
                      matched_idxs: list[Tensor] | None) -> dict[str, Tensor]:
        """Mask R-CNN's branch: the mask loss in training; in inference each result gains its "masks"."""
        if self.training:
            pos = [where(lab > 0)[0] for lab in labels]
            mask_proposals = [p[i] for p, i in zip(proposals, pos, strict=False)]
            pos_matched_idxs = [m[i] for m, i in zip(matched_idxs, pos, strict=False)]
        else:
            mask_proposals = [r["boxes"] for r in result]
        mask_features = self.mask_head(self.mask_roi_pool(features, mask_proposals, image_shapes))
        mask_logits = self.mask_predictor(mask_features)
        if self.training:
            gt_masks = [t["masks"] for t in targets]
            gt_labels = [t["labels"] for t in targets]
            return {"loss_mask": maskrcnn_loss(mask_logits, mask_proposals, gt_masks, gt_labels, pos_matched_idxs)}
        for mask_prob, r in zip(maskrcnn_inference(mask_logits, [r["labels"] for r in result]), result,
                                strict=False):
            r["masks"] = mask_prob
        return {}
