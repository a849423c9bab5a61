"""Power-average pooling over kh×kw windows (no padding), and over k-long windows of (N, C, L) in 1-d:

    y = (sign(m) · relu(|m|) · kh·kw)^{1/p},   m = avg_pool2d(x^p)   i.e. y = (Σ_window x^p)^{1/p}
    lp_pool1d: the same with avg_pool1d and k; p = ±∞ there is ±max_pool1d(±|x|), p = 0 refused (torch's)

composed of differentiable ops as torch composes it (so the same values, including a window of zeros, whose
gradient is torch's NaN from 0 · ∞, and every order of derivative). x (N, C, H, W) or (C, H, W).
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from . import elementwise as ew
from ._pairs import pair
from .pooling import avg_pool1d, avg_pool2d, max_pool1d


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,  # noqa: A002 - torch's name
              ceil_mode: bool = False) -> Tensor:
    """``torch.nn.functional.lp_pool2d`` (see the module docstring); ``stride`` defaults to the kernel size."""
    kh, kw = pair(kernel_size, "kernel_size", "lp_pool2d", 1)
    m = avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return (ew.sign(m) * ew.relu(m.abs()) * (kh * kw)) ** (1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,  # noqa: A002 - torch's name
              ceil_mode: bool = False) -> Tensor:
    """``torch.nn.functional.lp_pool1d`` over (N, C, L) or (C, L); ``stride`` defaults to the kernel size."""
    if norm_type == 0:
        raise ValueError(f"norm_type must be a non-zero value, but got {norm_type}")
    if norm_type == float("inf"):
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    m = avg_pool1d(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    return (ew.sign(m) * ew.relu(m.abs()) * kernel_size) ** (1.0 / norm_type)
