"""Pooling layers over (N, C, H, W) (or (C, H, W)), and (N, C, L) (or (C, L)) for the 1-d ones: max, average,
their adaptive forms, power-average (LPPool2d) and max unpooling (MaxUnpool2d).

Arguments are stored as given (``stride`` defaults to ``kernel_size``), as torch, so reprs match.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from . import functional as F
from .conv import _pair, _single
from .module import Module


def _check_input(layer: Module, x: Tensor) -> None:
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{layer!r}: expected input (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")


class _MaxPoolNd(Module):
    """What MaxPool1d/2d/3d share: the arguments as given, ``stride`` defaulting to ``kernel_size``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over kH×kW windows; with ``return_indices`` also the flat argmax index within each H×W plane."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - torch's name
        _check_input(self, input)
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class _AvgPoolNd(Module):
    """What AvgPool2d/3d share: the arguments as given, ``stride`` defaulting to ``kernel_size``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean over kH×kW windows (zero padding counted unless ``count_include_pad=False``)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        _check_input(self, input)
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptiveAvgPoolNd(Module):
    """What AdaptiveAvgPool1d/2d/3d share: the output size as given."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean pooling to a fixed output size (H_out, W_out); None keeps that input size."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        _check_input(self, input)
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(Module):
    """What AdaptiveMaxPool1d/2d/3d share: the output size as given, and ``return_indices``."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size (H_out, W_out); None keeps that input size."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        _check_input(self, input)
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class MaxPool1d(MaxPool2d):
    """Max over windows of ``kernel_size`` along L of (N, C, L) or (C, L); arguments as MaxPool2d's (ints)."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - torch's name
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """Mean over windows along L of (N, C, L) or (C, L) (zero padding counted unless ``count_include_pad=False``)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        one = _single  # torch stores 1-tuples here
        self.kernel_size = one(kernel_size)
        self.stride = one(stride if stride is not None else kernel_size)
        self.padding = one(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Mean pooling of (N, C, L) or (C, L) to a fixed length."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Max pooling of (N, C, L) or (C, L) to a fixed length; with ``return_indices`` the argmax along L too."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class _LPPoolNd(Module):
    """What LPPool1d/2d/3d share: the arguments as given (``stride`` None: windows do not overlap)."""

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool2d(_LPPoolNd):
    """(Σ_window x^p)^{1/p} over kH×kW windows (no padding)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class _MaxUnpoolNd(Module):
    """What MaxUnpool1d/2d/3d share: kernel_size, stride (default kernel_size) and padding stored as ``_ntuple``
    tuples, as torch."""

    _ntuple = staticmethod(_pair)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = self._ntuple(kernel_size)
        self.stride = self._ntuple(stride if stride is not None else kernel_size)
        self.padding = self._ntuple(padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpoolNd):
    """Each value of (N, C, H, W) put at its max-pooling index of a zero (N, C, H_out, W_out) output."""

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)
