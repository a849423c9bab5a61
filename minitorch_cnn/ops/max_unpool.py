"""The partial inverse of max pooling: each input value put at its index (flat into H_out·W_out) of a zero plane
(max_unpool1d: max_unpool2d over a width of one column, as torch's).

    forward:   y[n, c].flat[idx[n, c, i, j]] = x[n, c, i, j]      (N, C, H, W) -> (N, C, H_out, W_out)
    backward:  dx[n, c, i, j] = g[n, c].flat[idx[n, c, i, j]]     (a gather: ``GetItem``, so every order)

H_out = (H - 1)·s - 2p + k unless ``output_size`` is given (then within s of that, as torch). A repeated index
(overlapping pooling windows pick the same pixel) is written once, with the last of its values (NumPy's fancy
assignment, in order, as torch's CPU loop; max pooling's repeats carry equal values anyway); the backward hands
each input the gradient at its index, repeats included, as torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ._pairs import pair
from .indexing import GetItem


class MaxUnpool(Function):
    def forward(self, x: Any, index: tuple, shape: tuple) -> Any:
        self.index = index
        out = backend.array_module(x).zeros(shape, dtype=x.dtype)
        out[index] = x  # assignment, not accumulation: a repeated index keeps one value
        return out

    def backward(self, g: Any) -> Any:
        return g[self.index]

    def backward_graph(self, g: Tensor) -> Tensor:
        return GetItem.apply(g, self.index)


def _output_size(x: Tensor, k: tuple, s: tuple, p: tuple, output_size: Any) -> tuple[int, int]:
    default = tuple((n - 1) * ss + kk - 2 * pp for n, kk, ss, pp in zip(x.shape[-2:], k, s, p))
    if output_size is None:
        return default
    size = tuple(int(v) for v in output_size)
    if len(size) == 4:
        size = size[2:]
    if len(size) != 2:
        raise ValueError(f"output_size should be a sequence containing 2 or 4 elements, but it has a length of "
                         f"'{len(size)}'")
    for d in range(2):
        if not default[d] - s[d] < size[d] < default[d] + s[d]:
            raise ValueError(f'invalid output_size "{list(size)}" (dim {d} must be between {default[d] - s[d]} and '
                             f'{default[d] + s[d]})')
    return size


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """``torch.nn.functional.max_unpool2d``: input and indices (N, C, H, W) or (C, H, W), indices as
    ``max_pool2d(return_indices=True)`` gives them."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"max_unpool2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got shape "
                           f"{tuple(input.shape)}")
    if tuple(indices.shape) != tuple(input.shape) or indices.dtype != np.int64:
        raise RuntimeError(f"max_unpool2d: expected indices of the input's shape {tuple(input.shape)} and dtype "
                           f"int64, got shape {tuple(indices.shape)}, {indices.dtype}")
    k = pair(kernel_size, "kernel_size", "max_unpool2d", 1)
    s = k if stride is None else pair(stride, "stride", "max_unpool2d", 1)
    p = pair(padding, "padding", "max_unpool2d", 0)
    h, w = _output_size(input, k, s, p, output_size)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    n, c = x.shape[:2]
    idx = indices._data.reshape(n, c, -1)
    bad = (idx < 0) | (idx >= h * w)
    if bool(bad.any()):
        raise RuntimeError(f"Found an invalid max index: {int(idx[bad][0])} (output volumes are of size {h}x{w}")
    xp = backend.array_module(idx)
    index = (xp.arange(n)[:, None, None], xp.arange(c)[None, :, None], idx)
    y = MaxUnpool.apply(x.reshape(n, c, -1), index, (n, c, h * w)).reshape(n, c, h, w)
    return y if input.ndim == 4 else y.squeeze(0)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """``torch.nn.functional.max_unpool1d``: input and indices (N, C, L) or (C, L), indices along L_out as
    ``max_pool1d(return_indices=True)`` gives them; L_out = (L - 1)·s - 2p + k unless ``output_size`` says."""
    (k,) = _single(kernel_size, "kernel_size")
    (s,) = (k,) if stride is None else _single(stride, "stride")
    (p,) = _single(padding, "padding")
    default = (input.shape[-1] - 1) * s + k - 2 * p
    length = default
    if output_size is not None:
        size = [int(v) for v in output_size]
        if len(size) == 3:
            size = size[2:]
        if len(size) != 1:
            raise ValueError(f"output_size should be a sequence containing 1 or 3 elements, but it has a length of "
                             f"'{len(size)}'")
        if not default - s < size[0] < default + s:
            raise ValueError(f'invalid output_size "{size}" (dim 0 must be between {default - s} and {default + s})')
        length = size[0]
    y = max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), (k, 1), (s, 1), (p, 0), (length, 1))
    return y.squeeze(-1)


def _single(v: Any, name: str) -> tuple[int]:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise ValueError(f"max_unpool1d: {name} must be an int or a 1-element tuple, got {v!r}")
        return (int(v[0]),)
    return (int(v),)
