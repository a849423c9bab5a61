"""``ConvTranspose2d``: the transposed 2-d convolution (conv2d's input gradient), torch's arguments and init."""

from __future__ import annotations

import math
from typing import Any

from ..autograd import Tensor
from ..ops.conv_transpose import conv_transpose2d, output_size
from ..ops.factories import empty
from . import init
from .conv import _pair
from .module import Module
from .parameter import Parameter


class ConvTranspose2d(Module):
    """input (N, C_in, H, W) (or unbatched (C_in, H, W)) -> (N, C_out, H_out, W_out).

    weight (C_in, C_out/groups, kH, kW), bias (C_out,), initialised as torch's: kaiming_uniform_(a=√5) on the
    weight (whose fan_in, as torch computes it from dim 1, is C_out/groups·kH·kW) and U(±1/√fan_in) on the bias.
    ``forward(input, output_size)`` picks the output padding that gives ``output_size``, as torch's.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
        device: Any = None, dtype: Any = None,
    ) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding, self.output_padding = _pair(padding), _pair(output_padding)
        self.groups, self.padding_mode = groups, padding_mode
        self.weight = Parameter(empty(in_channels, out_channels // groups, *self.kernel_size, dtype=dtype,
                                      device=device))
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

    def _output_padding(self, input: Tensor, size: Any) -> tuple:  # noqa: A002 - torch's name
        """The output padding that makes the output ``size`` (H_out, W_out), or (N, C, H_out, W_out)."""
        if size is None:
            return self.output_padding
        size = tuple(int(s) for s in size)
        if len(size) == 4 or (len(size) == 3 and input.ndim == 3):
            size = size[-2:]
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2D: for {input.ndim}D input, output_size must have 2 or "
                             f"{input.ndim} elements (got {len(size)})")
        smallest = output_size(tuple(input.shape[-2:]), self.kernel_size, self.stride, self.padding, (0, 0),
                               self.dilation)
        for want, lo, s in zip(size, smallest, self.stride):
            if not lo <= want <= lo + s - 1:
                raise ValueError(f"requested an output size of {size}, but valid sizes range from {smallest} to "
                                 f"{tuple(m + s - 1 for m, s in zip(smallest, self.stride))} (for an input of "
                                 f"{tuple(input.shape[-2:])})")
        return tuple(want - lo for want, lo in zip(size, smallest))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            raise RuntimeError(f"{self!r}: expected input (N, {self.in_channels}, H, W), got {tuple(input.shape)}")
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups, self.dilation)

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
