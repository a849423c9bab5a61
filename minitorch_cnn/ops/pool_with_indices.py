"""torch.nn.functional's ``*_with_indices`` pooling functions: the max poolings with ``return_indices=True``
(values and int64 argmax indices, always both), whatever ``return_indices`` says, as torch's."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from .fractional_max_pool import fractional_max_pool2d
from .pooling import adaptive_max_pool1d, adaptive_max_pool2d, max_pool1d, max_pool2d


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                            dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """(max_pool2d values, indices flat into H·W)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                            dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """(max_pool1d values, indices along L)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,  # noqa: A002 - torch's name
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """(adaptive_max_pool2d values, indices flat into H·W)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,  # noqa: A002 - torch's name
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:
    """(adaptive_max_pool1d values, indices along L)."""
    return adaptive_max_pool1d(input, output_size, True)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(fractional_max_pool2d values, indices flat into H·W)."""
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True, _random_samples)
