"""``BatchNorm1d`` / ``BatchNorm2d``: batch statistics in training, running statistics in eval, as torch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor
from ..ops.factories import ones, tensor, zeros
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def register_affine(module: Module, affine: bool, shape: tuple, bias: bool, device: Any, dtype: Any) -> None:
    """A normalisation layer's learned scale ``weight`` (ones) and shift ``bias`` (zeros) of ``shape`` when
    ``affine`` (``bias=False`` keeps the scale only); else both registered as None, as torch's layers do."""
    if affine:
        module.weight = Parameter(ones(*shape, dtype=dtype, device=device))
        if bias:
            module.bias = Parameter(zeros(*shape, dtype=dtype, device=device))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


class _NormBase(Module):
    """What batch and instance norm share, as torch's ``_NormBase``: weight (ones) and bias (zeros) of (C,) when
    ``affine`` (``bias=False``, keyword as torch 2.15's, keeps the scale but drops the shift), and with
    ``track_running_stats`` the buffers running_mean (C,), running_var (C,), num_batches_tracked (0-d int64)."""

    def __init__(self, num_features: int, eps: float, momentum: float | None, affine: bool,
                 track_running_stats: bool, device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        register_affine(self, affine, (num_features,), bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=np.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        # torch fills a missing num_batches_tracked (older checkpoints have none) instead of reporting it
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(state_dict, prefix, *args)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Shared by BatchNorm1d/2d: batch statistics in training, running statistics in eval.

    ``momentum=None`` makes the running statistics a cumulative average: factor 1/num_batches_tracked.
    """

    _ndims: tuple[int, ...] = ()
    _layout = ""  # the expected input, with "{c}" for the channel count

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim not in self._ndims or input.shape[1] != self.num_features:
            expected = self._layout.format(c=self.num_features)
            raise RuntimeError(f"{self!r}: expected input {expected}, got {tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
        # batch statistics when training, or when there are no running statistics to use
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight, self.bias, use_batch, factor, self.eps,
        )



class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) or (N, C, L) input over every axis but C."""

    _ndims = (2, 3)
    _layout = "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) input over N, H, W per channel."""

    _ndims = (4,)
    _layout = "(N, {c}, H, W)"
