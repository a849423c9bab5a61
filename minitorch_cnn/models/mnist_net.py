"""The MNIST net of the PyTorch examples (its classic version, with Dropout2d), trained with ``nll_loss``."""

from __future__ import annotations

from .. import nn
from ..autograd import Tensor
from ..nn import functional as F
from ._check import check_input


class MnistNet(nn.Module):
    """x (N, 1, 28, 28) -> log-probabilities (N, 10).

    conv 5×5 (1→10) - maxpool 2 - ReLU - conv 5×5 (10→20) - Dropout2d - maxpool 2 - ReLU - fc 320→50 - ReLU -
    dropout - fc 50→10 - log_softmax. ``dropout`` is the p of both dropouts (0.5 in the example; 0 makes the net
    deterministic in training mode, which parity runs use). Keys: ``conv1, conv2, fc1, fc2``.
    """

    returns_log_probs = True  # train with nll_loss, not cross_entropy

    def __init__(self, num_classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        self.input_shape = (1, 28, 28)
        self.dropout = dropout
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(dropout)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)
