"""The Region Proposal Network (Ren et al. 2015), as torchvision.models.detection.rpn.

    head:       per level, t = relu(3×3 conv(feature)); objectness logits = 1×1 conv(t) (A per location),
                deltas = 1×1 conv(t) (4A per location)
    proposals:  deltas decoded on the anchors (BoxCoder weights 1, 1, 1, 1), the ``pre_nms_top_n`` best logits of
                each level, clipped to the image, boxes under 1e-3 dropped, sigmoid(logit) >= score_thresh kept,
                NMS per level at ``nms_thresh``, the ``post_nms_top_n`` best kept
    training:   anchors matched to the ground truth by IoU (>= fg_iou_thresh positive, < bg_iou_thresh negative,
                each ground truth's best anchors positive); a balanced sample S of ``batch_size_per_image``;
                loss_objectness = mean over S of BCE-with-logits(logit, label),
                loss_rpn_box_reg = Σ over the positives of S of smooth-L1_β=1/9(delta, target) / |S|

Exactly equal logits (anchors over the zero padding of a batch) are taken by ``topk`` in its own order, where
torch's CPU top-k leaves ties in the order its selection algorithm happens to produce; between such ties the
chosen proposals (and NMS among them) may differ from torchvision's. Distinct logits give torchvision's proposals.
"""

from __future__ import annotations

from typing import Any

from .... import nn
from ....autograd import Tensor
from ....nn.functional import binary_cross_entropy_with_logits, smooth_l1_loss
from ....ops.elementwise import where
from ....ops.factories import arange, full, zeros
from ....ops.shape import cat
from ...ops import Conv2dNormActivation, batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes
from . import _utils as det_utils
from .anchor_utils import AnchorGenerator
from .image_list import ImageList


class RPNHead(nn.Module):
    """Objectness logits and box deltas of every anchor: list of (N, C, H, W) -> (list of (N, A, H, W), list of
    (N, 4A, H, W)); ``conv_depth`` 3×3 convolutions (with ReLU) shared by both 1×1 predictors."""

    _version = 2

    def __init__(self, in_channels: int, num_anchors: int, conv_depth: int = 1) -> None:
        super().__init__()
        self.conv = nn.Sequential(*[Conv2dNormActivation(in_channels, in_channels, kernel_size=3, norm_layer=None)
                                    for _ in range(conv_depth)])
        self.cls_logits = nn.Conv2d(in_channels, num_anchors, kernel_size=1, stride=1)
        self.bbox_pred = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=1, stride=1)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.constant_(layer.bias, 0)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, expected: set, missing: list, errors: list,
                              copies: list) -> None:
        # checkpoints older than the version-2 layout (torchvision's COCO_V1 files) call the 3×3 conv "conv"
        for kind in ("weight", "bias"):
            if f"{prefix}conv.{kind}" in state_dict:
                state_dict[f"{prefix}conv.0.0.{kind}"] = state_dict.pop(f"{prefix}conv.{kind}")
        super()._load_from_state_dict(state_dict, prefix, expected, missing, errors, copies)

    def forward(self, x: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        logits, bbox_reg = [], []
        for feature in x:
            t = self.conv(feature)
            logits.append(self.cls_logits(t))
            bbox_reg.append(self.bbox_pred(t))
        return logits, bbox_reg


def permute_and_flatten(layer: Tensor, N: int, A: int, C: int, H: int, W: int) -> Tensor:  # noqa: N803
    """(N, A·C, H, W) -> (N, H·W·A, C), the anchors' order."""
    return layer.view(N, -1, C, H, W).permute(0, 3, 4, 1, 2).reshape(N, -1, C)


def concat_box_prediction_layers(box_cls: list[Tensor], box_regression: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Per-level logits and deltas -> (N·ΣHWA, C) logits and (N·ΣHWA, 4) deltas, image-major."""
    cls_flat, reg_flat = [], []
    for cls_level, reg_level in zip(box_cls, box_regression, strict=False):
        n, axc, h, w = cls_level.shape
        a = reg_level.shape[1] // 4
        cls_flat.append(permute_and_flatten(cls_level, n, a, axc // a, h, w))
        reg_flat.append(permute_and_flatten(reg_level, n, a, 4, h, w))
    return cat(cls_flat, dim=1).flatten(0, -2), cat(reg_flat, dim=1).reshape(-1, 4)


class RegionProposalNetwork(nn.Module):
    """Proposals (per image, (K, 4) xyxy, by decreasing objectness) and, in training, the losses
    ``loss_objectness`` and ``loss_rpn_box_reg``; see the module notes."""

    def __init__(self, anchor_generator: AnchorGenerator, head: nn.Module, fg_iou_thresh: float,
                 bg_iou_thresh: float, batch_size_per_image: int, positive_fraction: float,
                 pre_nms_top_n: dict[str, int], post_nms_top_n: dict[str, int], nms_thresh: float,
                 score_thresh: float = 0.0) -> None:
        super().__init__()
        self.anchor_generator = anchor_generator
        self.head = head
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self.box_similarity = box_iou
        self.proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=True)
        self.fg_bg_sampler = det_utils.BalancedPositiveNegativeSampler(batch_size_per_image, positive_fraction)
        self._pre_nms_top_n = pre_nms_top_n
        self._post_nms_top_n = post_nms_top_n
        self.nms_thresh = nms_thresh
        self.score_thresh = score_thresh
        self.min_size = 1e-3

    def pre_nms_top_n(self) -> int:
        return self._pre_nms_top_n["training" if self.training else "testing"]

    def post_nms_top_n(self) -> int:
        return self._post_nms_top_n["training" if self.training else "testing"]

    def assign_targets_to_anchors(self, anchors: list[Tensor], targets: list[dict[str, Tensor]]
                                  ) -> tuple[list[Tensor], list[Tensor]]:
        """Per image, float32 labels of the anchors (1 positive, 0 negative, -1 ignored) and their matched
        ground-truth boxes."""
        labels, matched_gt_boxes = [], []
        for anchors_per_image, targets_per_image in zip(anchors, targets, strict=False):
            gt_boxes = targets_per_image["boxes"]
            if gt_boxes.numel() == 0:
                matched = zeros(anchors_per_image.shape, dtype="float32", device=anchors_per_image.device)
                labels_per_image = zeros((anchors_per_image.shape[0],), dtype="float32",
                                         device=anchors_per_image.device)
            else:
                matched_idxs = self.proposal_matcher(self.box_similarity(gt_boxes, anchors_per_image))
                matched = gt_boxes[matched_idxs.clamp(min=0)]
                labels_per_image = (matched_idxs >= 0).to(dtype="float32")
                labels_per_image[matched_idxs == self.proposal_matcher.BELOW_LOW_THRESHOLD] = 0.0
                labels_per_image[matched_idxs == self.proposal_matcher.BETWEEN_THRESHOLDS] = -1.0
            labels.append(labels_per_image)
            matched_gt_boxes.append(matched)
        return labels, matched_gt_boxes

    def _get_top_n_idx(self, objectness: Tensor, num_anchors_per_level: list[int]) -> Tensor:
        r, offset = [], 0
        for ob in objectness.split(num_anchors_per_level, 1):
            num_anchors = ob.shape[1]
            _, top_n_idx = ob.topk(min(self.pre_nms_top_n(), num_anchors), dim=1)
            r.append(top_n_idx + offset)
            offset += num_anchors
        return cat(r, dim=1)

    def filter_proposals(self, proposals: Tensor, objectness: Tensor, image_shapes: list[tuple[int, int]],
                         num_anchors_per_level: list[int]) -> tuple[list[Tensor], list[Tensor]]:
        num_images = proposals.shape[0]
        device = proposals.device
        objectness = objectness.detach().reshape(num_images, -1)
        levels = cat([full((n,), idx, dtype="int64", device=device)
                      for idx, n in enumerate(num_anchors_per_level)], 0).reshape(1, -1).expand_as(objectness)
        top_n_idx = self._get_top_n_idx(objectness, num_anchors_per_level)
        batch_idx = arange(num_images, device=device)[:, None]
        objectness = objectness[batch_idx, top_n_idx]
        levels = levels[batch_idx, top_n_idx]
        proposals = proposals[batch_idx, top_n_idx]
        objectness_prob = objectness.sigmoid()
        final_boxes, final_scores = [], []
        for boxes, scores, lvl, img_shape in zip(proposals, objectness_prob, levels, image_shapes, strict=False):
            boxes = clip_boxes_to_image(boxes, img_shape)
            keep = remove_small_boxes(boxes, self.min_size)
            boxes, scores, lvl = boxes[keep], scores[keep], lvl[keep]
            keep = where(scores >= self.score_thresh)[0]
            boxes, scores, lvl = boxes[keep], scores[keep], lvl[keep]
            keep = batched_nms(boxes, scores, lvl, self.nms_thresh)[: self.post_nms_top_n()]
            final_boxes.append(boxes[keep])
            final_scores.append(scores[keep])
        return final_boxes, final_scores

    def compute_loss(self, objectness: Tensor, pred_bbox_deltas: Tensor, labels: list[Tensor],
                     regression_targets: list[Tensor]) -> tuple[Tensor, Tensor]:
        """(objectness loss, box loss) over a balanced sample of the anchors."""
        sampled_pos, sampled_neg = self.fg_bg_sampler(labels)
        sampled_pos_inds = where(cat(sampled_pos, dim=0))[0]
        sampled_neg_inds = where(cat(sampled_neg, dim=0))[0]
        sampled_inds = cat([sampled_pos_inds, sampled_neg_inds], dim=0)
        objectness = objectness.flatten()
        labels_all = cat(labels, dim=0)
        targets_all = cat(regression_targets, dim=0)
        box_loss = smooth_l1_loss(pred_bbox_deltas[sampled_pos_inds], targets_all[sampled_pos_inds], beta=1 / 9,
                                  reduction="sum") / sampled_inds.numel()
        # the labels are float32 (torchvision's); torch would take them against float64 logits and answer in
        # float32, ours computes in the logits' dtype
        objectness_loss = binary_cross_entropy_with_logits(objectness[sampled_inds],
                                                           labels_all[sampled_inds].to(objectness.dtype))
        return objectness_loss, box_loss

    def forward(self, images: ImageList, features: dict[str, Tensor],
                targets: list[dict[str, Tensor]] | None = None) -> tuple[list[Tensor], dict[str, Any]]:
        feature_list = list(features.values())
        objectness, pred_bbox_deltas = self.head(feature_list)
        anchors = self.anchor_generator(images, feature_list)
        num_images = len(anchors)
        num_anchors_per_level = [o[0].shape[0] * o[0].shape[1] * o[0].shape[2] for o in objectness]
        objectness, pred_bbox_deltas = concat_box_prediction_layers(objectness, pred_bbox_deltas)
        proposals = self.box_coder.decode(pred_bbox_deltas.detach(), anchors).view(num_images, -1, 4)
        boxes, _ = self.filter_proposals(proposals, objectness, images.image_sizes, num_anchors_per_level)
        losses = {}
        if self.training:
            if targets is None:
                raise ValueError("targets should not be None")
            labels, matched_gt_boxes = self.assign_targets_to_anchors(anchors, targets)
            regression_targets = self.box_coder.encode(matched_gt_boxes, anchors)
            loss_objectness, loss_rpn_box_reg = self.compute_loss(objectness, pred_bbox_deltas, labels,
                                                                  regression_targets)
            losses = {"loss_objectness": loss_objectness, "loss_rpn_box_reg": loss_rpn_box_reg}
        return boxes, losses
