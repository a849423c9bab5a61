"""``mt.vision.ops``: torchvision.ops with its names: box arithmetic and the IoU family, non-maximum suppression,
detection losses, RoIAlign/RoIPool and MultiScaleRoIAlign, the Feature Pyramid Network, and the building-block
layers (``Conv2dNormActivation``, ``SqueezeExcitation``, ``StochasticDepth``, ``DropBlock2d``,
``FrozenBatchNorm2d``, ``MLP``, ``Permute``)."""

from .boxes import (
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    complete_box_iou,
    distance_box_iou,
    generalized_box_iou,
    masks_to_boxes,
    remove_small_boxes,
)
from .drop_block import DropBlock2d, drop_block2d
from .feature_pyramid_network import ExtraFPNBlock, FeaturePyramidNetwork, LastLevelMaxPool, LastLevelP6P7
from .losses import complete_box_iou_loss, distance_box_iou_loss, generalized_box_iou_loss, sigmoid_focal_loss
from .misc import MLP, Conv2dNormActivation, FrozenBatchNorm2d, Permute, SqueezeExcitation
from .nms import batched_nms, nms
from .poolers import MultiScaleRoIAlign
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = [
    "MLP", "Conv2dNormActivation", "DropBlock2d", "FrozenBatchNorm2d", "MultiScaleRoIAlign", "Permute", "RoIAlign",
    "RoIPool",
    "SqueezeExcitation", "StochasticDepth", "batched_nms", "box_area", "box_convert", "box_iou",
    "clip_boxes_to_image", "complete_box_iou", "complete_box_iou_loss", "distance_box_iou", "distance_box_iou_loss",
    "drop_block2d", "generalized_box_iou", "generalized_box_iou_loss", "masks_to_boxes", "nms", "remove_small_boxes",
    "roi_align", "roi_pool", "sigmoid_focal_loss", "stochastic_depth",
]
__all__ += ["ExtraFPNBlock", "FeaturePyramidNetwork", "LastLevelMaxPool", "LastLevelP6P7"]
