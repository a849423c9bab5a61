"""What torchvision's GoogLeNet and Inception-v3 share: conv (no bias) -> BatchNorm (eps 1e-3) -> ReLU, the
ImageNet re-normalisation of ``transform_input``, their truncated-normal init, and their builders' weight rules."""

from __future__ import annotations

import warnings
from typing import Any

from ... import nn
from ...autograd import Tensor
from ...nn.functional import relu
from ...ops.shape import cat, unsqueeze
from ._weights import WeightsEnum, overwrite_named_param


class BasicConv2d(nn.Module):
    """x (N, C_in, H, W) -> relu(bn(conv(x))); ``kwargs`` go to the Conv2d."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs: Any) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return relu(self.bn(self.conv(x)), inplace=True)


def transform_input(x: Tensor) -> Tensor:
    """x (N, 3, H, W) normalised with mean/std 0.5 -> normalised with ImageNet's mean and std, channel by channel."""
    x_ch0 = unsqueeze(x[:, 0], 1) * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
    x_ch1 = unsqueeze(x[:, 1], 1) * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
    x_ch2 = unsqueeze(x[:, 2], 1) * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
    return cat((x_ch0, x_ch1, x_ch2), 1)


def init_trunc_normal(model: nn.Module, default_std: float) -> None:
    """Conv and Linear weights ~ N(0, std²) truncated to [-2, 2] (std: the module's ``stddev`` attribute or
    ``default_std``), BatchNorm 1 and 0."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, mean=0.0, std=float(getattr(m, "stddev", default_std)), a=-2, b=2)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)


def init_warning(init_weights: bool | None, name: str) -> bool:
    """torchvision's FutureWarning when ``init_weights`` is None (then True)."""
    if init_weights is None:
        warnings.warn(f"The default weight initialization of {name} will be changed in future releases of "
                      f"torchvision. If you wish to keep the old behavior (which leads to long initialization times"
                      f" due to scipy/scipy#11299), please set init_weights=True.", FutureWarning, stacklevel=3)
        return True
    return init_weights


def pretrained_kwargs(weights: WeightsEnum | None, kwargs: dict) -> None:
    """With weights: transform_input on unless asked, aux heads built (their keys are in the file), no init,
    the weights' classes."""
    if weights is not None:
        if "transform_input" not in kwargs:
            overwrite_named_param(kwargs, "transform_input", True)
        overwrite_named_param(kwargs, "aux_logits", True)
        overwrite_named_param(kwargs, "init_weights", False)
        overwrite_named_param(kwargs, "num_classes", weights.value.num_classes)
