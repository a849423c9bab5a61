"""``ConvTranspose3d`` / ``LazyConvTranspose3d``: the transposed 3-d convolution (conv3d's input gradient),
torch's arguments, initialisation and ``forward(input, output_size)``."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.conv_transpose3d import conv_transpose3d, output_size
from .conv import _ConvNd
from .conv3d import _triple
from .lazy_more import _LazyConvMixin


class ConvTranspose3d(_ConvNd):
    """input (N, C_in, D, H, W) (or unbatched (C_in, D, H, W)) -> (N, C_out, D_out, H_out, W_out).

    weight (C_in, C_out/groups, kD, kH, kW), bias (C_out,), initialised as torch's (fan_in from dim 1).
    ``forward(input, output_size)`` picks the output padding that gives ``output_size``, as torch's.
    """

    _ntuple = staticmethod(_triple)

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
        device: Any = None, dtype: Any = None,
    ) -> None:
        weight_shape = (in_channels, out_channels // groups if groups > 0 else 0)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, padding_mode, weight_shape, device, dtype)

    def _output_padding(self, input: Tensor, size: Any) -> tuple:  # noqa: A002 - torch's name
        """The output padding that makes the output ``size`` (D_out, H_out, W_out), or with the leading dims."""
        if size is None:
            return self.output_padding
        size = tuple(int(s) for s in size)
        if len(size) == input.ndim:
            size = size[-3:]
        if len(size) != 3:
            raise ValueError(f"ConvTranspose3D: for {input.ndim}D input, output_size must have 3 or "
                             f"{input.ndim} elements (got {len(size)})")
        smallest = output_size(tuple(input.shape[-3:]), self.kernel_size, self.stride, self.padding, (0, 0, 0),
                               self.dilation)
        largest = [m + s - 1 for m, s in zip(smallest, self.stride)]
        for want, lo, hi in zip(size, smallest, largest):
            if not lo <= want <= hi:
                raise ValueError(f"requested an output size of {size}, but valid sizes range from {list(smallest)} "
                                 f"to {largest} (for an input of {input.shape[-3:]!r})")
        return tuple(want - lo for want, lo in zip(size, smallest))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002 - torch's name
        return conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups, self.dilation)


class LazyConvTranspose3d(_LazyConvMixin, ConvTranspose3d):
    """``ConvTranspose3d`` whose in_channels is the channel size of the first input."""

    cls_to_become = ConvTranspose3d
    transposed = True
    spatial_dims = 3

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        self._lazy_weights(out_channels, groups, bias, device, dtype)
