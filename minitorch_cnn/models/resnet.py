"""Residual networks for CIFAR-sized input: the residual block, two small ResNets and ResNet-18.

ResNet-18 follows kuangliu/pytorch-cifar (3×3 stem, no max-pool, 4×4 average pool), with its state_dict keys.
"""

from __future__ import annotations

from .. import nn
from ..autograd import Tensor
from ..nn import functional as F
from ._check import check_input


class ResidualBlock(nn.Module):
    """x (N, in_planes, H, W) -> (N, planes, H/stride, W/stride).

    relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3×3 convs without bias (BN follows). The shortcut is the
    identity (an empty Sequential) when the shape is kept, else a strided 1×1 conv + BN. Keys: ``conv1, bn1, conv2,
    bn2, shortcut.0, shortcut.1``, as kuangliu's BasicBlock.
    """

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """x (N, 3, 32, 32) -> logits (N, num_classes): a stem and two residual blocks.

    stem conv 3×3 (3→width) + BN + ReLU, block width→width, block width→2·width (stride 2, 1×1 conv + BN shortcut),
    global average pool, fc 2·width→num_classes. Keys: ``stem.{0,1}, layer1.*, layer2.*, fc``.
    """

    def __init__(self, width: int = 32, num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = (3, 32, 32)
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU()
        )
        self.layer1 = ResidualBlock(width, width)
        self.layer2 = ResidualBlock(width, 2 * width, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x)
        out = self.layer2(self.layer1(self.stem(x)))
        return self.fc(self.pool(out).flatten(1))


class ResNet(nn.Module):
    """kuangliu's CIFAR ResNet: x (N, 3, 32, 32) -> logits (N, num_classes).

    3×3 stem (64, no max-pool), four stages of ``num_blocks`` residual blocks with 64/128/256/512 planes (stride
    1, 2, 2, 2), 4×4 average pool, fc 512→num_classes. Keys: ``conv1, bn1, layer{1..4}.{i}.*, linear``.
    """

    def __init__(self, num_blocks: tuple[int, int, int, int] = (2, 2, 2, 2), num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = (3, 32, 32)
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(64, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(128, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(256, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(512, num_blocks[3], stride=2)
        self.linear = nn.Linear(512 * ResidualBlock.expansion, num_classes)

    def _make_layer(self, planes: int, num_blocks: int, stride: int) -> nn.Sequential:
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(ResidualBlock(self.in_planes, planes, s))
            self.in_planes = planes * ResidualBlock.expansion
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        return self.linear(out)


def resnet18(num_classes: int = 10) -> ResNet:
    """ResNet-18 for CIFAR: ``ResNet`` with two blocks per stage."""
    return ResNet((2, 2, 2, 2), num_classes=num_classes)


def resnet_small32(num_classes: int = 10) -> SmallResNet:
    """Stem 32, blocks 32→32 and 32→64: 77,866 parameters."""
    return SmallResNet(32, num_classes)


def resnet_small16(num_classes: int = 10) -> SmallResNet:
    """Stem 16, blocks 16→16 and 16→32: 19,994 parameters."""
    return SmallResNet(16, num_classes)
