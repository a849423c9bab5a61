"""Dropout (inverted): zero each element, or each whole channel, with probability p; scale the rest by 1/(1-p).

The keep-mask is drawn on the CPU from ``backend.generator()`` (so ``mt.manual_seed`` makes it
reproducible, on either device) and moved to the input's device. ``inplace=True`` multiplies the input by the mask
in place, as torch's ``mul_`` (``inplace_flag``: the input returned, its version moved, MulBackward0 on every
device); where nothing is dropped (eval, p = 0, an empty input) the input comes back untouched, as torch's.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .inplace_flag import maybe_in_place


class Dropout(Function):
    # y = x · m,  m = keep / (1-p) (broadcast over what the mask does not cover);  dx = g · m
    fresh_grads = True  # backward allocates every array it returns

    def forward(self, x: Any, mask: Any) -> Any:
        self.mask = mask
        return x * mask

    def backward(self, g: Any) -> Any:
        return g * self.mask

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * self.mask  # the mask is a constant of the graph

    # torch's node on the CPU, and for channel dropout everywhere, is the product itself: MulBackward0 (x, mask)
    torch_name = "MulBackward0"
    torch_edges = (0, 1)


class NativeDropout(Dropout):
    """The same node as torch's fused CUDA kernel shows it: NativeDropoutBackward0 (x)."""

    torch_name = "NativeDropoutBackward0"
    torch_edges = (0,)


def _check_p(p: float, op: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")


def _scaled_mask(shape: tuple, p: float, like: Tensor) -> Any:
    """keep ~ Bernoulli(1-p) of ``shape``, times 1/(1-p) in ``like``'s dtype (0 everywhere when p == 1)."""
    keep = backend.generator().random(shape, dtype=np.float32) >= np.float32(p)
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    dtype = like._data.dtype
    mask = keep.astype(dtype) * dtype.type(scale)
    return backend.move_to(mask, like.device)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the survivors by 1/(1-p); identity when not training.

    input: any shape. ``inplace`` multiplies ``input`` by the mask in place (torch's ``dropout_``).
    """
    _check_p(p, "dropout")
    if not training or p == 0 or input.numel() == 0:
        return input
    node = Dropout if isinstance(input._data, np.ndarray) or p == 1 or inplace else NativeDropout
    return maybe_in_place(input, node.apply, (_scaled_mask(tuple(input.shape), p, input),), inplace, "dropout_")


def channel_dropout(input: Tensor, p: float, shape: tuple, inplace: bool, name: str) -> Tensor:  # noqa: A002
    """``input`` times a mask of ``shape`` (one draw per channel, broadcast), in place when ``inplace``."""
    return maybe_in_place(input, Dropout.apply, (_scaled_mask(shape, p, input),), inplace, name)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels: input (N, C, H, W) (or (N, C, L), as torch), one draw per (n, c).

    ``inplace`` multiplies ``input`` by the mask in place (torch's ``feature_dropout_``).
    """
    _check_p(p, "dropout2d")
    if input.ndim < 2:
        raise ValueError(f"dropout2d: expected input (N, C, H, W), got shape {tuple(input.shape)}")
    if input.ndim not in (3, 4):  # torch's warnings, word for word; the behaviour they describe is the one here
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on "
                      "inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    if not training or p == 0 or input.numel() == 0:
        return input
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return channel_dropout(input, p, shape, inplace, "dropout2d_")
