"""AlexNet with BatchNorm after every convolution, for 227×227 input."""

from __future__ import annotations

from .. import nn
from ..autograd import Tensor
from ._check import check_input


class AlexNetBN(nn.Module):
    """x (N, in_channels, 227, 227) -> logits (N, num_classes).

    Feature maps: 227 → conv 11/4 → 55 → pool 3/2 → 27 → conv 5 p2 → 27 → pool → 13 → 3 × conv 3 p1 → 13 → pool → 6,
    so the classifier sees 256·6·6 = 9216 features. Keys: ``features.{0,1,4,5,8,9,11,12,14,15}.*`` and
    ``classifier.{1,4,6}.*``, torchvision's layout (with the BN layers in ``features``).
    ``dropout`` is the p of the classifier's two Dropout layers (0 for deterministic parity runs).
    """

    def __init__(self, num_classes: int = 10, dropout: float = 0.5, in_channels: int = 3) -> None:
        super().__init__()
        self.input_shape = (in_channels, 227, 227)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 96, kernel_size=11, stride=4), nn.BatchNorm2d(96), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.BatchNorm2d(256), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.BatchNorm2d(384), nn.ReLU(),
            nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.BatchNorm2d(384), nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.BatchNorm2d(256), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(4096, 4096), nn.ReLU(),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        check_input(self, x)
        return self.classifier(self.flatten(self.features(x)))
