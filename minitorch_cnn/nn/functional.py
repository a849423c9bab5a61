"""``mt.nn.functional`` (import as F): the stateless ops under torch.nn.functional's names and signatures."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops import elementwise as _ew
from ..ops import matmul as _mm
from ..ops import softmax as _softmax
from ..ops._util import cast as _cast
from ..ops.activation import gelu, hardsigmoid, hardswish, relu6, silu
from ..ops.attention import scaled_dot_product_attention
from ..ops.binary_cross_entropy import binary_cross_entropy, binary_cross_entropy_with_logits
from ..ops.conv import conv2d
from ..ops.conv_transpose import conv_transpose2d
from ..ops.cosine_embedding import cosine_embedding_loss
from ..ops.distance import cosine_similarity, pairwise_distance, triplet_margin_loss
from ..ops.dropout import dropout, dropout2d
from ..ops.embedding import embedding
from ..ops.grid_sample import affine_grid, grid_sample
from ..ops.indexing import one_hot
from ..ops.interpolate import interpolate
from ..ops.kl_div import kl_div
from ..ops.loss import cross_entropy, mse_loss, nll_loss
from ..ops.lp_normalize import normalize
from ..ops.multi_head_attention import multi_head_attention_forward
from ..ops.normalization import batch_norm
from ..ops.padding import pad
from ..ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from ..ops.pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool2d
from ..ops.sample_norm import group_norm, instance_norm, layer_norm

__all__ = [
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "affine_grid", "avg_pool1d", "avg_pool2d", "batch_norm",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "conv_transpose2d", "cosine_embedding_loss",
    "cosine_similarity", "cross_entropy", "dropout", "dropout2d", "embedding", "gelu", "grid_sample", "group_norm",
    "hardsigmoid", "hardswish", "instance_norm", "interpolate", "kl_div", "layer_norm", "leaky_relu", "linear",
    "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "normalize", "one_hot", "pad", "pairwise_distance",
    "pixel_shuffle", "pixel_unshuffle", "relu", "relu6", "sigmoid", "silu", "softmax", "tanh", "triplet_margin_loss",
]
__all__ += ["multi_head_attention_forward", "scaled_dot_product_attention"]  # attention (ops/attention.py)


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
    """max(x, 0). ``inplace`` is accepted for torch's signature; the result is computed out of place."""
    return _ew.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, else negative_slope·x. ``inplace``: as in ``relu``."""
    return _ew.leaky_relu(input, negative_slope)


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
