"""``Conv2d`` / ``Conv1d``: cross-correlation over (N, C_in, H, W) / (N, C_in, L), torch's arguments, defaults and
initialisation."""

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


def _single(v: Any) -> tuple[int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


def _triple(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share, as torch's ``_ConvNd``: the argument checks, the weight and bias
    (weight ``weight_shape``; bias (C_out,)) and their initialisation, kaiming_uniform_(a=√5) on the weight and
    U(±1/√fan_in) on the bias. ``_ntuple`` makes the per-dim sizes (a pair in 2-d); ``_padding_modes`` are the
    padding modes the subclass offers."""

    _ntuple = staticmethod(_pair)
    _padding_modes: tuple[str, ...] = ("zeros",)

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
        output_padding: Any, groups: int, bias: bool, padding_mode: str, weight_shape: tuple, device: Any,
        dtype: Any,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, value, least in (("kernel_size", kernel_size, 1), ("stride", stride, 1), ("dilation", dilation, 1),
                                  ("padding", 0 if isinstance(padding, str) else padding, 0)):
            if min(self._ntuple(value)) < least:
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
        if padding_mode not in self._padding_modes:
            offered = ", ".join(repr(m) for m in self._padding_modes)
            raise NotImplementedError(f"{name}: padding_mode='{padding_mode}' is not offered: only {offered}")
        self.in_channels, self.out_channels = in_channels, out_channels
        nt = self._ntuple
        self.kernel_size, self.stride, self.dilation = nt(kernel_size), nt(stride), nt(dilation)
        self.padding = padding if isinstance(padding, str) else nt(padding)
        self.output_padding = nt(output_padding)
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
        zero, one = self._ntuple(0), self._ntuple(1)
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != zero:
            s += f", padding={self.padding}"
        if self.dilation != one:
            s += f", dilation={self.dilation}"
        if self.output_padding != zero:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """What Conv1d, Conv2d and Conv3d share: torch's constructor (padding may be an int, a tuple, 'valid' or
    'same', the last only with stride 1) and the padding a non-zeros padding_mode applies before convolving."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
        dtype: Any = None,
    ) -> None:
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of ['same', 'valid']")
            if padding == "same" and any(s != 1 for s in self._ntuple(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        weight_shape = (out_channels, in_channels // groups if groups > 0 else 0)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         padding_mode, weight_shape, device, dtype)

    def _mode_padding(self) -> tuple:
        """F.pad's (lo, hi) per spatial dim, the last dim first, for a non-zeros padding_mode: 'same' puts the odd
        one on the high side, as torch."""
        if self.padding == "valid":
            return (0,) * (2 * len(self.kernel_size))
        out: list = []
        for i in reversed(range(len(self.kernel_size))):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                out += [total // 2, total - total // 2]
            else:
                out += [self.padding[i], self.padding[i]]
        return tuple(out)


class Conv2d(_Conv):
    """input (N, C_in, H, W) (or unbatched (C_in, H, W)) -> (N, C_out, H_out, W_out).

    weight (C_out, C_in/groups, kH, kW), bias (C_out,), both initialised as torch's (U(±1/√fan_in)).
    ``padding`` may be an int, a pair, 'valid' or 'same' (stride 1); only padding_mode='zeros' is offered.
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            raise RuntimeError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got {tuple(input.shape)}")
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """input (N, C_in, L) (or unbatched (C_in, L)) -> (N, C_out, L_out), L_out = (L + 2p - d(k-1) - 1) // s + 1.

    weight (C_out, C_in/groups, k), bias (C_out,), initialised as torch's. ``padding``: an int, 'valid' or 'same'
    (stride 1); ``padding_mode``: 'zeros', 'reflect', 'replicate' or 'circular' (the input is padded by that mode
    first, then convolved unpadded, as torch's).
    """

    _ntuple = staticmethod(_single)
    _padding_modes = _TORCH_PADDING_MODES

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim not in (2, 3) or input.shape[-2] != self.in_channels:
            raise RuntimeError(f"{self!r}: expected input (N, {self.in_channels}, L) or ({self.in_channels}, L), "
                               f"got {tuple(input.shape)}")
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._mode_padding(), mode=self.padding_mode)
            return F.conv1d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
