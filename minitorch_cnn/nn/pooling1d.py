"""``LPPool1d`` and ``MaxUnpool1d``: the 1-d twins of LPPool2d and MaxUnpool2d, torch's arguments and reprs."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.lp_pool import lp_pool1d
from ..ops.max_unpool import max_unpool1d
from .module import Module


class LPPool1d(Module):
    """(Σ_window x^p)^{1/p} over k-long windows of (N, C, L) (no padding)."""

    def __init__(self, norm_type: float, kernel_size: int, stride: Any = None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


def _single(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


class MaxUnpool1d(Module):
    """Each value of (N, C, L) put at its max-pooling index of a zero (N, C, L_out) output."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
