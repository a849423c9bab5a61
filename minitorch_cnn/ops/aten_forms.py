"""torch's top-level normalisation, dropout and embedding functions, whose signatures are ATen's rather than
``nn.functional``'s (argument order, ``train``/``cudnn_enabled`` flags, ``padding_idx=-1`` for none). Each is the
F op it names, so its forward, backward and second order are that op's:

    torch.batch_norm(x, w, b, running_mean, running_var, training, momentum, eps, cudnn_enabled)
    torch.layer_norm / group_norm / instance_norm     likewise reordered F calls
    torch.native_layer_norm / native_batch_norm / native_group_norm   (y, mean, 1/√(var + eps)) with the biased
        variance over the normalised dimensions (batch_norm in eval mode: empty statistics, as torch's CPU kernel)
    torch.embedding(weight, indices, padding_idx=-1)  F.embedding(indices, weight, padding_idx or None)
    torch.dropout / feature_dropout / alpha_dropout / feature_alpha_dropout (x, p, train) and their in-place forms;
        feature dropout draws one keep per (n, c): mask (N, C, 1, …)
    torch.native_dropout(x, p, train) -> (y, keep mask, bool)
    torch.convolution(x, w, b, stride, padding, dilation, transposed, output_padding, groups)
        conv1d/2d/3d (or conv_transpose1d/2d/3d when ``transposed``) by the weight's dimensions
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Tensor
from . import alpha_dropout as _alpha
from . import conv, conv3d, conv_transpose, conv_transpose1d, conv_transpose3d, normalization, sample_norm
from . import dropout as _drop
from . import embedding as _embedding
from .channel_shuffle import channel_shuffle


def batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,  # noqa: A002 - torch's names
               running_mean: Tensor | None, running_var: Tensor | None, training: bool, momentum: float, eps: float,
               cudnn_enabled: bool) -> Tensor:
    """torch.batch_norm: F.batch_norm with ATen's argument order (running statistics updated in place)."""
    return normalization.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:
    """torch.layer_norm: F.layer_norm."""
    return sample_norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enabled: bool = True) -> Tensor:
    """torch.group_norm: F.group_norm."""
    return sample_norm.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,  # noqa: A002
                  running_mean: Tensor | None, running_var: Tensor | None, use_input_stats: bool, momentum: float,
                  eps: float, cudnn_enabled: bool) -> Tensor:
    """torch.instance_norm: F.instance_norm with ATen's argument order."""
    return sample_norm.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def _stats(x: Tensor, dims: tuple, eps: float) -> tuple[Tensor, Tensor]:
    """(mean, 1/√(biased var + eps)) over ``dims``, kept as size-1 dimensions; constants (no gradient)."""
    xp = backend.array_module(x._data)
    data = x._data
    mean = data.mean(axis=dims, keepdims=True)
    var = ((data - mean) ** 2).mean(axis=dims, keepdims=True)
    return Tensor._wrap(mean), Tensor._wrap((1 / xp.sqrt(var + data.dtype.type(eps))).astype(data.dtype))


def native_layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None, bias: Tensor | None,  # noqa: A002
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(layer_norm(x), mean, rstd), the statistics (*, 1, …, 1) over the normalised trailing dimensions."""
    out = sample_norm.layer_norm(input, normalized_shape, weight, bias, eps)
    k = len(tuple(normalized_shape)) if not isinstance(normalized_shape, int) else 1
    mean, rstd = _stats(input, tuple(range(input.ndim - k, input.ndim)), eps)
    return out, mean, rstd


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,  # noqa: A002
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool, momentum: float,
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(batch_norm(x), save_mean (C,), save_invstd (C,)); in eval mode the statistics are empty, as torch's."""
    out = normalization.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = Tensor._wrap(backend.array_module(input._data).empty((0,), dtype=input._data.dtype))
        return out, empty, empty
    mean, rstd = _stats(input, (0, *range(2, input.ndim)), eps)
    return out, mean.reshape(-1), rstd.reshape(-1)


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int, C: int,  # noqa: A002, N803
                      HxW: int, group: int, eps: float) -> tuple[Tensor, Tensor, Tensor]:  # noqa: N803
    """(group_norm(x), mean (N, group), rstd (N, group)); N, C, HxW restate x's shape, as ATen takes them."""
    if input.numel() != N * C * HxW:
        raise RuntimeError(f"Expected input to have {N * C * HxW} elements, but got {input.numel()}")
    out = sample_norm.group_norm(input, group, weight, bias, eps)
    mean, rstd = _stats(input.reshape(N, group, -1), (2,), eps)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """torch.embedding: F.embedding(indices, weight), where a negative ``padding_idx`` means none."""
    return _embedding.embedding(indices, weight, padding_idx if padding_idx >= 0 else None,
                                scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.dropout: each element zeroed with probability p, the rest scaled by 1/(1-p), when ``train``."""
    _check_p(p)
    return _drop.dropout(input, p, train)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.feature_dropout: whole features zeroed, one draw per (n, c) of x (N, C, *)."""
    return _feature_dropout(input, p, train, False)


def _feature_dropout(input: Tensor, p: float, train: bool, inplace: bool) -> Tensor:  # noqa: A002
    _check_p(p)
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not train or p == 0 or input.numel() == 0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _drop.channel_dropout(input, p, shape, inplace, "feature_dropout_")


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.alpha_dropout: F.alpha_dropout(x, p, train)."""
    _check_p(p)
    return _alpha.alpha_dropout(input, p, train)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.feature_alpha_dropout: F.feature_alpha_dropout(x, p, train)."""
    _check_p(p)
    return _alpha.feature_alpha_dropout(input, p, train)


def native_dropout(input: Tensor, p: float, train: bool | None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """(y, keep): y = x · keep / (1-p) with keep ~ Bernoulli(1-p) (bool); not training: (a copy of x, all True)."""
    _check_p(p)
    xp = backend.array_module(input._data)
    if train is False:
        return input.clone(), Tensor._wrap(xp.ones(input.shape, dtype=bool))
    mask = _drop._scaled_mask(tuple(input.shape), p, input)
    keep = mask != 0 if p < 1 else xp.zeros(input.shape, dtype=bool)
    return _drop.NativeDropout.apply(input, mask), Tensor._wrap(keep)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002
    """torch.native_channel_shuffle: channel_shuffle."""
    return channel_shuffle(input, groups)


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,  # noqa: A002
                dilation: Any, transposed: bool, output_padding: Any, groups: int) -> Tensor:
    """torch.convolution: the 1-, 2- or 3-d (transposed) convolution that the weight's dimensions name."""
    spatial = weight.ndim - 2
    if spatial not in (1, 2, 3):
        raise RuntimeError(f"Expected 3D, 4D or 5D weight for convolution, but got weight of size "
                           f"{list(weight.shape)}")
    if transposed:
        fn = {1: conv_transpose1d.conv_transpose1d, 2: conv_transpose.conv_transpose2d,
              3: conv_transpose3d.conv_transpose3d}[spatial]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    pads = list(output_padding) if isinstance(output_padding, (list, tuple)) else [output_padding] * spatial
    if any(int(p) for p in pads):
        raise RuntimeError("output_padding is not supported for non-transposed convolutions; got: "
                           + " ".join(str(int(p)) for p in pads))
    fn = {1: conv.conv1d, 2: conv.conv2d, 3: conv3d.conv3d}[spatial]
    return fn(input, weight, bias, stride, padding, dilation, groups)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.dropout_: ``dropout`` written into ``input`` (untouched when nothing is dropped), as torch's."""
    _check_p(p)
    return _drop.dropout(input, p, train, True)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.feature_dropout_: ``feature_dropout`` written into ``input``."""
    return _feature_dropout(input, p, train, True)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.alpha_dropout_: ``alpha_dropout`` written into ``input`` (mul_ then add_, as torch's)."""
    _check_p(p)
    return _alpha.alpha_dropout(input, p, train, True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    """torch.feature_alpha_dropout_: ``feature_alpha_dropout`` written into ``input``."""
    _check_p(p)
    return _alpha.feature_alpha_dropout(input, p, train, True)
