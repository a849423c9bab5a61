"""Fractional max pooling (Graham 2014) over (N, C, H, W), as torch's kernel: pseudo-random, overlapping kh×kw
windows whose starts, per (n, c) and axis, come from one sample u ∈ [0, 1) (``_random_samples`` (N, C, 2): [..., 0]
for the width, [..., 1] for the height):

    α = (n_in - k) / (n_out - 1),   start_i = ⌊(i + u)·α⌋ - ⌊u·α⌋  (i < n_out - 1),   start_{n_out-1} = n_in - k

computed in the input's dtype, as torch's. y = the window's max (first maximum in row-major window order), indices
flat into H·W (int64). The values are a gather of x at the indices, so the gradient scatters-adds into them (repeats
accumulate, as torch's backward) and every order of derivative follows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .gather import gather


def _pair(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _starts(samples: np.ndarray, n_in: int, n_out: int, k: int) -> np.ndarray:
    """(N, C) samples -> (N, C, n_out) window starts (torch's generate_intervals, in the samples' dtype)."""
    t = samples.dtype.type
    starts = np.full(samples.shape + (n_out,), n_in - k, dtype=np.int64)
    if n_out > 1:
        alpha = t(n_in - k) / t(n_out - 1)
        i = np.arange(n_out - 1).astype(samples.dtype)
        u = samples[..., None]
        starts[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    return starts


def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002 - torch's name
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """``torch.nn.functional.fractional_max_pool2d``: input (N, C, H, W) or (C, H, W); ``output_size`` (oH, oW) or
    ``output_ratio`` (fractions of H, W); ``return_indices``: also the argmax indices flat into H·W."""
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or an output_ratio")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"fractional_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    kh, kw = (int(v) for v in _pair(kernel_size))
    h, w = input.shape[-2:]
    if output_size is None:
        rh, rw = _pair(output_ratio)
        output_size = (int(h * rh), int(w * rw))
    oh, ow = (int(v) for v in _pair(output_size))
    if oh + kh - 1 > h:
        raise RuntimeError(f"fractional_max_pool2d(): pool height {kh} too large relative to input height {h}")
    if ow + kw - 1 > w:
        raise RuntimeError(f"fractional_max_pool2d(): pool width {kw} too large relative to input width {w}")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    n, c = x.shape[:2]
    if _random_samples is None:
        samples = backend.generator().random((n, c, 2)).astype(x._data.dtype)
    else:
        if _random_samples.dtype != x.dtype:
            raise RuntimeError("Expect _random_samples to have the same dtype as input")
        samples = _random_samples.detach().cpu().numpy()
        if samples.ndim != 3 or samples.shape[2] != 2:
            raise RuntimeError(f"Expect _random_samples.size(2) equals to 2; got {samples.shape[-1]}.")
        if samples.shape[0] < n:
            raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
        samples = samples[:n]
    rows = _starts(samples[..., 1], h, oh, kh)[..., None] + np.arange(kh)  # (N, C, oH, kh)
    cols = _starts(samples[..., 0], w, ow, kw)[..., None] + np.arange(kw)  # (N, C, oW, kw)
    flat = (rows[:, :, :, None, :, None] * w + cols[:, :, None, :, None, :]).reshape(n, c, oh, ow, kh * kw)
    xp = backend.array_module(x._data)
    flat = backend.move_to(flat, x.device) if xp is not np else flat
    windows = xp.take_along_axis(x._data.reshape(n, c, 1, 1, h * w), flat.reshape(n, c, 1, 1, -1), axis=-1)
    windows = windows.reshape(n, c, oh, ow, kh * kw)
    best = xp.where(xp.isnan(windows).any(-1), xp.isnan(windows).argmax(-1), windows.argmax(-1))  # NaN wins
    index = xp.take_along_axis(flat, best[..., None], axis=-1)[..., 0]  # (N, C, oH, oW) into H·W
    y = gather(x.reshape(n, c, h * w), 2, Tensor._wrap(index.reshape(n, c, -1))).reshape(n, c, oh, ow)
    idx = Tensor._wrap(index)
    if input.ndim == 3:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y
