"""``ConvTranspose1d``: the transposed 1-d convolution (conv1d's input gradient), torch's arguments and init."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.conv_transpose import output_size
from ..ops.conv_transpose1d import conv_transpose1d
from .conv import _single
from .conv_transpose import _ConvTranspose


class ConvTranspose1d(_ConvTranspose):
    """input (N, C_in, L) (or unbatched (C_in, L)) -> (N, C_out, L_out).

    weight (C_in, C_out/groups, k), bias (C_out,), initialised as torch's (kaiming_uniform_(a=√5), U(±1/√fan_in)).
    ``forward(input, output_size)`` picks the output padding that gives ``output_size``, as torch's.
    """

    _ntuple = staticmethod(_single)

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
        device: Any = None, dtype: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
                         dilation, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, size: Any) -> tuple:  # noqa: A002 - torch's name
        """The output padding that makes the output ``size`` (L_out,), or (N, C, L_out)."""
        if size is None:
            return self.output_padding
        size = tuple(int(s) for s in size)
        if len(size) == input.ndim:
            size = size[-1:]
        if len(size) != 1:
            raise ValueError(f"ConvTranspose1D: for {input.ndim}D input, output_size must have 1 or {input.ndim} "
                             f"elements (got {len(size)})")
        (lo,) = output_size(tuple(input.shape[-1:]), self.kernel_size, self.stride, self.padding, (0,),
                            self.dilation)
        hi = lo + self.stride[0] - 1
        if not lo <= size[0] <= hi:
            raise ValueError(f"requested an output size of {list(size)}, but valid sizes range from [{lo}] to [{hi}] "
                             f"(for an input of {list(input.shape[-1:])})")
        return (size[0] - lo,)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim not in (2, 3):
            raise RuntimeError("Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of "
                               f"size: {list(input.shape)}")
        return conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups, self.dilation)
