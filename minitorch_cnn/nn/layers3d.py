"""The 3-d family's remaining layers over (N, C, D, H, W): ``BatchNorm3d``, ``InstanceNorm3d`` and their lazy
forms, ``Dropout3d``, and the 3-d padding layers (``ZeroPad3d``, ``ConstantPad3d``, ``ReflectionPad3d``,
``ReplicationPad3d``, ``CircularPad3d``: ``padding`` an int or (left, right, top, bottom, front, back)); torch's
arguments, state_dict keys and reprs."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.dropout3d import dropout3d
from .dropout import _DropoutNd
from .lazy import _LazyNormBase
from .normalization import _BatchNorm
from .padding import _ConstantPad, _Pad, _ZeroPad
from .sample_norm import _InstanceNorm


class BatchNorm3d(_BatchNorm):
    """Batch norm of (N, C, D, H, W) input over N, D, H, W per channel."""

    _ndims = (5,)
    _layout = "(N, {c}, D, H, W)"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")
        return super().forward(input)


class InstanceNorm3d(_InstanceNorm):
    """Instance norm of (N, C, D, H, W) (or unbatched (C, D, H, W)) input over D, H, W."""

    _batched_ndim = 5


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """``BatchNorm3d`` whose num_features is the first input's dim 1."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """``InstanceNorm3d`` whose num_features is the first input's dim 1."""

    cls_to_become = InstanceNorm3d


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) input with probability p in training, scale the rest by 1/(1-p)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return dropout3d(input, self.p, self.training, self.inplace)


class ConstantPad3d(_ConstantPad):
    _dims = 3


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """``ConstantPad3d`` with value 0."""


class ReflectionPad3d(_Pad):
    _mode, _dims = "reflect", 3


class ReplicationPad3d(_Pad):
    _mode, _dims = "replicate", 3


class CircularPad3d(_Pad):
    _mode, _dims = "circular", 3
