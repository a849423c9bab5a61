"""torchvision's ImageNet ResNets (He et al. 2016): resnet18/34 (BasicBlock), resnet50/101/152 (Bottleneck), and the
Bottleneck variants ResNeXt-50 32×4d (grouped 3×3 convs, Xie et al. 2017) and Wide ResNet-50-2 (twice the inner
width, Zagoruyko & Komodakis 2016).

Same architecture, initialisation scheme and state_dict keys as ``torchvision.models.resnet*``: ``conv1, bn1,
layer{1..4}.{i}.{conv1,bn1,conv2,bn2[,conv3,bn3],downsample.{0,1}}, fc``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import nn
from ...autograd import Tensor
from ._legacy import handle_legacy_interface
from ._weights import Weights, WeightsEnum, load_weights, num_classes_for, overwrite_named_param


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)


def _conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + downsample(x)): (N, inplanes, H, W) -> (N, planes, H/s, W/s)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1×1 reduce to width = planes·(base_width/64)·groups, 3×3 in ``groups`` groups (stride here, as torchvision's
    "ResNet V1.5"), 1×1 expand to planes·4, plus the shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = _conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = _conv3x3(width, width, stride, groups)
        self.bn2 = norm_layer(width)
        self.conv3 = _conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """x (N, 3, H, W), H, W >= 32 -> logits (N, num_classes).

    7×7/2 stem, 3×3/2 max-pool, four stages (64, 128, 256, 512 planes; stride 1, 2, 2, 2), adaptive average
    pool to 1×1, fc. Convs get Kaiming-normal (fan_out) init and BN weight 1, bias 0, as torchvision's;
    ``zero_init_residual`` zeroes each block's last BN weight. ``groups`` and ``width_per_group`` shape the
    Bottleneck's 3×3 convolutions (ResNeXt, Wide ResNet); ``norm_layer`` replaces every BatchNorm2d (detection
    backbones pass ``FrozenBatchNorm2d``).
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: list[int], num_classes: int = 1000,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self._norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.inplanes = 64
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                last = m.bn3 if isinstance(m, Bottleneck) else m.bn2 if isinstance(m, BasicBlock) else None
                if last is not None:
                    nn.init.zeros_(last.weight)

    def _make_layer(self, block: Any, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride), self._norm_layer(planes * block.expansion)
            )
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, self._norm_layer)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         norm_layer=self._norm_layer) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


_URL = "https://download.pytorch.org/models/"


class ResNet18_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnet18-f37072fd.pth")
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnet34-b627a593.pth")
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnet50-0676ba61.pth")
    IMAGENET1K_V2 = Weights(_URL + "resnet50-11ad3fa6.pth")
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnet101-63fe2227.pth")
    IMAGENET1K_V2 = Weights(_URL + "resnet101-cd907fc2.pth")
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnet152-394f9c45.pth")
    IMAGENET1K_V2 = Weights(_URL + "resnet152-f82ba261.pth")
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnext50_32x4d-7cdf4587.pth")
    IMAGENET1K_V2 = Weights(_URL + "resnext50_32x4d-1a0047aa.pth")
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet50_2_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "wide_resnet50_2-95faca4d.pth")
    IMAGENET1K_V2 = Weights(_URL + "wide_resnet50_2-9ba9bcbe.pth")
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnext101_32x8d-8ba56ff5.pth")
    IMAGENET1K_V2 = Weights(_URL + "resnext101_32x8d-110c445d.pth")
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "resnext101_64x4d-173b62eb.pth")
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet101_2_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "wide_resnet101_2-32ee1156.pth")
    IMAGENET1K_V2 = Weights(_URL + "wide_resnet101_2-d733dc28.pth")
    DEFAULT = IMAGENET1K_V2


def _resnet(block: Any, layers: list[int], weights: Any, enum_cls: type[WeightsEnum], kwargs: dict) -> ResNet:
    weights = enum_cls.verify(weights)
    kwargs.pop("progress", None)  # torchvision's download progress bar: nothing is downloaded here
    num_classes_for(weights, kwargs)
    return load_weights(ResNet(block, layers, **kwargs), weights)


@handle_legacy_interface(weights=("pretrained", ResNet18_Weights.IMAGENET1K_V1))
def resnet18(*, weights: ResNet18_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNet-18 (11.7 M parameters at 1000 classes)."""
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, ResNet18_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", ResNet34_Weights.IMAGENET1K_V1))
def resnet34(*, weights: ResNet34_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNet-34."""
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, ResNet34_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", ResNet50_Weights.IMAGENET1K_V1))
def resnet50(*, weights: ResNet50_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNet-50 (Bottleneck blocks)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, ResNet50_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", ResNet101_Weights.IMAGENET1K_V1))
def resnet101(*, weights: ResNet101_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNet-101."""
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, ResNet101_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", ResNet152_Weights.IMAGENET1K_V1))
def resnet152(*, weights: ResNet152_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNet-152."""
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, ResNet152_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", ResNeXt50_32X4D_Weights.IMAGENET1K_V1))
def resnext50_32x4d(*, weights: ResNeXt50_32X4D_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNeXt-50 32×4d: 32 groups of 4 channels in the first stage's 3×3 convolutions."""
    overwrite_named_param(kwargs, "groups", 32)
    overwrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, ResNeXt50_32X4D_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", Wide_ResNet50_2_Weights.IMAGENET1K_V1))
def wide_resnet50_2(*, weights: Wide_ResNet50_2_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's Wide ResNet-50-2: the Bottleneck's inner width doubled (128 per group at the first stage)."""
    overwrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, Wide_ResNet50_2_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", ResNeXt101_32X8D_Weights.IMAGENET1K_V1))
def resnext101_32x8d(*, weights: ResNeXt101_32X8D_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNeXt-101 32×8d."""
    overwrite_named_param(kwargs, "groups", 32)
    overwrite_named_param(kwargs, "width_per_group", 8)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, ResNeXt101_32X8D_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", ResNeXt101_64X4D_Weights.IMAGENET1K_V1))
def resnext101_64x4d(*, weights: ResNeXt101_64X4D_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's ResNeXt-101 64×4d."""
    overwrite_named_param(kwargs, "groups", 64)
    overwrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, ResNeXt101_64X4D_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", Wide_ResNet101_2_Weights.IMAGENET1K_V1))
def wide_resnet101_2(*, weights: Wide_ResNet101_2_Weights | str | None = None, **kwargs: Any) -> ResNet:
    """torchvision's Wide ResNet-101-2."""
    overwrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, Wide_ResNet101_2_Weights, kwargs)
