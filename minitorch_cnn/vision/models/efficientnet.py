"""torchvision's EfficientNet-B0..B7 (Tan & Le 2019) and EfficientNetV2-S/M/L (Tan & Le 2021): MBConv blocks (1×1
expand, k×k depthwise, squeeze-and-excitation, 1×1 project) and, in V2's early stages, FusedMBConv blocks (k×k
expand, 1×1 project), with SiLU and stochastic depth on the residual branches; same architecture, init and
state_dict keys (``features.{stage}.{i}.block.{j}...``, ``classifier.1``)."""

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
from ._legacy import handle_legacy_interface
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


class FusedMBConv(nn.Module):
    """x (N, C_in, H, W) -> (N, C_out, H/s, W/s): k×k conv to the expanded width then 1×1 projection (one k×k conv
    when the ratio is 1); residual through stochastic depth as MBConv."""

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float, norm_layer: Any) -> None:
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers: list[nn.Module] = [
                Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                     norm_layer=norm_layer, activation_layer=nn.SiLU),
                Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                     activation_layer=None)]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels, kernel_size=cnf.kernel,
                                           stride=cnf.stride, norm_layer=norm_layer, activation_layer=nn.SiLU)]
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


_URL = "https://download.pytorch.org/models/"


class EfficientNet_B0_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b0_rwightman-7f5810bc.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b1_rwightman-bac287d4.pth")
    IMAGENET1K_V2 = Weights(_URL + "efficientnet_b1-c27df63c.pth")
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b2_rwightman-c35c1473.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b3_rwightman-b3899882.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b4_rwightman-23ab8bcd.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b5_lukemelas-1a07897c.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b6_lukemelas-24a108a5.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_b7_lukemelas-c5b4e57e.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_v2_s-dd5fe13b.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_v2_m-dc08266a.pth")
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "efficientnet_v2_l-59c71312.pth")
    DEFAULT = IMAGENET1K_V1


def _b(width_mult: float, depth_mult: float) -> list[MBConvConfig]:
    """The B-family stages, widths and depths scaled."""
    c = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    return [c(1, 3, 1, 32, 16, 1), c(6, 3, 2, 16, 24, 2), c(6, 5, 2, 24, 40, 2), c(6, 3, 2, 40, 80, 3),
            c(6, 5, 1, 80, 112, 3), c(6, 5, 2, 112, 192, 4), c(6, 3, 1, 192, 320, 1)]


def _v2(fused: list[tuple], mb: list[tuple]) -> list[MBConvConfig]:
    """V2 stages: FusedMBConv ones then MBConv ones, each (expand, kernel, stride, in, out, layers)."""
    return [MBConvConfig(*f, block=FusedMBConv) for f in fused] + [MBConvConfig(*m) for m in mb]


def _efficientnet(setting: list[MBConvConfig], default_dropout: float, last_channel: int | None, weights: Any,
                  enum_cls: type[WeightsEnum], kwargs: dict, bn_eps: float | None = None,
                  bn_momentum: float = 0.1) -> EfficientNet:
    dropout = kwargs.pop("dropout", default_dropout)
    if bn_eps is not None:
        kwargs["norm_layer"] = partial(nn.BatchNorm2d, eps=bn_eps, momentum=bn_momentum)
    kwargs["last_channel"] = last_channel
    return build(EfficientNet, weights, enum_cls, kwargs, setting, dropout)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B0_Weights.IMAGENET1K_V1))
def efficientnet_b0(*, weights: EfficientNet_B0_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B0 (5.3 M parameters at 1000 classes)."""
    return _efficientnet(_b(1.0, 1.0), 0.2, None, weights, EfficientNet_B0_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B1_Weights.IMAGENET1K_V1))
def efficientnet_b1(*, weights: EfficientNet_B1_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B1 (width 1.0, depth 1.1)."""
    return _efficientnet(_b(1.0, 1.1), 0.2, None, weights, EfficientNet_B1_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B2_Weights.IMAGENET1K_V1))
def efficientnet_b2(*, weights: EfficientNet_B2_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B2 (width 1.1, depth 1.2)."""
    return _efficientnet(_b(1.1, 1.2), 0.3, None, weights, EfficientNet_B2_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B3_Weights.IMAGENET1K_V1))
def efficientnet_b3(*, weights: EfficientNet_B3_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B3 (width 1.2, depth 1.4)."""
    return _efficientnet(_b(1.2, 1.4), 0.3, None, weights, EfficientNet_B3_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B4_Weights.IMAGENET1K_V1))
def efficientnet_b4(*, weights: EfficientNet_B4_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B4 (width 1.4, depth 1.8)."""
    return _efficientnet(_b(1.4, 1.8), 0.4, None, weights, EfficientNet_B4_Weights, kwargs)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B5_Weights.IMAGENET1K_V1))
def efficientnet_b5(*, weights: EfficientNet_B5_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B5 (width 1.6, depth 2.2; BatchNorm eps 1e-3, momentum 0.01)."""
    return _efficientnet(_b(1.6, 2.2), 0.4, None, weights, EfficientNet_B5_Weights, kwargs, 0.001, 0.01)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B6_Weights.IMAGENET1K_V1))
def efficientnet_b6(*, weights: EfficientNet_B6_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B6 (width 1.8, depth 2.6; BatchNorm eps 1e-3, momentum 0.01)."""
    return _efficientnet(_b(1.8, 2.6), 0.5, None, weights, EfficientNet_B6_Weights, kwargs, 0.001, 0.01)


@handle_legacy_interface(weights=("pretrained", EfficientNet_B7_Weights.IMAGENET1K_V1))
def efficientnet_b7(*, weights: EfficientNet_B7_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNet-B7 (width 2.0, depth 3.1; BatchNorm eps 1e-3, momentum 0.01)."""
    return _efficientnet(_b(2.0, 3.1), 0.5, None, weights, EfficientNet_B7_Weights, kwargs, 0.001, 0.01)


@handle_legacy_interface(weights=("pretrained", EfficientNet_V2_S_Weights.IMAGENET1K_V1))
def efficientnet_v2_s(*, weights: EfficientNet_V2_S_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNetV2-S (BatchNorm eps 1e-3)."""
    setting = _v2([(1, 3, 1, 24, 24, 2), (4, 3, 2, 24, 48, 4), (4, 3, 2, 48, 64, 4)],
                  [(4, 3, 2, 64, 128, 6), (6, 3, 1, 128, 160, 9), (6, 3, 2, 160, 256, 15)])
    return _efficientnet(setting, 0.2, 1280, weights, EfficientNet_V2_S_Weights, kwargs, 1e-3)


@handle_legacy_interface(weights=("pretrained", EfficientNet_V2_M_Weights.IMAGENET1K_V1))
def efficientnet_v2_m(*, weights: EfficientNet_V2_M_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNetV2-M (BatchNorm eps 1e-3)."""
    setting = _v2([(1, 3, 1, 24, 24, 3), (4, 3, 2, 24, 48, 5), (4, 3, 2, 48, 80, 5)],
                  [(4, 3, 2, 80, 160, 7), (6, 3, 1, 160, 176, 14), (6, 3, 2, 176, 304, 18), (6, 3, 1, 304, 512, 5)])
    return _efficientnet(setting, 0.3, 1280, weights, EfficientNet_V2_M_Weights, kwargs, 1e-3)


@handle_legacy_interface(weights=("pretrained", EfficientNet_V2_L_Weights.IMAGENET1K_V1))
def efficientnet_v2_l(*, weights: EfficientNet_V2_L_Weights | str | None = None, **kwargs: Any) -> EfficientNet:
    """torchvision's EfficientNetV2-L (BatchNorm eps 1e-3)."""
    setting = _v2([(1, 3, 1, 32, 32, 4), (4, 3, 2, 32, 64, 7), (4, 3, 2, 64, 96, 7)],
                  [(4, 3, 2, 96, 192, 10), (6, 3, 1, 192, 224, 19), (6, 3, 2, 224, 384, 25), (6, 3, 1, 384, 640, 7)])
    return _efficientnet(setting, 0.4, 1280, weights, EfficientNet_V2_L_Weights, kwargs, 1e-3)
