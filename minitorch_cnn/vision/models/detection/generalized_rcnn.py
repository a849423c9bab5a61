"""``GeneralizedRCNN``: the two-stage detector's skeleton, as torchvision.models.detection.generalized_rcnn:
transform -> backbone -> RPN -> RoI heads -> transform.postprocess. Training returns the dict of losses,
evaluation the list of per-image detections (dicts of "boxes", "labels", "scores" and, for Mask R-CNN, "masks")."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from .... import nn
from ....autograd import Tensor


class GeneralizedRCNN(nn.Module):
    """images (list of (C, H, W) in [0, 1]) [+ targets] -> losses (training) or detections (evaluation)."""

    def __init__(self, backbone: nn.Module, rpn: nn.Module, roi_heads: nn.Module, transform: nn.Module) -> None:
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads

    def eager_outputs(self, losses: dict[str, Tensor], detections: list[dict[str, Tensor]]) -> Any:
        return losses if self.training else detections

    def _check_targets(self, targets: list[dict[str, Tensor]] | None) -> None:
        if targets is None:
            raise AssertionError("targets should not be none when in training mode")
        for target in targets:
            boxes = target["boxes"]
            if not isinstance(boxes, Tensor):
                raise AssertionError(f"Expected target boxes to be of type Tensor, got {type(boxes)}.")
            if not (len(boxes.shape) == 2 and boxes.shape[-1] == 4):
                raise AssertionError(f"Expected target boxes to be a tensor of shape [N, 4], got "
                                     f"{list(boxes.shape)}.")

    def forward(self, images: list[Tensor], targets: list[dict[str, Tensor]] | None = None) -> Any:
        if self.training:
            self._check_targets(targets)
        original_image_sizes = [tuple(img.shape[-2:]) for img in images]
        images, targets = self.transform(images, targets)
        if targets is not None:
            for target_idx, target in enumerate(targets):
                boxes = target["boxes"]
                degenerate = (boxes[:, 2:] <= boxes[:, :2]).any(dim=1)
                if degenerate.any():
                    degen_bb = boxes[degenerate.nonzero()[0, 0]].tolist()
                    raise AssertionError(f"All bounding boxes should have positive height and width. Found invalid "
                                         f"box {degen_bb} for target at index {target_idx}.")
        features = self.backbone(images.tensors)
        if isinstance(features, Tensor):
            features = OrderedDict([("0", features)])
        proposals, proposal_losses = self.rpn(images, features, targets)
        detections, detector_losses = self.roi_heads(features, proposals, images.image_sizes, targets)
        detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        losses = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)
        return self.eager_outputs(losses, detections)
