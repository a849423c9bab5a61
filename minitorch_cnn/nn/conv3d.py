"""``Conv3d`` / ``LazyConv3d``: cross-correlation over (N, C_in, D, H, W), torch's arguments, defaults, padding modes
and initialisation."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.conv3d import conv3d
from ..ops.padding import pad
from .conv import _TORCH_PADDING_MODES, _ConvNd
from .lazy_more import _LazyConvMixin


def _triple(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


class Conv3d(_ConvNd):
    """input (N, C_in, D, H, W) (or unbatched (C_in, D, H, W)) -> (N, C_out, D_out, H_out, W_out).

    weight (C_out, C_in/groups, kD, kH, kW), bias (C_out,), initialised as torch's. ``padding``: an int, a triple,
    'valid' or 'same' (stride 1); ``padding_mode``: 'zeros', 'reflect', 'replicate' or 'circular' (the input is
    padded by that mode first, then convolved unpadded, as torch's).
    """

    _ntuple = staticmethod(_triple)
    _padding_modes = _TORCH_PADDING_MODES

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
        dtype: Any = None,
    ) -> None:
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of ['same', 'valid']")
            if padding == "same" and any(s != 1 for s in _triple(stride)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        weight_shape = (out_channels, in_channels // groups if groups > 0 else 0)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         padding_mode, weight_shape, device, dtype)

    def _mode_padding(self) -> tuple:
        """F.pad's (w_lo, w_hi, h_lo, h_hi, d_lo, d_hi) for a non-zeros padding_mode ('same': odd one last)."""
        if self.padding == "valid":
            return (0,) * 6
        out: list = []
        for i in (2, 1, 0):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                out += [total // 2, total - total // 2]
            else:
                out += [self.padding[i], self.padding[i]]
        return tuple(out)

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

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_weights(out_channels, groups, bias, device, dtype)
