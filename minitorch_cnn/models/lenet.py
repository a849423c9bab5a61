"""LeNet in its two common forms.

- ``LeNet``: the classic 1998 layout as in d2l.ai (sigmoid activations, average pooling, Xavier init), MNIST 28×28.
- ``LeNet5``: the modern LeNet-5 (ReLU, max pooling, torch's default init). With ``in_channels=1, padding=2`` it
  takes MNIST 28×28; with ``in_channels=3, padding=0`` it is the net of PyTorch's CIFAR-10 tutorial (3×32×32).
"""

from __future__ import annotations

from .. import nn
from ..autograd import Tensor
from ..nn import functional as F
from ._check import check_input


class LeNet(nn.Module):
    """d2l's LeNet: x (N, 1, 28, 28) -> logits (N, num_classes).

    Keys: ``net.{0,3,7,9,11}.{weight,bias}`` (a Sequential called ``net``, as in d2l's class).
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = (1, 28, 28)
        self.net = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(),
            nn.Linear(84, num_classes),
        )
        # d2l's init_cnn: Xavier-uniform weights for Conv/Linear (sigmoid nets train poorly from kaiming init);
        # the biases keep torch's default init.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x)
        return self.net(x)


class LeNet5(nn.Module):
    """Modern LeNet-5: x (N, in_channels, 32 - 2*padding, 32 - 2*padding) -> logits (N, num_classes).

    conv 5×5 (in→6) - ReLU - maxpool 2 - conv 5×5 (6→16) - ReLU - maxpool 2 - fc 400→120→84→num_classes.
    Keys: ``conv1, conv2, fc1, fc2, fc3`` as in PyTorch's CIFAR-10 tutorial.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, padding: int = 2) -> None:
        super().__init__()
        side = 32 - 2 * padding  # the size that leaves a 5×5 map after conv-pool-conv-pool
        self.input_shape = (in_channels, side, side)
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=padding)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x)
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def lenet5_cifar(num_classes: int = 10) -> LeNet5:
    """PyTorch's CIFAR-10 tutorial net: ``LeNet5`` on 3×32×32 input (no padding)."""
    return LeNet5(in_channels=3, num_classes=num_classes, padding=0)
