"""torchvision's DenseNet-121 (Huang et al. 2017): each layer of a dense block sees the concatenation of all
earlier outputs (BN-ReLU-1×1 conv to bn_size·k, BN-ReLU-3×3 conv to k = growth_rate channels); transitions halve
the channels and the size. Same architecture, init and state_dict keys (``features.denseblock{b}.denselayer{l}.
{norm1,conv1,norm2,conv2}``, ``features.transition{b}``, ``features.norm5``, ``classifier``).

torchvision's published DenseNet files use older keys (``...norm.1.weight`` for ``...norm1.weight``); the weights
enum renames them on load as torchvision does. ``memory_efficient`` (torch's gradient checkpointing of the
bottleneck) is accepted and computes the same numbers without the memory saving.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from ... import nn
from ...autograd import Tensor
from ...ops.shape import cat, flatten
from ._legacy import handle_legacy_interface
from ._weights import Weights, WeightsEnum, num_classes_for


class _DenseLayer(nn.Module):
    """features [(N, C_i, H, W), ...] -> (N, growth_rate, H, W)."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float,
                 memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs: list[Tensor]) -> Tensor:
        return self.conv1(self.relu1(self.norm1(cat(inputs, 1))))

    def forward(self, input: Tensor | list[Tensor]) -> Tensor:  # noqa: A002 - torchvision's name
        prev_features = [input] if isinstance(input, Tensor) else input
        new_features = self.conv2(self.relu2(self.norm2(self.bn_function(prev_features))))
        if self.drop_rate > 0:
            new_features = nn.functional.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """x (N, C, H, W) -> (N, C + num_layers·growth_rate, H, W)."""

    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int, drop_rate: float,
                 memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(num_input_features + i * growth_rate, growth_rate,
                                                               bn_size, drop_rate, memory_efficient))

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    """BN, ReLU, 1×1 conv to ``num_output_features``, 2×2 average pool."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """x (N, 3, H, W) -> logits (N, num_classes): 7×7/2 stem and 3×3/2 max-pool, dense blocks and transitions,
    BN, ReLU, global average pool, Linear. Convs Kaiming-normal, BN 1 and 0, Linear bias 0 (weight: Linear's
    default), as torchvision's."""

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0, num_classes: int = 1000,
                 memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(num_layers, num_features, bn_size,
                                                                       growth_rate, drop_rate, memory_efficient))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        out = nn.functional.relu(self.features(x), inplace=True)
        out = nn.functional.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(flatten(out, 1))


# '.'s are no longer allowed in module names, but the published files have keys like 'norm.1' for 'norm1'
_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _renamed(state_dict: dict) -> dict:
    out = {}
    for key, value in state_dict.items():
        m = _OLD_KEY.match(key)
        out[m.group(1) + m.group(2) if m else key] = value
    return out


class DenseNet121_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/densenet121-a639ec97.pth")
    DEFAULT = IMAGENET1K_V1


def _densenet(growth_rate: int, block_config: tuple[int, ...], num_init_features: int, weights: Any,
              enum_cls: type[WeightsEnum], kwargs: dict) -> DenseNet:
    weights = enum_cls.verify(weights)
    kwargs.pop("progress", None)  # torchvision's download progress bar: nothing is downloaded here
    num_classes_for(weights, kwargs)
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        model.load_state_dict(_renamed(weights.get_state_dict()))
    return model


@handle_legacy_interface(weights=("pretrained", DenseNet121_Weights.IMAGENET1K_V1))
def densenet121(*, weights: DenseNet121_Weights | str | None = None, **kwargs: Any) -> DenseNet:
    """torchvision's DenseNet-121 (8.0 M parameters at 1000 classes)."""
    return _densenet(32, (6, 12, 24, 16), 64, weights, DenseNet121_Weights, kwargs)


class DenseNet161_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/densenet161-8d451a50.pth")
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/densenet169-b2777c0a.pth")
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/densenet201-c1103571.pth")
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(weights=("pretrained", DenseNet161_Weights.IMAGENET1K_V1))
def densenet161(*, weights: DenseNet161_Weights | str | None = None, **kwargs: Any) -> DenseNet:
    """torchvision's DenseNet-161 (growth 48, 96 initial features)."""
    return _densenet(48, (6, 12, 36, 24), 96, weights, DenseNet161_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", DenseNet169_Weights.IMAGENET1K_V1))
def densenet169(*, weights: DenseNet169_Weights | str | None = None, **kwargs: Any) -> DenseNet:
    """torchvision's DenseNet-169."""
    return _densenet(32, (6, 12, 32, 32), 64, weights, DenseNet169_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", DenseNet201_Weights.IMAGENET1K_V1))
def densenet201(*, weights: DenseNet201_Weights | str | None = None, **kwargs: Any) -> DenseNet:
    """torchvision's DenseNet-201."""
    return _densenet(32, (6, 12, 48, 32), 64, weights, DenseNet201_Weights, kwargs)
