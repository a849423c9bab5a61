"""Mask R-CNN (He et al. 2017), as torchvision.models.detection.mask_rcnn: Faster R-CNN plus a mask branch on
the RoIs — MultiScaleRoIAlign 14×14 on levels "0".."3", ``MaskRCNNHeads`` (four 3×3 conv + ReLU of 256) and
``MaskRCNNPredictor`` (2×2/2 transposed conv + ReLU, 1×1 conv to one mask logit map per class);
``maskrcnn_resnet50_fpn_v2`` is faster_rcnn's v2 recipe with BatchNorm in the mask head."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .... import nn
from ...ops import Conv2dNormActivation, MultiScaleRoIAlign
from .._legacy import handle_legacy_interface
from .._weights import Weights, WeightsEnum
from ..resnet import ResNet50_Weights
from .faster_rcnn import FasterRCNN, _load_weights, _resnet50_fpn, _v2_heads


class MaskRCNNHeads(nn.Sequential):
    """3×3 conv (+ optional norm) + ReLU for each width in ``layers``, keys ``{i}.0``: (K, C, 14, 14) ->
    (K, layers[-1], 14, 14)."""

    _version = 2

    def __init__(self, in_channels: int, layers: list[int] | tuple[int, ...], dilation: int,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        blocks = []
        next_feature = in_channels
        for layer_features in layers:
            blocks.append(Conv2dNormActivation(next_feature, layer_features, kernel_size=3, stride=1,
                                               padding=dilation, dilation=dilation, norm_layer=norm_layer))
            next_feature = layer_features
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)


    def _load_from_state_dict(self, state_dict: dict, prefix: str, expected: set, missing: list, errors: list,
                              copies: list) -> None:
        # checkpoints older than the version-2 layout (torchvision's COCO_V1 file) name the convs mask_fcn1..4
        for i in range(len(self)):
            for kind in ("weight", "bias"):
                if f"{prefix}mask_fcn{i + 1}.{kind}" in state_dict:
                    state_dict[f"{prefix}{i}.0.{kind}"] = state_dict.pop(f"{prefix}mask_fcn{i + 1}.{kind}")
        super()._load_from_state_dict(state_dict, prefix, expected, missing, errors, copies)


class MaskRCNNPredictor(nn.Sequential):
    """Mask logits (K, num_classes, 2S, 2S) from mask features (K, in_channels, S, S)."""

    def __init__(self, in_channels: int, dim_reduced: int, num_classes: int) -> None:
        super().__init__(OrderedDict([
            ("conv5_mask", nn.ConvTranspose2d(in_channels, dim_reduced, 2, 2, 0)),
            ("relu", nn.ReLU(inplace=True)),
            ("mask_fcn_logits", nn.Conv2d(dim_reduced, num_classes, 1, 1, 0)),
        ]))
        for name, param in self.named_parameters():
            if "weight" in name:
                nn.init.kaiming_normal_(param, mode="fan_out", nonlinearity="relu")


class MaskRCNN(FasterRCNN):
    """Mask R-CNN around ``backbone``: FasterRCNN's arguments plus ``mask_roi_pool``, ``mask_head`` and
    ``mask_predictor``. Training targets also carry "masks" (N, H, W) uint8; evaluation results also carry
    "masks" (K, 1, H, W), probabilities pasted into the original image frame."""

    def __init__(self, backbone: nn.Module, num_classes: int | None = None, *args: Any,
                 mask_roi_pool: MultiScaleRoIAlign | None = None, mask_head: nn.Module | None = None,
                 mask_predictor: nn.Module | None = None, **kwargs: Any) -> None:
        if not isinstance(mask_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(f"mask_roi_pool should be of type MultiScaleRoIAlign or None instead of "
                            f"{type(mask_roi_pool)}")
        if num_classes is not None and mask_predictor is not None:
            raise ValueError("num_classes should be None when mask_predictor is specified")
        out_channels = backbone.out_channels
        if mask_roi_pool is None:
            mask_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=14, sampling_ratio=2)
        if mask_head is None:
            mask_head = MaskRCNNHeads(out_channels, (256, 256, 256, 256), 1)
        if mask_predictor is None:
            mask_predictor = MaskRCNNPredictor(256, 256, num_classes)
        super().__init__(backbone, num_classes, *args, **kwargs)
        self.roi_heads.mask_roi_pool = mask_roi_pool
        self.roi_heads.mask_head = mask_head
        self.roi_heads.mask_predictor = mask_predictor


class MaskRCNN_ResNet50_FPN_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    COCO_V1 = Weights("https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", 91)
    DEFAULT = COCO_V1


class MaskRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    COCO_V1 = Weights("https://download.pytorch.org/models/maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth", 91)
    DEFAULT = COCO_V1


@handle_legacy_interface(weights=("pretrained", MaskRCNN_ResNet50_FPN_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def maskrcnn_resnet50_fpn(*, weights: MaskRCNN_ResNet50_FPN_Weights | str | None = None, progress: bool = True,
                          num_classes: int | None = None, weights_backbone: ResNet50_Weights | str | None = None,
                          trainable_backbone_layers: int | None = None, **kwargs: Any) -> MaskRCNN:
    """torchvision's Mask R-CNN ResNet-50-FPN (44.4 M parameters at 91 classes); ``weights`` are read from disk
    (see ``WeightsEnum``), ``progress`` is accepted and unused (nothing is downloaded)."""
    weights = MaskRCNN_ResNet50_FPN_Weights.verify(weights)
    backbone, num_classes = _resnet50_fpn(weights, weights_backbone, num_classes, trainable_backbone_layers)
    model = MaskRCNN(backbone, num_classes=num_classes, **kwargs)
    return _load_weights(model, weights, zero_eps=weights == MaskRCNN_ResNet50_FPN_Weights.COCO_V1)


@handle_legacy_interface(weights=("pretrained", MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def maskrcnn_resnet50_fpn_v2(*, weights: MaskRCNN_ResNet50_FPN_V2_Weights | str | None = None, progress: bool = True,
                             num_classes: int | None = None, weights_backbone: ResNet50_Weights | str | None = None,
                             trainable_backbone_layers: int | None = None, **kwargs: Any) -> MaskRCNN:
    """torchvision's improved Mask R-CNN ResNet-50-FPN (46.4 M parameters at 91 classes)."""
    weights = MaskRCNN_ResNet50_FPN_V2_Weights.verify(weights)
    backbone, num_classes = _resnet50_fpn(weights, weights_backbone, num_classes, trainable_backbone_layers, v2=True)
    mask_head = MaskRCNNHeads(backbone.out_channels, [256, 256, 256, 256], 1, norm_layer=nn.BatchNorm2d)
    model = MaskRCNN(backbone, num_classes=num_classes, **_v2_heads(backbone.out_channels), mask_head=mask_head,
                     **kwargs)
    return _load_weights(model, weights)
