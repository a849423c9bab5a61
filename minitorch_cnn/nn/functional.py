"""``mt.nn.functional`` (import as F): the stateless ops under torch.nn.functional's names and signatures."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops import elementwise as _ew
from ..ops import matmul as _mm
from ..ops import softmax as _softmax
from ..ops._util import cast as _cast
from ..ops.activation import gelu, hardsigmoid, hardswish, relu6, silu
from ..ops.alpha_dropout import alpha_dropout, feature_alpha_dropout
from ..ops.aten_forms import native_channel_shuffle
from ..ops.attention import scaled_dot_product_attention
from ..ops.bilinear import bilinear
from ..ops.binary_cross_entropy import binary_cross_entropy, binary_cross_entropy_with_logits
from ..ops.channel_shuffle import channel_shuffle
from ..ops.conv import conv1d, conv2d
from ..ops.conv3d import conv3d
from ..ops.conv_transpose import conv_transpose2d
from ..ops.conv_transpose1d import conv_transpose1d
from ..ops.conv_transpose3d import conv_transpose3d
from ..ops.cosine_embedding import cosine_embedding_loss
from ..ops.ctc_loss import ctc_loss
from ..ops.distance import cosine_similarity, pairwise_distance, triplet_margin_loss
from ..ops.dropout import dropout, dropout2d
from ..ops.dropout1d import dropout1d
from ..ops.dropout3d import dropout3d
from ..ops.embedding import embedding
from ..ops.embedding_bag import embedding_bag
from ..ops.exponential_linear import celu, celu_, elu, elu_, selu, selu_
from ..ops.fold import fold, unfold
from ..ops.fractional_max_pool import fractional_max_pool2d
from ..ops.fractional_max_pool3d import fractional_max_pool3d, fractional_max_pool3d_with_indices
from ..ops.glu import glu
from ..ops.grid_sample import affine_grid, grid_sample
from ..ops.gumbel_softmax import gumbel_softmax
from ..ops.indexing import one_hot
from ..ops.inplace_activation import hardtanh_, leaky_relu_, relu_, rrelu_, threshold_
from ..ops.inplace_flag import NEGATIVE_LEAKY as _NEGATIVE_LEAKY
from ..ops.inplace_flag import maybe_in_place as _maybe_in_place
from ..ops.interpolate import interpolate
from ..ops.kl_div import kl_div
from ..ops.likelihood_loss import gaussian_nll_loss, poisson_nll_loss
from ..ops.local_response_norm import local_response_norm
from ..ops.loss import cross_entropy, mse_loss, nll_loss
from ..ops.lp_normalize import normalize
from ..ops.lp_pool import lp_pool1d, lp_pool2d
from ..ops.margin_loss import (
    hinge_embedding_loss,
    l1_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    soft_margin_loss,
    triplet_margin_with_distance_loss,
)
from ..ops.max_unpool import max_unpool1d, max_unpool2d
from ..ops.multi_head_attention import multi_head_attention_forward
from ..ops.multilabel_soft_margin import multilabel_soft_margin_loss
from ..ops.normalization import batch_norm
from ..ops.padding import pad
from ..ops.pdist import pdist
from ..ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from ..ops.pool3d import (
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool3d,
    lp_pool3d,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool3d,
)
from ..ops.pool_with_indices import (
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    fractional_max_pool2d_with_indices,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
)
from ..ops.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ..ops.prelu import prelu, rrelu
from ..ops.rms_norm import rms_norm
from ..ops.robust_loss import huber_loss, smooth_l1_loss
from ..ops.sample_norm import group_norm, instance_norm, layer_norm
from ..ops.shrink import hardshrink, hardtanh, softshrink, tanhshrink, threshold
from ..ops.softplus import logsigmoid, mish, softplus
from ..ops.softsign import softsign
from ..ops.upsample import upsample, upsample_bilinear, upsample_nearest
from . import grad

__all__ = [
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "affine_grid", "avg_pool1d", "avg_pool2d", "batch_norm",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "conv_transpose2d", "cosine_embedding_loss",
    "cosine_similarity", "cross_entropy", "dropout", "dropout2d", "embedding", "gelu", "grid_sample", "group_norm",
    "hardsigmoid", "hardswish", "instance_norm", "interpolate", "kl_div", "layer_norm", "leaky_relu", "linear",
    "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance",
    "pixel_shuffle", "pixel_unshuffle", "relu", "relu6", "sigmoid", "silu", "softmax", "tanh", "triplet_margin_loss",
]
__all__ += ["multi_head_attention_forward", "scaled_dot_product_attention"]  # attention (ops/attention.py)
__all__ += ["celu", "glu", "hardshrink", "hardtanh", "logsigmoid", "mish", "prelu", "rrelu", "selu", "softmin",
            "softplus", "softshrink", "tanhshrink", "threshold"]  # activations (ops/softplus, shrink, prelu, ...)
__all__ += ["gaussian_nll_loss", "huber_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
            "smooth_l1_loss"]  # losses (ops/robust_loss, likelihood_loss, multilabel_soft_margin)
__all__ += ["bilinear", "channel_shuffle", "fold", "local_response_norm", "lp_pool2d", "max_unpool2d",
            "unfold"]  # layers (ops/bilinear, channel_shuffle, fold, local_response_norm, lp_pool, max_unpool)
__all__ += ["conv1d", "max_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d"]  # 1-d convolution and pooling
__all__ += ["celu_", "elu", "elu_", "gumbel_softmax", "hardtanh_", "leaky_relu_", "relu_", "rrelu_", "selu_",
            "softsign", "threshold_"]  # activations (ops/exponential_linear, inplace_activation, softsign, ...)
__all__ += ["hinge_embedding_loss", "l1_loss", "margin_ranking_loss", "multi_margin_loss", "multilabel_margin_loss",
            "soft_margin_loss", "triplet_margin_with_distance_loss"]  # margin losses (ops/margin_loss)
__all__ += ["conv_transpose1d", "ctc_loss", "rms_norm"]  # ops/conv_transpose1d, ctc_loss, rms_norm
__all__ += ["grad"]  # torch.nn.grad as F.grad (nn/grad.py)
__all__ += ["alpha_dropout", "dropout1d", "feature_alpha_dropout"]  # ops/alpha_dropout, dropout1d
__all__ += ["embedding_bag"]  # ops/embedding_bag
__all__ += ["fractional_max_pool2d", "fractional_max_pool2d_with_indices"]  # ops/fractional_max_pool
__all__ += ["fractional_max_pool3d", "fractional_max_pool3d_with_indices"]  # ops/fractional_max_pool3d
__all__ += ["native_channel_shuffle"]  # ops/aten_forms
__all__ += ["adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool3d", "conv3d",
            "conv_transpose3d", "dropout3d", "lp_pool3d", "max_pool3d", "max_pool3d_with_indices",
            "max_unpool3d"]  # the 3-d family (ops/conv3d, conv_transpose3d, pool3d, dropout3d)
__all__ += ["adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "lp_pool1d",
            "max_pool1d_with_indices", "max_pool2d_with_indices", "max_unpool1d", "pdist", "upsample",
            "upsample_bilinear", "upsample_nearest"]  # ops/pool_with_indices, lp_pool, max_unpool, pdist, upsample


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002 - torch's name
    """y = x Wᵀ + b: input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-d (out_features, in_features), got {tuple(weight.shape)}")
    if input.ndim < 1 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: input {tuple(input.shape)} does not fit weight {tuple(weight.shape)}: "
                           f"expected input (*, {weight.shape[1]})")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            # torch's rule: no promotion inside a layer (a float64 layer fed float32 is a bug to report)
            raise RuntimeError(f"linear: mat1 and mat2 must have the same dtype, but got input {input.dtype} and "
                               f"{name} {t.dtype}")
    # the fused node when devices agree too; otherwise the general ops raise clearly
    same = type(input._data) is type(weight._data) and (bias is None or type(bias._data) is type(input._data))
    if same:
        return _mm.linear(input, weight, bias)
    out = input @ weight.T
    return out if bias is None else out + bias


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0); ``inplace=True`` writes it into ``input`` (``relu_``; see ``ops.inplace_activation``)."""
    return _maybe_in_place(input, _ew.relu, (), inplace, "relu_")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, else negative_slope·x. ``inplace``: as in ``relu``."""
    return _maybe_in_place(input, _ew.leaky_relu, (negative_slope,), inplace, "leaky_relu_", "LeakyReluBackward1",
                           _NEGATIVE_LEAKY if negative_slope < 0 else None)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _ew.sigmoid(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return _ew.tanh(input)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """softmax along ``dim`` (cast to ``dtype`` first when given, as torch)."""
    return _softmax.softmax(input if dtype is None else _cast(input, dtype), dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """log softmax along ``dim`` (cast to ``dtype`` first when given, as torch)."""
    return _softmax.log_softmax(input if dtype is None else _cast(input, dtype), dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """softmax of -input along ``dim`` (cast to ``dtype`` first when given, as torch)."""
    return softmax(-(input if dtype is None else _cast(input, dtype)), dim)
