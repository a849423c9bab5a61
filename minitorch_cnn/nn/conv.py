"""``Conv2d``: 2-d cross-correlation over (N, C_in, H, W), torch's arguments, defaults and initialisation."""

from __future__ import annotations

import math
from typing import Any

from ..autograd import Tensor
from ..ops.factories import empty
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_TORCH_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(v: Any) -> tuple[int, int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share, as torch's ``_ConvNd``: the argument checks, the weight and bias
    (weight ``weight_shape``; bias (C_out,)) and their initialisation, kaiming_uniform_(a=√5) on the weight and
    U(±1/√fan_in) on the bias."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
        output_padding: Any, groups: int, bias: bool, padding_mode: str, weight_shape: tuple, device: Any,
        dtype: Any,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, value, least in (("kernel_size", kernel_size, 1), ("stride", stride, 1), ("dilation", dilation, 1),
                                  ("padding", 0 if isinstance(padding, str) else padding, 0)):
            if min(_pair(value)) < least:
                # torch defers these to the first forward (or fails creating the weight); refuse them up front
                raise ValueError(f"{name}: {arg} must be >= {least}, got {value!r}")
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _TORCH_PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_TORCH_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode='{padding_mode}' is not offered: only 'zeros'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.output_padding = _pair(output_padding)
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = Parameter(empty(*weight_shape, *self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """input (N, C_in, H, W) (or unbatched (C_in, H, W)) -> (N, C_out, H_out, W_out).

    weight (C_out, C_in/groups, kH, kW), bias (C_out,), both initialised as torch's (U(±1/√fan_in)).
    ``padding`` may be an int, a pair, 'valid' or 'same' (stride 1); only padding_mode='zeros' is offered.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
        dtype: Any = None,
    ) -> None:
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of ['same', 'valid']")
            if padding == "same" and any(s != 1 for s in _pair(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        weight_shape = (out_channels, in_channels // groups if groups > 0 else 0)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         padding_mode, weight_shape, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            raise RuntimeError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got {tuple(input.shape)}")
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
