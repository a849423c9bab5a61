"""``LPPool1d`` and ``MaxUnpool1d``: the 1-d twins of LPPool2d and MaxUnpool2d, torch's arguments and reprs."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.lp_pool import lp_pool1d
from ..ops.max_unpool import max_unpool1d
from .conv import _single
from .pooling import _LPPoolNd, _MaxUnpoolNd


class LPPool1d(_LPPoolNd):
    """(Σ_window x^p)^{1/p} over k-long windows of (N, C, L) (no padding)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class MaxUnpool1d(_MaxUnpoolNd):
    """Each value of (N, C, L) put at its max-pooling index of a zero (N, C, L_out) output."""

    _ntuple = staticmethod(_single)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)
