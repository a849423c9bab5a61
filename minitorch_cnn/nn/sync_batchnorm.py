"""``SyncBatchNorm``: BatchNorm whose training statistics span the batches of every rank (torch's module).

Outside training, or without a process group of more than one rank, it is BatchNorm. ``convert_sync_batchnorm``
turns every BatchNorm of a model into one, keeping its parameters and buffers (the same Tensors).
"""

from __future__ import annotations

from typing import Any

from .. import distributed as dist
from ..autograd import Tensor
from ..ops.sync_batch_norm import sync_batch_norm
from .module import Module
from .normalization import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    """Batch norm of (N, C, *) input over N and the trailing axes of every rank's batch."""

    _ndims = tuple(range(2, 9))
    _layout = "(N, {c}, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group: Any = None, device: Any = None,
                 dtype: Any = None) -> None:
        if process_group is not None:
            raise ValueError("SyncBatchNorm: mt.distributed has only the default process group: pass "
                             "process_group=None")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{self!r}: expected input (N, {self.num_features}, *), got {tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
        keep = self.track_running_stats
        return sync_batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                               self.weight, self.bias, factor, self.eps)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every BatchNorm*d replaced by a SyncBatchNorm holding the same parameters, buffers,
        training mode and requires_grad (the module itself when it is a BatchNorm)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
            return out
        for name, child in module.named_children():
            module.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return module
