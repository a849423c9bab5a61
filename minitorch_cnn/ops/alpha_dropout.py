"""Alpha dropout (Klambauer et al. 2017, for SELU networks) and its channel-wise form, as torch's kernel: dropped
units take SELU's negative saturation value -α' (α' = 1.7580993408473766 = SELU's scale·α), then an affine map
restores zero mean and unit variance:

    keep ~ Bernoulli(1 - p),    a = 1 / √((α'² p + 1)(1 - p)),    b = α' a p
    y = a·x + b            where kept,      y = b - α' a = α' a (p - 1)    where dropped
    dy/dx = a·keep

feature_alpha_dropout draws one keep per (n, c) (the mask (N, C, 1, ...), broadcast over the rest). The mask comes
from ``backend.generator()`` (``mt.manual_seed`` repeats it); p = 1 gives zeros, as torch's. ``inplace=True`` is
torch's two writes, ``x.mul_(a·keep).add_(shift)`` (the version moves twice, AddBackward0; p = 1 is one
``mul_(0)``), each through ``inplace_flag``; eval and p = 0 give the input back untouched.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .. import backend
from ..autograd import Tensor
from .dropout import _check_p
from .inplace_flag import maybe_in_place

_ALPHA = 1.7580993408473766


def _alpha_dropout(input: Tensor, p: float, training: bool, shape: tuple, inplace: bool) -> Tensor:  # noqa: A002
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return maybe_in_place(input, operator.mul, (0.0,), inplace, "mul_")
    keep = backend.generator().random(shape, dtype=np.float32) >= np.float32(p)
    dtype = input._data.dtype
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    keep = keep.astype(dtype)
    scale = backend.move_to(keep * dtype.type(a), input.device)
    shift = backend.move_to((keep - 1) * dtype.type(_ALPHA * a) + dtype.type(_ALPHA * a * p), input.device)
    scaled = maybe_in_place(input, operator.mul, (Tensor._wrap(scale),), inplace, "mul_")
    return maybe_in_place(scaled, operator.add, (Tensor._wrap(shift),), inplace, "add_")


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002 - torch's name
                  inplace: bool = False) -> Tensor:
    """``torch.nn.functional.alpha_dropout`` (any shape); ``inplace`` writes into ``input`` (torch's
    ``alpha_dropout_``)."""
    _check_p(p, "alpha_dropout")
    return _alpha_dropout(input, p, training, tuple(input.shape), inplace)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002 - torch's name
                          inplace: bool = False) -> Tensor:
    """``torch.nn.functional.feature_alpha_dropout``: input (N, C, *), one draw per (n, c)."""
    _check_p(p, "feature_alpha_dropout")
    if training and 0 < p and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _alpha_dropout(input, p, training, tuple(input.shape[:2]) + (1,) * (input.ndim - 2), inplace)
