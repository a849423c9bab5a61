"""3-d pooling layers over (N, C, D, H, W) (or (C, D, H, W)): ``MaxPool3d``, ``AvgPool3d``, ``AdaptiveAvgPool3d``,
``AdaptiveMaxPool3d``, ``LPPool3d`` and ``MaxUnpool3d``, torch's arguments and reprs (arguments stored as given,
``stride`` defaulting to ``kernel_size``; MaxUnpool3d stores triples, as torch)."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.pool3d import adaptive_avg_pool3d, adaptive_max_pool3d, avg_pool3d, lp_pool3d, max_pool3d, max_unpool3d
from .conv import _triple
from .pooling import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _LPPoolNd, _MaxPoolNd, _MaxUnpoolNd


class MaxPool3d(_MaxPoolNd):
    """Max over kD×kH×kW windows; with ``return_indices`` also the flat argmax index within each D×H×W volume."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - torch's name
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool3d(_AvgPoolNd):
    """Mean over kD×kH×kW windows (zero padding counted unless ``count_include_pad=False``)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Mean pooling to a fixed output size (D_out, H_out, W_out); None keeps that input size."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed output size (D_out, H_out, W_out); None keeps that input size."""

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - torch's name
        return adaptive_max_pool3d(input, self.output_size, self.return_indices)


class MaxUnpool3d(_MaxUnpoolNd):
    """Each value of (N, C, D, H, W) put at its max-pooling index of a zero (N, C, D_out, H_out, W_out) output."""

    _ntuple = staticmethod(_triple)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class LPPool3d(_LPPoolNd):
    """(Σ_window x^p)^{1/p} over kD×kH×kW windows (no padding)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)
