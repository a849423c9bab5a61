"""More lazy layers, as torch's: ``LazyConv1d``, ``LazyConvTranspose1d``, ``LazyConvTranspose2d`` (in_channels
from the first input's channel axis: dim 1 batched, dim 0 unbatched) and ``LazyInstanceNorm1d/2d`` (num_features
from the first input's dim 1, with torch's lazy defaults affine=True, track_running_stats=True). Until then the
weights are ``UninitializedParameter``s; the first call materialises them, initialises them as the eager layer
does and turns the module into that layer (``cls_to_become``)."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from .conv import Conv1d
from .conv_transpose import ConvTranspose2d
from .conv_transpose1d import ConvTranspose1d
from .lazy import LazyModuleMixin, UninitializedParameter, _LazyNormBase
from .sample_norm import InstanceNorm1d, InstanceNorm2d


class _LazyConvMixin(LazyModuleMixin):
    """torch's ``_LazyConvXdMixin``: ``transposed`` says the weight's layout, ``spatial_dims`` the input's."""

    transposed = False
    spatial_dims = 1

    def _lazy_weights(self, out_channels: int, groups: int, bias: bool, device: Any, dtype: Any) -> None:
        self.out_channels = out_channels
        if out_channels % groups:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by groups ({groups})")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _in_channels(self, input: Tensor) -> int:  # noqa: A002 - torch's name
        unbatched = self.spatial_dims + 1
        if input.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {list(input.shape)}")
        return input.shape[1] if input.ndim == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:  # noqa: A002 - torch's name
        if self.has_uninitialized_params():
            self.in_channels = self._in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            outer = (self.in_channels, self.out_channels // self.groups) if self.transposed else (
                self.out_channels, self.in_channels // self.groups)
            self.weight.materialize((*outer, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()
        else:  # materialised by load_state_dict: the size comes from the loaded weight
            self.in_channels = self.weight.shape[0] if self.transposed else self.weight.shape[1] * self.groups


class LazyConv1d(_LazyConvMixin, Conv1d):
    """``Conv1d`` whose in_channels is the channel size of the first input."""

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_weights(out_channels, groups, bias, device, dtype)


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """``ConvTranspose1d`` whose in_channels is the channel size of the first input."""

    cls_to_become = ConvTranspose1d
    transposed = True

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        self._lazy_weights(out_channels, groups, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """``ConvTranspose2d`` whose in_channels is the channel size of the first input."""

    cls_to_become = ConvTranspose2d
    transposed = True
    spatial_dims = 2

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode)
        self._lazy_weights(out_channels, groups, bias, device, dtype)


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """``InstanceNorm1d`` whose num_features is the first input's dim 1."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """``InstanceNorm2d`` whose num_features is the first input's dim 1."""

    cls_to_become = InstanceNorm2d
