"""Faster R-CNN (Ren et al. 2015), as torchvision.models.detection.faster_rcnn: ``FasterRCNN`` assembles the
transform, the RPN (anchors of sizes 32..512 over five FPN levels, three aspect ratios) and the RoI heads
(MultiScaleRoIAlign 7×7 on levels "0".."3", ``TwoMLPHead`` of 1024, ``FastRCNNPredictor``) around a backbone with
an ``out_channels`` attribute; ``fasterrcnn_resnet50_fpn`` builds the ResNet-50-FPN model with torchvision's
state_dict keys, so its COCO checkpoint loads; ``fasterrcnn_resnet50_fpn_v2`` (Li et al. 2021, "Benchmarking
Detection Transfer Learning with Vision Transformers") adds BatchNorm to the FPN, a second RPN convolution and
``FastRCNNConvFCHead`` (four 3×3 conv-BN-ReLU, one Linear of 1024)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .... import nn
from ....autograd import Tensor
from ....nn.functional import relu
from ...ops import Conv2dNormActivation, FrozenBatchNorm2d, MultiScaleRoIAlign
from .._legacy import handle_legacy_interface
from .._weights import Weights, WeightsEnum
from ..resnet import ResNet50_Weights, resnet50
from ._utils import overwrite_eps
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from .generalized_rcnn import GeneralizedRCNN
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform


def _default_anchorgen() -> AnchorGenerator:
    anchor_sizes = ((32,), (64,), (128,), (256,), (512,))
    return AnchorGenerator(anchor_sizes, ((0.5, 1.0, 2.0),) * len(anchor_sizes))


class TwoMLPHead(nn.Module):
    """relu(fc7(relu(fc6(flatten(x))))): pooled features (K, C, 7, 7) -> (K, representation_size)."""

    def __init__(self, in_channels: int, representation_size: int) -> None:
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x: Tensor) -> Tensor:
        return relu(self.fc7(relu(self.fc6(x.flatten(start_dim=1)))))


class FastRCNNConvFCHead(nn.Sequential):
    """3×3 Conv2dNormActivation for each width in ``conv_layers``, Flatten, Linear + ReLU for each width in
    ``fc_layers``: pooled features (K, C, H, W) with ``input_size`` (C, H, W) -> (K, fc_layers[-1])."""

    def __init__(self, input_size: tuple[int, int, int], conv_layers: list[int], fc_layers: list[int],
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        in_channels, in_height, in_width = input_size
        blocks: list[nn.Module] = []
        previous_channels = in_channels
        for current_channels in conv_layers:
            blocks.append(Conv2dNormActivation(previous_channels, current_channels, norm_layer=norm_layer))
            previous_channels = current_channels
        blocks.append(nn.Flatten())
        previous_channels = previous_channels * in_height * in_width
        for current_channels in fc_layers:
            blocks.append(nn.Linear(previous_channels, current_channels))
            blocks.append(nn.ReLU(inplace=True))
            previous_channels = current_channels
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)


class FastRCNNPredictor(nn.Module):
    """Class logits (K, num_classes) and per-class box deltas (K, 4·num_classes) from features (K, in_channels)
    (or (K, in_channels, 1, 1)); ``num_classes`` counts the background."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.dim() == 4 and list(x.shape[2:]) != [1, 1]:
            raise AssertionError(f"x has the wrong shape, expecting the last two dimensions to be [1,1] instead of "
                                 f"{list(x.shape[2:])}")
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x)


class FasterRCNN(GeneralizedRCNN):
    """Faster R-CNN around ``backbone`` (which must have ``out_channels``), torchvision's arguments and defaults:
    give ``num_classes`` (background included) or your own ``box_predictor``. Training: ``model(images,
    targets)`` with targets [{"boxes": (N, 4) float xyxy, "labels": (N,) int64}] -> dict of four losses;
    evaluation: ``model(images)`` -> [{"boxes", "labels", "scores"}] in the original image coordinates."""

    def __init__(self, backbone: nn.Module, num_classes: int | None = None, min_size: int = 800,
                 max_size: int = 1333, image_mean: list[float] | None = None, image_std: list[float] | None = None,
                 rpn_anchor_generator: AnchorGenerator | None = None, rpn_head: nn.Module | None = None,
                 rpn_pre_nms_top_n_train: int = 2000, rpn_pre_nms_top_n_test: int = 1000,
                 rpn_post_nms_top_n_train: int = 2000, rpn_post_nms_top_n_test: int = 1000,
                 rpn_nms_thresh: float = 0.7, rpn_fg_iou_thresh: float = 0.7, rpn_bg_iou_thresh: float = 0.3,
                 rpn_batch_size_per_image: int = 256, rpn_positive_fraction: float = 0.5,
                 rpn_score_thresh: float = 0.0, box_roi_pool: MultiScaleRoIAlign | None = None,
                 box_head: nn.Module | None = None, box_predictor: nn.Module | None = None,
                 box_score_thresh: float = 0.05, box_nms_thresh: float = 0.5, box_detections_per_img: int = 100,
                 box_fg_iou_thresh: float = 0.5, box_bg_iou_thresh: float = 0.5,
                 box_batch_size_per_image: int = 512, box_positive_fraction: float = 0.25,
                 bbox_reg_weights: tuple[float, float, float, float] | None = None, **kwargs: Any) -> None:
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the number of output "
                             "channels (assumed to be the same for all the levels)")
        if not isinstance(rpn_anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"rpn_anchor_generator should be of type AnchorGenerator or None instead of "
                            f"{type(rpn_anchor_generator)}")
        if not isinstance(box_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(f"box_roi_pool should be of type MultiScaleRoIAlign or None instead of "
                            f"{type(box_roi_pool)}")
        if num_classes is not None and box_predictor is not None:
            raise ValueError("num_classes should be None when box_predictor is specified")
        if num_classes is None and box_predictor is None:
            raise ValueError("num_classes should not be None when box_predictor is not specified")
        out_channels = backbone.out_channels
        if rpn_anchor_generator is None:
            rpn_anchor_generator = _default_anchorgen()
        if rpn_head is None:
            rpn_head = RPNHead(out_channels, rpn_anchor_generator.num_anchors_per_location()[0])
        rpn = RegionProposalNetwork(
            rpn_anchor_generator, rpn_head, rpn_fg_iou_thresh, rpn_bg_iou_thresh, rpn_batch_size_per_image,
            rpn_positive_fraction, {"training": rpn_pre_nms_top_n_train, "testing": rpn_pre_nms_top_n_test},
            {"training": rpn_post_nms_top_n_train, "testing": rpn_post_nms_top_n_test}, rpn_nms_thresh,
            score_thresh=rpn_score_thresh)
        if box_roi_pool is None:
            box_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=7, sampling_ratio=2)
        if box_head is None:
            resolution = box_roi_pool.output_size[0]
            box_head = TwoMLPHead(out_channels * resolution**2, 1024)
        if box_predictor is None:
            box_predictor = FastRCNNPredictor(1024, num_classes)
        roi_heads = RoIHeads(box_roi_pool, box_head, box_predictor, box_fg_iou_thresh, box_bg_iou_thresh,
                             box_batch_size_per_image, box_positive_fraction, bbox_reg_weights, box_score_thresh,
                             box_nms_thresh, box_detections_per_img)
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        super().__init__(backbone, rpn, roi_heads, transform)


class FasterRCNN_ResNet50_FPN_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    COCO_V1 = Weights("https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", 91)
    DEFAULT = COCO_V1


class FasterRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    COCO_V1 = Weights("https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth", 91)
    DEFAULT = COCO_V1


def _resnet50_fpn(weights: WeightsEnum | None, weights_backbone: Any, num_classes: int | None,
                  trainable_backbone_layers: int | None, v2: bool = False) -> tuple[nn.Module, int]:
    """The ResNet-50-FPN backbone and the number of classes, by torchvision's rules for pretrained weights: a
    detector's weights fix ``num_classes`` (91) and skip the backbone's; any pretrained weights freeze all but
    ``trainable_backbone_layers`` (default 3) stages, and BatchNorm too (``v2``: never frozen, and in the FPN)."""
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        if num_classes is not None and num_classes != weights.value.num_classes:
            raise ValueError(f"The parameter 'num_classes' expected value {weights.value.num_classes} but got "
                             f"{num_classes} instead.")
        num_classes = weights.value.num_classes
    elif num_classes is None:
        num_classes = 91
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    norm_layer = FrozenBatchNorm2d if is_trained and not v2 else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, norm_layer=norm_layer)
    fpn_norm = nn.BatchNorm2d if v2 else None
    return _resnet_fpn_extractor(backbone, trainable_backbone_layers, norm_layer=fpn_norm), num_classes


_Detector = TypeVar("_Detector", bound=FasterRCNN)


def _load_weights(model: _Detector, weights: WeightsEnum | None, zero_eps: bool = False) -> _Detector:
    """``model`` with the detector ``weights`` loaded when given; ``zero_eps`` for the v1 COCO checkpoints, trained
    with FrozenBatchNorm2d's eps at 0 (torchvision's ``overwrite_eps``)."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict())
        if zero_eps:
            overwrite_eps(model, 0.0)
    return model


@handle_legacy_interface(weights=("pretrained", FasterRCNN_ResNet50_FPN_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fasterrcnn_resnet50_fpn(*, weights: FasterRCNN_ResNet50_FPN_Weights | str | None = None, progress: bool = True,
                            num_classes: int | None = None, weights_backbone: ResNet50_Weights | str | None = None,
                            trainable_backbone_layers: int | None = None, **kwargs: Any) -> FasterRCNN:
    """torchvision's Faster R-CNN ResNet-50-FPN (41.8 M parameters at 91 classes); ``weights`` are read from disk
    (see ``WeightsEnum``), ``progress`` is accepted and unused (nothing is downloaded)."""
    weights = FasterRCNN_ResNet50_FPN_Weights.verify(weights)
    backbone, num_classes = _resnet50_fpn(weights, weights_backbone, num_classes, trainable_backbone_layers)
    model = FasterRCNN(backbone, num_classes=num_classes, **kwargs)
    return _load_weights(model, weights, zero_eps=weights == FasterRCNN_ResNet50_FPN_Weights.COCO_V1)


def _v2_heads(out_channels: int) -> dict[str, nn.Module]:
    """The v2 recipe's anchor generator, two-convolution RPN head and conv-FC box head."""
    anchor_generator = _default_anchorgen()
    return {"rpn_anchor_generator": anchor_generator,
            "rpn_head": RPNHead(out_channels, anchor_generator.num_anchors_per_location()[0], conv_depth=2),
            "box_head": FastRCNNConvFCHead((out_channels, 7, 7), [256, 256, 256, 256], [1024],
                                           norm_layer=nn.BatchNorm2d)}


@handle_legacy_interface(weights=("pretrained", FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fasterrcnn_resnet50_fpn_v2(*, weights: FasterRCNN_ResNet50_FPN_V2_Weights | str | None = None,
                               progress: bool = True, num_classes: int | None = None,
                               weights_backbone: ResNet50_Weights | str | None = None,
                               trainable_backbone_layers: int | None = None, **kwargs: Any) -> FasterRCNN:
    """torchvision's improved Faster R-CNN ResNet-50-FPN (43.7 M parameters at 91 classes); see the module notes."""
    weights = FasterRCNN_ResNet50_FPN_V2_Weights.verify(weights)
    backbone, num_classes = _resnet50_fpn(weights, weights_backbone, num_classes, trainable_backbone_layers, v2=True)
    model = FasterRCNN(backbone, num_classes=num_classes, **_v2_heads(backbone.out_channels), **kwargs)
    return _load_weights(model, weights)
