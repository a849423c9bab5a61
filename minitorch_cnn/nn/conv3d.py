"""``Conv3d`` / ``LazyConv3d``: cross-correlation over (N, C_in, D, H, W), torch's arguments, defaults, padding modes
and initialisation."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.conv3d import conv3d
from ..ops.padding import pad
from .conv import _TORCH_PADDING_MODES, _Conv, _triple
from .lazy import _LazyConvMixin


class Conv3d(_Conv):
    """input (N, C_in, D, H, W) (or unbatched (C_in, D, H, W)) -> (N, C_out, D_out, H_out, W_out).

    weight (C_out, C_in/groups, kD, kH, kW), bias (C_out,), initialised as torch's. ``padding``: an int, a triple,
    'valid' or 'same' (stride 1); ``padding_mode``: 'zeros', 'reflect', 'replicate' or 'circular' (the input is
    padded by that mode first, then convolved unpadded, as torch's).
    """

    _ntuple = staticmethod(_triple)
    _padding_modes = _TORCH_PADDING_MODES

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        if self.padding_mode != "zeros":
            if input.ndim not in (4, 5):
                raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of "
                                   f"size: {list(input.shape)}")
            padded = pad(input, self._mode_padding(), mode=self.padding_mode)
            return conv3d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv3d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class LazyConv3d(_LazyConvMixin, Conv3d):
    """``Conv3d`` whose in_channels is the channel size of the first input."""

    cls_to_become = Conv3d
    spatial_dims = 3
