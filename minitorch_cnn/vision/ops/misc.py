"""Conv -> norm -> activation as one ``Sequential`` (keys ``0``, ``1``), and squeeze-and-excitation, as
torchvision.ops.misc's."""

from __future__ import annotations

from collections.abc import Callable

from ... import nn
from ...autograd import Tensor


class Conv2dNormActivation(nn.Sequential):
    """Conv2d (padding ``(kernel_size - 1) // 2 * dilation`` unless given; a bias only without a norm layer), then
    ``norm_layer(out_channels)`` and ``activation_layer(inplace=inplace)`` where they are not None."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int | None = None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU, dilation: int = 1,
                 inplace: bool | None = True, bias: bool | None = None) -> None:
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                             dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """x · scale(fc2(act(fc1(avgpool(x))))): (N, C, H, W) -> (N, C, H, W), a per-channel gate (Hu et al. 2018);
    fc1/fc2 are 1×1 convolutions C -> squeeze_channels -> C."""

    def __init__(self, input_channels: int, squeeze_channels: int,
                 activation: Callable[..., nn.Module] = nn.ReLU,
                 scale_activation: Callable[..., nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input: Tensor) -> Tensor:  # noqa: A002 - torchvision's name
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(input)))))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._scale(input) * input
