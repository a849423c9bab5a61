"""Mask R-CNN's mask arithmetic, as torchvision.models.detection.roi_heads: targets cut from the ground-truth
masks, the loss, the inference-time choice of each box's class mask, and pasting masks back into the image.

    targets:   roi_align(gt_mask[matched], box, M×M, scale 1, sampling_ratio 0) per positive proposal
    loss:      mean BCE-with-logits of the logits of each proposal's ground-truth class against its target
    inference: sigmoid of the logits of the predicted class, (K, 1, M, M)
    paste:     pad the M×M mask by 1 (scale (M + 2)/M), widen the box about its centre by that scale, round it to
               int64, resize the mask bilinearly to the box's (h + 1, w + 1) and copy the part inside the image
"""

from __future__ import annotations

from ....autograd import Tensor
from ....nn.functional import binary_cross_entropy_with_logits
from ....ops.factories import arange, zeros
from ....ops.interpolate import interpolate
from ....ops.padding import pad
from ....ops.shape import cat, stack
from ...ops import roi_align


def maskrcnn_inference(x: Tensor, labels: list[Tensor]) -> tuple[Tensor, ...]:
    """Mask logits (ΣK, classes, M, M) -> per image the probabilities of each box's label (K, 1, M, M)."""
    mask_prob = x.sigmoid()
    boxes_per_image = [label.shape[0] for label in labels]
    labels_all = cat(labels)
    index = arange(x.shape[0], device=labels_all.device)
    return mask_prob[index, labels_all][:, None].split(boxes_per_image, dim=0)


def project_masks_on_boxes(gt_masks: Tensor, boxes: Tensor, matched_idxs: Tensor, M: int) -> Tensor:  # noqa: N803
    """The ground-truth masks (G, H, W) cut to the proposals (K, 4) of their matches and resized: (K, M, M)."""
    matched = matched_idxs.to(boxes.dtype)
    rois = cat([matched[:, None], boxes], dim=1)
    return roi_align(gt_masks[:, None].to(rois.dtype), rois, (M, M), 1.0)[:, 0]


def maskrcnn_loss(mask_logits: Tensor, proposals: list[Tensor], gt_masks: list[Tensor], gt_labels: list[Tensor],
                  mask_matched_idxs: list[Tensor]) -> Tensor:
    """Mean binary cross-entropy of each positive proposal's class mask against its projected target."""
    discretization_size = mask_logits.shape[-1]
    labels = cat([gt_label[idxs] for gt_label, idxs in zip(gt_labels, mask_matched_idxs, strict=False)], dim=0)
    mask_targets = cat([project_masks_on_boxes(m, p, i, discretization_size)
                        for m, p, i in zip(gt_masks, proposals, mask_matched_idxs, strict=False)], dim=0)
    if mask_targets.numel() == 0:
        return mask_logits.sum() * 0
    return binary_cross_entropy_with_logits(mask_logits[arange(labels.shape[0], device=labels.device), labels],
                                            mask_targets)


def expand_boxes(boxes: Tensor, scale: float) -> Tensor:
    """xyxy boxes (N, 4) widened about their centres by ``scale``."""
    w_half = (boxes[:, 2] - boxes[:, 0]) * 0.5 * scale
    h_half = (boxes[:, 3] - boxes[:, 1]) * 0.5 * scale
    x_c = (boxes[:, 2] + boxes[:, 0]) * 0.5
    y_c = (boxes[:, 3] + boxes[:, 1]) * 0.5
    return stack((x_c - w_half, y_c - h_half, x_c + w_half, y_c + h_half), dim=1)


def expand_masks(mask: Tensor, padding: int) -> tuple[Tensor, float]:
    """Masks (N, 1, M, M) zero-padded by ``padding`` on each side, and the scale (M + 2·padding) / M."""
    m = mask.shape[-1]
    return pad(mask, (padding,) * 4), float(m + 2 * padding) / m


def paste_mask_in_image(mask: Tensor, box: list[int], im_h: int, im_w: int) -> Tensor:
    """One mask (M, M) resized to the integer box (x0, y0, x1, y1) and placed in an (im_h, im_w) zero image."""
    w = max(int(box[2] - box[0] + 1), 1)
    h = max(int(box[3] - box[1] + 1), 1)
    mask = interpolate(mask.expand((1, 1, -1, -1)), size=(h, w), mode="bilinear", align_corners=False)[0][0]
    im_mask = zeros((im_h, im_w), dtype=mask.dtype, device=mask.device)
    x_0, x_1 = max(box[0], 0), min(box[2] + 1, im_w)
    y_0, y_1 = max(box[1], 0), min(box[3] + 1, im_h)
    if x_1 > x_0 and y_1 > y_0:
        im_mask[y_0:y_1, x_0:x_1] = mask[(y_0 - box[1]):(y_1 - box[1]), (x_0 - box[0]):(x_1 - box[0])]
    return im_mask


def paste_masks_in_image(masks: Tensor, boxes: Tensor, img_shape: tuple[int, int], padding: int = 1) -> Tensor:
    """Masks (N, 1, M, M) of the xyxy ``boxes`` (N, 4) pasted into images of ``img_shape``: (N, 1, H, W)."""
    masks, scale = expand_masks(masks, padding=padding)
    int_boxes = expand_boxes(boxes, scale).to("int64").tolist()
    im_h, im_w = img_shape
    res = [paste_mask_in_image(m[0], b, im_h, im_w) for m, b in zip(masks, int_boxes, strict=False)]
    if res:
        return stack(res, dim=0)[:, None]
    return masks.new_empty((0, 1, im_h, im_w))
