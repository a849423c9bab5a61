"""``LayerNorm``, ``GroupNorm``, ``InstanceNorm1d/2d``: per-sample normalisation layers, torch's arguments."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor
from ..ops.sample_norm import group_norm, instance_norm, layer_norm
from .module import Module
from .normalization import _NormBase, register_affine


class LayerNorm(Module):
    """Normalises the last len(normalized_shape) axes of each sample; weight (ones) and bias (zeros) of
    ``normalized_shape`` when ``elementwise_affine`` (``bias=False`` keeps only the weight)."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        register_affine(self, elementwise_affine, self.normalized_shape, bias, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalises each of ``num_groups`` channel groups per sample; per-channel weight (ones) and bias (zeros)
    when ``affine`` (``bias=False``, keyword as torch's, keeps only the weight)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        register_affine(self, affine, (num_channels,), bias, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_NormBase):
    """Shared by InstanceNorm1d/2d: affine=False and track_running_stats=False by default, as torch's.

    With ``track_running_stats`` the buffers running_mean (C,), running_var (C,) and num_batches_tracked are kept
    (torch's keys) and used in eval mode; training updates the first two with ``momentum`` (None counts as 0).
    """

    _batched_ndim = 0

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        b = self._batched_ndim
        if input.ndim not in (b - 1, b):
            raise ValueError(f"expected {b - 1}D or {b}D input (got {input.ndim}D input)")
        channel = input.ndim - b + 1
        if input.shape[channel] != self.num_features and self.affine:
            raise ValueError(f"expected input's size at dim={channel} to match num_features ({self.num_features}), "
                             f"but got: {input.shape[channel]}.")
        unbatched = input.ndim == b - 1
        x = input.unsqueeze(0) if unbatched else input
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training or not self.track_running_stats,
                          self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y



class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) (or unbatched (C, L)) input over L."""

    _batched_ndim = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) (or unbatched (C, H, W)) input over H, W."""

    _batched_ndim = 4
