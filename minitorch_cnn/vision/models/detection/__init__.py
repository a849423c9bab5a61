"""``mt.vision.models.detection``: torchvision's two-stage detectors (Faster R-CNN, Mask R-CNN) with its module
names and state_dict keys, and the pieces they are built from (transform, anchors, RPN, RoI heads)."""

from .._api import register_builders
from .anchor_utils import AnchorGenerator
from .backbone_utils import BackboneWithFPN
from .faster_rcnn import (
    FasterRCNN,
    FasterRCNN_ResNet50_FPN_V2_Weights,
    FasterRCNN_ResNet50_FPN_Weights,
    FastRCNNConvFCHead,
    FastRCNNPredictor,
    TwoMLPHead,
    fasterrcnn_resnet50_fpn,
    fasterrcnn_resnet50_fpn_v2,
)
from .generalized_rcnn import GeneralizedRCNN
from .image_list import ImageList
from .mask_rcnn import (
    MaskRCNN,
    MaskRCNN_ResNet50_FPN_V2_Weights,
    MaskRCNN_ResNet50_FPN_Weights,
    MaskRCNNHeads,
    MaskRCNNPredictor,
    maskrcnn_resnet50_fpn,
    maskrcnn_resnet50_fpn_v2,
)
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform

__all__ = [
    "AnchorGenerator", "BackboneWithFPN", "FastRCNNPredictor", "FasterRCNN", "FasterRCNN_ResNet50_FPN_Weights",
    "GeneralizedRCNN", "GeneralizedRCNNTransform", "ImageList", "MaskRCNN", "MaskRCNNHeads", "MaskRCNNPredictor",
    "MaskRCNN_ResNet50_FPN_Weights", "RPNHead", "RegionProposalNetwork", "RoIHeads", "TwoMLPHead",
    "fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn",
]
__all__ += ["FastRCNNConvFCHead", "FasterRCNN_ResNet50_FPN_V2_Weights", "MaskRCNN_ResNet50_FPN_V2_Weights",
            "fasterrcnn_resnet50_fpn_v2", "maskrcnn_resnet50_fpn_v2"]

register_builders(globals())
