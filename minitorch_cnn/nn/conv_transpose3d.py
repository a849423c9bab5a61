"""``ConvTranspose3d`` / ``LazyConvTranspose3d``: the transposed 3-d convolution (conv3d's input gradient),
torch's arguments, initialisation and ``forward(input, output_size)``."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.conv_transpose import output_size
from ..ops.conv_transpose3d import conv_transpose3d
from .conv import _triple
from .conv_transpose import _ConvTranspose
from .lazy import _LazyConvTransposeMixin


class ConvTranspose3d(_ConvTranspose):
    """input (N, C_in, D, H, W) (or unbatched (C_in, D, H, W)) -> (N, C_out, D_out, H_out, W_out).

    weight (C_in, C_out/groups, kD, kH, kW), bias (C_out,), initialised as torch's (fan_in from dim 1).
    ``forward(input, output_size)`` picks the output padding that gives ``output_size``, as torch's.
    """

    _ntuple = staticmethod(_triple)

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


class LazyConvTranspose3d(_LazyConvTransposeMixin, ConvTranspose3d):
    """``ConvTranspose3d`` whose in_channels is the channel size of the first input."""

    cls_to_become = ConvTranspose3d
    spatial_dims = 3
