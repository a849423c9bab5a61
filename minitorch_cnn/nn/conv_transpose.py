"""``ConvTranspose2d``: the transposed 2-d convolution (conv2d's input gradient), torch's arguments and init."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.conv_transpose import conv_transpose2d, output_size
from .conv import _ConvNd


class _ConvTranspose(_ConvNd):
    """What ConvTranspose1d/2d/3d share: torch's constructor, the weight (C_in, C_out/groups, *kernel_size)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
        device: Any = None, dtype: Any = None,
    ) -> None:
        weight_shape = (in_channels, out_channels // groups if groups > 0 else 0)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, padding_mode, weight_shape, device, dtype)


class ConvTranspose2d(_ConvTranspose):
    """input (N, C_in, H, W) (or unbatched (C_in, H, W)) -> (N, C_out, H_out, W_out).

    weight (C_in, C_out/groups, kH, kW), bias (C_out,), initialised as torch's: kaiming_uniform_(a=√5) on the
    weight (whose fan_in, as torch computes it from dim 1, is C_out/groups·kH·kW) and U(±1/√fan_in) on the bias.
    ``forward(input, output_size)`` picks the output padding that gives ``output_size``, as torch's.
    """

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
