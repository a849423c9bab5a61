"""``mt.vision.models``: torchvision's ImageNet architectures with its state_dict keys, so its ``.pth`` files load
with ``mt.load`` + ``load_state_dict`` (our CIFAR zoo is ``mt.models``), and torchvision's registry
(``list_models``, ``get_model``, ...) over every builder here."""

from . import detection
from ._api import get_model, get_model_builder, get_model_weights, get_weight, list_models, register_builders
from ._weights import Weights, WeightsEnum
from .alexnet import AlexNet, AlexNet_Weights, alexnet
from .densenet import (
    DenseNet,
    DenseNet121_Weights,
    DenseNet161_Weights,
    DenseNet169_Weights,
    DenseNet201_Weights,
    densenet121,
    densenet161,
    densenet169,
    densenet201,
)
from .efficientnet import (
    EfficientNet,
    EfficientNet_B0_Weights,
    EfficientNet_B1_Weights,
    EfficientNet_B2_Weights,
    EfficientNet_B3_Weights,
    EfficientNet_B4_Weights,
    EfficientNet_B5_Weights,
    EfficientNet_B6_Weights,
    EfficientNet_B7_Weights,
    EfficientNet_V2_L_Weights,
    EfficientNet_V2_M_Weights,
    EfficientNet_V2_S_Weights,
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnet_b4,
    efficientnet_b5,
    efficientnet_b6,
    efficientnet_b7,
    efficientnet_v2_l,
    efficientnet_v2_m,
    efficientnet_v2_s,
)
from .googlenet import GoogLeNet, GoogLeNet_Weights, GoogLeNetOutputs, googlenet
from .inception import Inception3, Inception_V3_Weights, InceptionOutputs, inception_v3
from .mnasnet import (
    MNASNet,
    MNASNet0_5_Weights,
    MNASNet0_75_Weights,
    MNASNet1_0_Weights,
    MNASNet1_3_Weights,
    mnasnet0_5,
    mnasnet0_75,
    mnasnet1_0,
    mnasnet1_3,
)
from .mobilenetv2 import MobileNet_V2_Weights, MobileNetV2, mobilenet_v2
from .mobilenetv3 import (
    MobileNet_V3_Large_Weights,
    MobileNet_V3_Small_Weights,
    MobileNetV3,
    mobilenet_v3_large,
    mobilenet_v3_small,
)
from .resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
    ResNeXt50_32X4D_Weights,
    ResNeXt101_32X8D_Weights,
    ResNeXt101_64X4D_Weights,
    Wide_ResNet50_2_Weights,
    Wide_ResNet101_2_Weights,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    resnext101_32x8d,
    resnext101_64x4d,
    wide_resnet50_2,
    wide_resnet101_2,
)
from .shufflenetv2 import (
    ShuffleNet_V2_X0_5_Weights,
    ShuffleNet_V2_X1_0_Weights,
    ShuffleNet_V2_X1_5_Weights,
    ShuffleNet_V2_X2_0_Weights,
    ShuffleNetV2,
    shufflenet_v2_x0_5,
    shufflenet_v2_x1_0,
    shufflenet_v2_x1_5,
    shufflenet_v2_x2_0,
)
from .squeezenet import SqueezeNet, SqueezeNet1_0_Weights, SqueezeNet1_1_Weights, squeezenet1_0, squeezenet1_1
from .vgg import (
    VGG,
    VGG11_BN_Weights,
    VGG11_Weights,
    VGG13_BN_Weights,
    VGG13_Weights,
    VGG16_BN_Weights,
    VGG16_Weights,
    VGG19_BN_Weights,
    VGG19_Weights,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)
from .vision_transformer import (
    VisionTransformer,
    ViT_B_16_Weights,
    ViT_B_32_Weights,
    ViT_L_16_Weights,
    ViT_L_32_Weights,
    vit_b_16,
    vit_b_32,
    vit_l_16,
    vit_l_32,
)

__all__ = [
    "AlexNet", "AlexNet_Weights", "BasicBlock", "Bottleneck", "DenseNet", "DenseNet121_Weights", "EfficientNet",
    "EfficientNet_B0_Weights", "MobileNet_V2_Weights", "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights",
    "MobileNetV2", "MobileNetV3", "ResNet", "ResNet101_Weights", "ResNet152_Weights", "ResNet18_Weights",
    "ResNet34_Weights", "ResNet50_Weights", "ResNeXt50_32X4D_Weights", "ShuffleNet_V2_X0_5_Weights",
    "ShuffleNet_V2_X1_0_Weights", "ShuffleNetV2", "SqueezeNet", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights",
    "VGG", "VGG11_BN_Weights", "VGG11_Weights", "VGG13_BN_Weights", "VGG13_Weights", "VGG16_BN_Weights",
    "VGG16_Weights", "VGG19_BN_Weights", "VGG19_Weights", "Weights", "WeightsEnum", "Wide_ResNet50_2_Weights",
    "alexnet", "densenet121", "efficientnet_b0", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
    "resnet101", "resnet152", "resnet18", "resnet34", "resnet50", "resnext50_32x4d", "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0", "squeezenet1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
    "vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet50_2",
]
__all__ += ["ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_L_16_Weights", "ViT_L_32_Weights", "VisionTransformer",
            "vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32"]
__all__ += [
    "DenseNet161_Weights", "DenseNet169_Weights", "DenseNet201_Weights", "EfficientNet_B1_Weights",
    "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights", "EfficientNet_B5_Weights",
    "EfficientNet_B6_Weights", "EfficientNet_B7_Weights", "EfficientNet_V2_L_Weights", "EfficientNet_V2_M_Weights",
    "EfficientNet_V2_S_Weights", "GoogLeNet", "GoogLeNetOutputs", "GoogLeNet_Weights", "Inception3",
    "InceptionOutputs", "Inception_V3_Weights", "MNASNet", "MNASNet0_5_Weights", "MNASNet0_75_Weights",
    "MNASNet1_0_Weights", "MNASNet1_3_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
    "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights", "Wide_ResNet101_2_Weights", "densenet161",
    "densenet169", "densenet201", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4",
    "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_l", "efficientnet_v2_m",
    "efficientnet_v2_s", "get_model", "get_model_builder", "get_model_weights", "get_weight", "googlenet",
    "inception_v3", "list_models", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3", "resnext101_32x8d",
    "resnext101_64x4d", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "wide_resnet101_2",
]

register_builders(globals())  # after every import: each builder taking ``weights=`` joins the registry
