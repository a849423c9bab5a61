"""torchvision's Inception-v3 (Szegedy et al. 2015): a convolutional stem, the Mixed_5 (A), 6a (B), 6b-e (C, with
factorised 1×7 / 7×1 convolutions), 7a (D) and 7b-c (E, with split 1×3 / 3×1 branches) blocks, and an auxiliary
classifier on Mixed_6e used in training; same architecture, init and state_dict keys (``Conv2d_1a_3x3.conv``,
``Mixed_6b.branch7x7_2.bn``, ``AuxLogits.fc``, ``fc``). Smallest input: 75×75.

In training with ``aux_logits`` the forward returns ``InceptionOutputs(logits, aux_logits)``, otherwise the logits
alone."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any

from ... import nn
from ...autograd import Tensor
from ...nn.functional import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ...ops.shape import cat, flatten
from ._basic_conv import BasicConv2d, init_trunc_normal, init_warning, pretrained_kwargs, transform_input
from ._legacy import handle_legacy_interface
from ._weights import Weights, WeightsEnum

InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])
Block = Callable[..., nn.Module] | None


def _pool_branch(x: Tensor) -> Tensor:
    return avg_pool2d(x, kernel_size=3, stride=1, padding=1)


class InceptionA(nn.Module):
    """35×35 block: 1×1; 1×1 -> 5×5; 1×1 -> 3×3 -> 3×3; avg-pool -> 1×1 (``pool_features``)."""

    def __init__(self, in_channels: int, pool_features: int, conv_block: Block = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.branch1x1 = c(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = c(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = c(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = c(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = c(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = c(96, 96, kernel_size=3, padding=1)
        self.branch_pool = c(in_channels, pool_features, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return cat([self.branch1x1(x), b5, b3, self.branch_pool(_pool_branch(x))], 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17: 3×3/2; 1×1 -> 3×3 -> 3×3/2; max-pool 3×3/2."""

    def __init__(self, in_channels: int, conv_block: Block = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.branch3x3 = c(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = c(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = c(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = c(96, 96, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return cat([self.branch3x3(x), b3, max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    """17×17 block with 7×7 convolutions factorised into 1×7 and 7×1 (``channels_7x7`` wide)."""

    def __init__(self, in_channels: int, channels_7x7: int, conv_block: Block = None) -> None:
        super().__init__()
        c, c7 = conv_block or BasicConv2d, channels_7x7
        self.branch1x1 = c(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = c(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = c(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = c(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = c(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = c(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = c(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = c(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = c(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = c(in_channels, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = layer(d)
        return cat([self.branch1x1(x), b7, d, self.branch_pool(_pool_branch(x))], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8: 1×1 -> 3×3/2; 1×1 -> 1×7 -> 7×1 -> 3×3/2; max-pool 3×3/2."""

    def __init__(self, in_channels: int, conv_block: Block = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.branch3x3_1 = c(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = c(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = c(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = c(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = c(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = c(192, 192, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return cat([b3, b7, max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """8×8 block whose 3×3 branches split into parallel 1×3 and 3×1 convolutions."""

    def __init__(self, in_channels: int, conv_block: Block = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.branch1x1 = c(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = c(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = c(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = c(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = c(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = c(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = c(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = c(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = c(in_channels, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3_1(x)
        b3 = cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        return cat([self.branch1x1(x), b3, d, self.branch_pool(_pool_branch(x))], 1)


class InceptionAux(nn.Module):
    """17×17 features -> logits: avg-pool 5×5/3, 1×1 conv to 128, 5×5 conv to 768, global average pool, Linear."""

    def __init__(self, in_channels: int, num_classes: int, conv_block: Block = None) -> None:
        super().__init__()
        c = conv_block or BasicConv2d
        self.conv0 = c(in_channels, 128, kernel_size=1)
        self.conv1 = c(128, 768, kernel_size=5)
        self.conv1.stddev = 0.01
        self.fc = nn.Linear(768, num_classes)
        self.fc.stddev = 0.001

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(self.conv0(avg_pool2d(x, kernel_size=5, stride=3)))
        return self.fc(flatten(adaptive_avg_pool2d(x, (1, 1)), 1))


class Inception3(nn.Module):
    """x (N, 3, H, W), H, W >= 75 -> logits (N, num_classes) (with the auxiliary ones in training)."""

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True, transform_input: bool = False,
                 inception_blocks: list[Callable[..., nn.Module]] | None = None, init_weights: bool | None = None,
                 dropout: float = 0.5) -> None:
        super().__init__()
        inception_blocks = inception_blocks or [BasicConv2d, InceptionA, InceptionB, InceptionC, InceptionD,
                                                InceptionE, InceptionAux]
        init_weights = init_warning(init_weights, "inception_v3")
        if len(inception_blocks) != 7:
            raise ValueError(f"length of inception_blocks should be 7 instead of {len(inception_blocks)}")
        conv, block_a, block_b, block_c, block_d, block_e, block_aux = inception_blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.Conv2d_1a_3x3 = conv(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = conv(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = conv(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = conv(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = conv(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = block_a(192, pool_features=32)
        self.Mixed_5c = block_a(256, pool_features=64)
        self.Mixed_5d = block_a(288, pool_features=64)
        self.Mixed_6a = block_b(288)
        self.Mixed_6b = block_c(768, channels_7x7=128)
        self.Mixed_6c = block_c(768, channels_7x7=160)
        self.Mixed_6d = block_c(768, channels_7x7=160)
        self.Mixed_6e = block_c(768, channels_7x7=192)
        self.AuxLogits = block_aux(768, num_classes) if aux_logits else None
        self.Mixed_7a = block_d(768)
        self.Mixed_7b = block_e(1280)
        self.Mixed_7c = block_e(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(2048, num_classes)
        if init_weights:
            init_trunc_normal(self, 0.1)

    def forward(self, x: Tensor) -> Any:
        if self.transform_input:
            x = transform_input(x)
        x = self.maxpool1(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))))
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e):
            x = block(x)
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        x = self.fc(flatten(self.dropout(self.avgpool(x)), 1))
        if self.training and self.aux_logits:
            return InceptionOutputs(x, aux)
        return x


class Inception_V3_Weights(WeightsEnum):  # noqa: N801 - torchvision's name
    IMAGENET1K_V1 = Weights("https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth")
    DEFAULT = IMAGENET1K_V1


@handle_legacy_interface(weights=("pretrained", Inception_V3_Weights.IMAGENET1K_V1))
def inception_v3(*, weights: Inception_V3_Weights | str | None = None, **kwargs: Any) -> Inception3:
    """torchvision's Inception-v3. With ``weights`` the input transform is on (unless asked otherwise) and the
    auxiliary head is kept unless ``aux_logits=False``."""
    weights = Inception_V3_Weights.verify(weights)
    kwargs.pop("progress", None)  # torchvision's download progress bar: nothing is downloaded here
    original_aux_logits = kwargs.get("aux_logits", True)
    pretrained_kwargs(weights, kwargs)
    model = Inception3(**kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict())
        if not original_aux_logits:
            model.aux_logits = False
            model.AuxLogits = None
    return model
