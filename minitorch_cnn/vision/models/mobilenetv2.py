"""torchvision's MobileNetV2 (Sandler et al. 2018): inverted residual blocks (1×1 expand, 3×3 depthwise, 1×1 linear
projection) with ReLU6, same architecture, init and state_dict keys (``features.{i}...``, ``classifier.1``)."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...autograd import Tensor
from ...ops.shape import flatten
from ..ops.misc import Conv2dNormActivation
from ._legacy import handle_legacy_interface
from ._utils import build, init_mobile, make_divisible
from ._weights import Weights, WeightsEnum


class InvertedResidual(nn.Module):
    """x (N, inp, H, W) -> (N, oup, H/s, W/s): [1×1 expand to inp·t, ReLU6] -> 3×3 depthwise (stride s), ReLU6 ->
    1×1 project, BN; plus x when s = 1 and inp = oup."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int,
                 norm_layer: Any = None) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.stride = stride
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


_SETTING = [  # expansion t, channels c, repeats n, first stride s
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
]


class MobileNetV2(nn.Module):
    """x (N, 3, H, W) -> logits (N, num_classes): 3×3/2 stem, 17 inverted residual blocks, 1×1 conv to 1280
    channels (× width_mult when above 1), global average pool, dropout, Linear."""

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 inverted_residual_setting: list[list[int]] | None = None, round_nearest: int = 8,
                 block: Any = None, norm_layer: Any = None, dropout: float = 0.2) -> None:
        super().__init__()
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        setting = inverted_residual_setting if inverted_residual_setting is not None else _SETTING
        if len(setting) == 0 or len(setting[0]) != 4:
            raise ValueError(f"inverted_residual_setting should be non-empty or a 4-element list, got {setting}")
        input_channel = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features: list[nn.Module] = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                                          activation_layer=nn.ReLU6)]
        for t, c, n, s in setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1, expand_ratio=t,
                                      norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        init_mobile(self)

    def forward(self, x: Tensor) -> Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(flatten(x, 1))


_URL = "https://download.pytorch.org/models/"


class MobileNet_V2_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights(_URL + "mobilenet_v2-b0353104.pth")
    IMAGENET1K_V2 = Weights(_URL + "mobilenet_v2-7ebf99e0.pth")
    DEFAULT = IMAGENET1K_V2


@handle_legacy_interface(weights=("pretrained", MobileNet_V2_Weights.IMAGENET1K_V1))
def mobilenet_v2(*, weights: MobileNet_V2_Weights | str | None = None, **kwargs: Any) -> MobileNetV2:
    """torchvision's MobileNetV2 (3.5 M parameters at 1000 classes)."""
    return build(MobileNetV2, weights, MobileNet_V2_Weights, kwargs)
