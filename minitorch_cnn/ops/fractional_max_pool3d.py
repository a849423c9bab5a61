"""Fractional max pooling over (N, C, T, H, W), as torch's kernel: the 2-d op's pseudo-random overlapping windows
(``fractional_max_pool.py``) along three axes, the samples (N, C, 3) giving [..., 0] the depth, [..., 1] the height,
[..., 2] the width. y = each kt×kh×kw window's max (the first maximum in row-major window order; NaN wins), indices
flat into T·H·W (int64). The values are a gather of x at the indices, so the gradient scatter-adds into them and every
order of derivative follows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .fractional_max_pool import _starts
from .gather import gather


def _triple(v: Any) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v, v)


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002 - torch's name
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """``torch.nn.functional.fractional_max_pool3d``: input (N, C, T, H, W) or (C, T, H, W); ``output_size``
    (oT, oH, oW) or ``output_ratio``; ``return_indices``: also the argmax indices flat into T·H·W."""
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool3d requires specifying either an output_size or an output_ratio")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"fractional_max_pool3d_out(): Expected 4D or 5D tensor, but got: {list(input.shape)}")
    ks = tuple(int(v) for v in _triple(kernel_size))
    sizes = tuple(input.shape[-3:])
    if output_size is None:
        output_size = tuple(int(s * r) for s, r in zip(sizes, _triple(output_ratio)))
    outs = tuple(int(v) for v in _triple(output_size))
    for name, k, s, o in zip(("time", "height", "width"), ks, sizes, outs):
        if o + k - 1 > s:
            raise RuntimeError(f"fractional_max_pool3d_out(): pool {name} {k} too large relative to input {name} {s}")
    x = input if input.ndim == 5 else input.unsqueeze(0)
    n, c = x.shape[:2]
    if _random_samples is None:
        samples = backend.generator().random((n, c, 3)).astype(x._data.dtype)
    else:
        samples = _random_samples.detach().cpu().numpy()
        if samples.ndim != 3 or samples.shape[2] != 3:
            raise RuntimeError(f"Expect _random_samples.size(2) equals to 3; got {samples.shape[-1]}.")
        if samples.shape[0] < n:
            raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
        samples = samples[:n].astype(x._data.dtype)
    (t, h, w), (ot, oh, ow), (kt, kh, kw) = sizes, outs, ks
    depth = _starts(samples[..., 0], t, ot, kt)[..., None] + np.arange(kt)  # (N, C, oT, kt)
    rows = _starts(samples[..., 1], h, oh, kh)[..., None] + np.arange(kh)  # (N, C, oH, kh)
    cols = _starts(samples[..., 2], w, ow, kw)[..., None] + np.arange(kw)  # (N, C, oW, kw)
    flat = (depth[:, :, :, None, None, :, None, None] * (h * w) + rows[:, :, None, :, None, None, :, None] * w
            + cols[:, :, None, None, :, None, None, :]).reshape(n, c, ot, oh, ow, kt * kh * kw)
    xp = backend.array_module(x._data)
    flat = backend.move_to(flat, x.device) if xp is not np else flat
    windows = xp.take_along_axis(x._data.reshape(n, c, 1, 1, 1, t * h * w), flat.reshape(n, c, 1, 1, 1, -1), axis=-1)
    windows = windows.reshape(flat.shape)
    best = xp.where(xp.isnan(windows).any(-1), xp.isnan(windows).argmax(-1), windows.argmax(-1))  # NaN wins
    index = xp.take_along_axis(flat, best[..., None], axis=-1)[..., 0]  # (N, C, oT, oH, oW) into T·H·W
    y = gather(x.reshape(n, c, t * h * w), 2, Tensor._wrap(index.reshape(n, c, -1))).reshape(n, c, ot, oh, ow)
    idx = Tensor._wrap(index)
    if input.ndim == 4:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,  # noqa: A002
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """``F.fractional_max_pool3d_with_indices``: (y, indices) whatever ``return_indices`` says."""
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True, _random_samples)
