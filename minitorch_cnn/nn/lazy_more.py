"""More lazy layers, as torch's: ``LazyConv1d``, ``LazyConvTranspose1d``, ``LazyConvTranspose2d`` (in_channels
from the first input's channel axis: dim 1 batched, dim 0 unbatched) and ``LazyInstanceNorm1d/2d`` (num_features
from the first input's dim 1, with torch's lazy defaults affine=True, track_running_stats=True). Until then the
weights are ``UninitializedParameter``s; the first call materialises them, initialises them as the eager layer
does and turns the module into that layer (``cls_to_become``)."""

from __future__ import annotations

from .conv import Conv1d
from .conv_transpose import ConvTranspose2d
from .conv_transpose1d import ConvTranspose1d
from .lazy import _LazyConvMixin, _LazyConvTransposeMixin, _LazyNormBase
from .sample_norm import InstanceNorm1d, InstanceNorm2d


class LazyConv1d(_LazyConvMixin, Conv1d):
    """``Conv1d`` whose in_channels is the channel size of the first input."""

    cls_to_become = Conv1d


class LazyConvTranspose1d(_LazyConvTransposeMixin, ConvTranspose1d):
    """``ConvTranspose1d`` whose in_channels is the channel size of the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeMixin, ConvTranspose2d):
    """``ConvTranspose2d`` whose in_channels is the channel size of the first input."""

    cls_to_become = ConvTranspose2d
    spatial_dims = 2


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """``InstanceNorm1d`` whose num_features is the first input's dim 1."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """``InstanceNorm2d`` whose num_features is the first input's dim 1."""

    cls_to_become = InstanceNorm2d
