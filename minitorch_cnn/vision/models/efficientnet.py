"""torchvision's EfficientNet-B0 (Tan & Le 2019): MBConv blocks (1×1 expand, k×k depthwise, squeeze-and-excitation,
1×1 project) with SiLU and stochastic depth on the residual branches, same architecture, init and state_dict keys
(``features.{stage}.{i}.block.{j}...``, ``classifier.1``)."""

from __future__ import annotations

import copy
import math
from functools import partial
from typing import Any

from ... import nn
from ...autograd import Tensor
from ...ops.shape import flatten
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._utils import build, init_mobile, make_divisible
from ._weights import Weights, WeightsEnum


class MBConvConfig:
    """One stage: expansion ratio, kernel, first stride, channels in and out (× width_mult, multiples of 8) and
    the number of blocks (× depth_mult, rounded up)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int, out_channels: int,
                 num_layers: int, width_mult: float = 1.0, depth_mult: float = 1.0, block: Any = None) -> None:
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = int(math.ceil(num_layers * depth_mult))
        self.block = block or MBConv

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return make_divisible(channels * width_mult, 8, min_value)


class MBConv(nn.Module):
    """x (N, C_in, H, W) -> (N, C_out, H/s, W/s); with stride 1 and C_in = C_out the block's output goes through
    stochastic depth and adds to x."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float, norm_layer: Any,
                 se_layer: Any = SqueezeExcitation) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                           groups=expanded, norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4), activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torchvision's name
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    """x (N, 3, H, W) -> logits (N, num_classes): 3×3/2 SiLU stem, one Sequential per stage (stochastic depth
    rising linearly from 0 to ``stochastic_depth_prob`` over the blocks), 1×1 conv to 4× the last stage's channels,
    global average pool, dropout, Linear (U(±1/√out) weights, as torchvision's)."""

    def __init__(self, inverted_residual_setting: list[MBConvConfig], dropout: float,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000, norm_layer: Any = None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        norm_layer = norm_layer or nn.BatchNorm2d
        layers: list[nn.Module] = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels,
                                                        kernel_size=3, stride=2, norm_layer=norm_layer,
                                                        activation_layer=nn.SiLU)]
        total = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:
                    block_cnf.input_channels, block_cnf.stride = block_cnf.out_channels, 1
                stage.append(block_cnf.block(block_cnf, stochastic_depth_prob * float(block_id) / total, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes))
        init_mobile(self, linear_uniform=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


class EfficientNet_B0_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth")
    DEFAULT = IMAGENET1K_V1


def efficientnet_b0(*, weights: EfficientNet_B0_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B0 (5.3 M parameters at 1000 classes)."""
    c = partial(MBConvConfig, width_mult=1.0, depth_mult=1.0)
    setting = [c(1, 3, 1, 32, 16, 1), c(6, 3, 2, 16, 24, 2), c(6, 5, 2, 24, 40, 2), c(6, 3, 2, 40, 80, 3),
               c(6, 5, 1, 80, 112, 3), c(6, 5, 2, 112, 192, 4), c(6, 3, 1, 192, 320, 1)]
    dropout = kwargs.pop("dropout", 0.2)
    return build(EfficientNet, weights, EfficientNet_B0_Weights, kwargs, setting, dropout)
