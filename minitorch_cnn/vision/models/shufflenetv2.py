"""torchvision's ShuffleNetV2 (Ma et al. 2018): blocks that split the channels (stride 1) or duplicate the input
(stride 2), run a 1×1 -> 3×3 depthwise -> 1×1 branch, concatenate and shuffle the channels; same architecture
and state_dict keys (``conv1.0``, ``stage{2,3,4}.{i}.branch{1,2}.{j}``, ``conv5.0``, ``fc``). No init of its own:
the layers' defaults, as torchvision's."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...autograd import Tensor
from ...ops.shape import cat, transpose
from ._legacy import handle_legacy_interface
from ._utils import build
from ._weights import Weights, WeightsEnum


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """(N, g·c, H, W) -> (N, c·g, H, W): channel k·c + j moves to j·g + k (view as (N, g, c, H, W), swap g and c)."""
    batchsize, num_channels, height, width = x.size()
    x = x.view(batchsize, groups, num_channels // groups, height, width)
    return transpose(x, 1, 2).contiguous().view(batchsize, num_channels, height, width)


def _depthwise(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0, bias: bool = False) -> nn.Conv2d:
    return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)


class InvertedResidual(nn.Module):
    """x (N, inp, H, W) -> (N, oup, H/s, W/s). Stride 1: half the channels pass, half go through ``branch2``;
    stride 2: ``branch1`` (depthwise, 1×1) and ``branch2`` both see x. Then concatenation and a 2-group shuffle."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not 1 <= stride <= 3:
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if stride == 1 and inp != branch_features << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If stride == 1 "
                             f"then inp should be equal to oup // 2 << 1.")
        if stride > 1:
            self.branch1 = nn.Sequential(
                _depthwise(inp, inp, kernel_size=3, stride=stride, padding=1), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True),
            _depthwise(branch_features, branch_features, kernel_size=3, stride=stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True),
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = cat((x1, self.branch2(x2)), dim=1)
        else:
            out = cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """x (N, 3, H, W) -> logits (N, num_classes): 3×3/2 conv, 3×3/2 max-pool, three stages, 1×1 conv, mean over
    H and W, Linear."""

    def __init__(self, stages_repeats: list[int], stages_out_channels: list[int], num_classes: int = 1000,
                 inverted_residual: Any = InvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        out = stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(3, out, 3, 2, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True))
        inp = out
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, out in zip(("stage2", "stage3", "stage4"), stages_repeats, stages_out_channels[1:]):
            seq = [inverted_residual(inp, out, 2)] + [inverted_residual(out, out, 1) for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*seq))
            inp = out
        out = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(inp, out, 1, 1, 0, bias=False), nn.BatchNorm2d(out),
                                   nn.ReLU(inplace=True))
        self.fc = nn.Linear(out, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))


_URL = "https://download.pytorch.org/models/"


class ShuffleNet_V2_X0_5_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "shufflenetv2_x0.5-f707e7126e.pth")
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_0_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "shufflenetv2_x1-5666bf0f80.pth")
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_5_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "shufflenetv2_x1_5-3c479a10.pth")
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X2_0_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "shufflenetv2_x2_0-8be3c8ee.pth")
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(weights=("pretrained", ShuffleNet_V2_X0_5_Weights.IMAGENET1K_V1))
def shufflenet_v2_x0_5(*, weights: ShuffleNet_V2_X0_5_Weights | str | None = None, **kwargs: Any) -> ShuffleNetV2:
    """torchvision's ShuffleNetV2 with 0.5× output channels."""
    return build(ShuffleNetV2, weights, ShuffleNet_V2_X0_5_Weights, kwargs, [4, 8, 4], [24, 48, 96, 192, 1024])


@handle_legacy_interface(weights=("pretrained", ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1))
def shufflenet_v2_x1_0(*, weights: ShuffleNet_V2_X1_0_Weights | str | None = None, **kwargs: Any) -> ShuffleNetV2:
    """torchvision's ShuffleNetV2 with 1.0× output channels."""
    return build(ShuffleNetV2, weights, ShuffleNet_V2_X1_0_Weights, kwargs, [4, 8, 4], [24, 116, 232, 464, 1024])


@handle_legacy_interface(weights=("pretrained", ShuffleNet_V2_X1_5_Weights.IMAGENET1K_V1))
def shufflenet_v2_x1_5(*, weights: ShuffleNet_V2_X1_5_Weights | str | None = None, **kwargs: Any) -> ShuffleNetV2:
    """torchvision's ShuffleNetV2 with 1.5× output channels."""
    return build(ShuffleNetV2, weights, ShuffleNet_V2_X1_5_Weights, kwargs, [4, 8, 4], [24, 176, 352, 704, 1024])


@handle_legacy_interface(weights=("pretrained", ShuffleNet_V2_X2_0_Weights.IMAGENET1K_V1))
def shufflenet_v2_x2_0(*, weights: ShuffleNet_V2_X2_0_Weights | str | None = None, **kwargs: Any) -> ShuffleNetV2:
    """torchvision's ShuffleNetV2 with 2.0× output channels."""
    return build(ShuffleNetV2, weights, ShuffleNet_V2_X2_0_Weights, kwargs, [4, 8, 4], [24, 244, 488, 976, 2048])
