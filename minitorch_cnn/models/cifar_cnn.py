"""The 4-conv BatchNorm CNN of the common PyTorch CIFAR-10 tutorial ("Network")."""

from __future__ import annotations

from .. import nn
from ..autograd import Tensor
from ..nn import functional as F
from ._check import check_input


class CifarCNN(nn.Module):
    """x (N, 3, 32, 32) -> logits (N, num_classes).

    (conv 5×5 padding 1 - BN - ReLU) with 12, 12 channels, maxpool 2, the same with 24, 24, fc 2400→num_classes.
    Spatial sizes: 32 → 30 → 28 → 14 → 12 → 10. Keys: ``conv1, bn1, conv2, bn2, conv4, bn4, conv5, bn5, fc1``
    (the tutorial's names, which skip 3).
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = (3, 32, 32)
        self.conv1 = nn.Conv2d(3, 12, kernel_size=5, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(12)
        self.conv2 = nn.Conv2d(12, 12, kernel_size=5, stride=1, padding=1)
        self.bn2 = nn.BatchNorm2d(12)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv4 = nn.Conv2d(12, 24, kernel_size=5, stride=1, padding=1)
        self.bn4 = nn.BatchNorm2d(24)
        self.conv5 = nn.Conv2d(24, 24, kernel_size=5, stride=1, padding=1)
        self.bn5 = nn.BatchNorm2d(24)
        self.fc1 = nn.Linear(24 * 10 * 10, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = self.pool(x)
        x = F.relu(self.bn4(self.conv4(x)))
        x = F.relu(self.bn5(self.conv5(x)))
        x = x.view(-1, 24 * 10 * 10)
        return self.fc1(x)
