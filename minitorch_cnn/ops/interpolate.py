"""``F.interpolate``: nearest, nearest-exact and (bi/tri)linear resampling of the spatial axes, torch's rules.

Both modes are separable: each spatial axis of size n is resampled to size m on its own, from source positions
computed as torch computes them, with ``scale`` = 1/scale_factor when a scale factor is given (and not
recomputed), else n/m:

    nearest:        y[i] = x[min(floor(i·scale), n-1)]            (scale and product in float32, as torch)
    nearest-exact:  y[i] = x[min(floor((i + 0.5)·scale), n-1)]
    linear:         s = i·(n-1)/(m-1) (align_corners) or max((i + 0.5)·scale - 0.5, 0);
                    i0 = floor(s), i1 = min(i0 + 1, n-1), λ = s - i0:  y[i] = (1-λ)·x[i0] + λ·x[i1]
    backward:       dL/dx[j] = Σ_{i reading j} (its weight)·g[i]     (the index ops' scatter-add)

so forward and backward are integer-array gathers, weighted and summed: compositions of the differentiable
index and elementwise ops. 'area' is torch's adaptive average pooling to the output size (1-, 2- or 3-d).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .indexing import getitem
from .pool3d import adaptive_avg_pool3d
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}
_MODES = ("nearest", "nearest-exact", "area", *_LINEAR)


def _scale(n: int, m: int, factor: float | None, align_corners: bool) -> float:
    """torch's area_pixel_compute_scale: source step per output step."""
    if align_corners:
        return (n - 1) / (m - 1) if m > 1 else 0.0
    return 1.0 / factor if factor is not None and factor > 0 else n / m


def _nearest(n: int, m: int, factor: float | None, exact: bool) -> np.ndarray:
    scale = np.float32(1.0 / factor if factor is not None and factor > 0 else n / m)
    i = np.arange(m, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(i * scale).astype(np.int64), n - 1)


def _linear(n: int, m: int, factor: float | None, align_corners: bool) -> tuple:
    """(i0, i1, λ) of each output position; λ in float64."""
    scale = _scale(n, m, factor, align_corners)
    i = np.arange(m, dtype=np.float64)
    src = i * scale if align_corners else np.maximum((i + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    return i0, i1, src - i0


def _sizes(x: Tensor, size: Any, scale_factor: Any, recompute: bool | None) -> tuple:
    """(output sizes, the scale factors the source positions use (None: n/m)) per spatial axis."""
    k = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        sizes = tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),) * k
        if len(sizes) != k:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(x.shape[2:])} and output size of {list(sizes)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                             f"...,oK) format.")
        return sizes, (None,) * k
    factors = tuple(float(f) for f in scale_factor) if isinstance(scale_factor, (tuple, list)) else \
        (float(scale_factor),) * k
    if len(factors) != k:
        raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                         f"with spatial dimensions of {list(x.shape[2:])} and scale_factor of shape {list(factors)}.")
    sizes = tuple(int(math.floor(n * f)) for n, f in zip(x.shape[2:], factors))
    return sizes, ((None,) * k if recompute else factors)


def interpolate(
    input: Tensor,  # noqa: A002 - torch's name
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """``torch.nn.functional.interpolate`` for input (N, C, d1, ..., dk), k = 1..3: nearest or nearest-exact
    for any k, 'linear' (k=1), 'bilinear' (k=2), 'trilinear' (k=3), 'area' (any k); ``antialias`` is not offered."""
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not offered: expected one of {list(_MODES)}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not offered")
    if mode not in _LINEAR and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: expected a 3-d, 4-d or 5-d input (N, C, *spatial), got "
                                  f"{tuple(input.shape)}")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise NotImplementedError(f"interpolate: mode {mode!r} needs a {_LINEAR[mode]}-d input, got "
                                  f"{input.ndim}-d {tuple(input.shape)}")
    sizes, factors = _sizes(input, size, scale_factor, recompute_scale_factor)
    if min(sizes) < 1:
        raise ValueError(f"interpolate: the output size {sizes} of input {tuple(input.shape)} must be positive")
    if mode == "area":  # torch's adaptive average pooling of the input's rank
        return {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d, 5: adaptive_avg_pool3d}[input.ndim](input, sizes)
    out = input
    for j, (n, m, f) in enumerate(zip(input.shape[2:], sizes, factors)):
        axis = 2 + j
        head = (slice(None),) * axis
        if mode in ("nearest", "nearest-exact"):
            if n != m:
                out = getitem(out, head + (_nearest(n, m, f, mode == "nearest-exact"),))
            continue
        i0, i1, lam = _linear(n, m, f, bool(align_corners))
        shape = (m,) + (1,) * (input.ndim - 1 - axis)  # λ broadcasts along the later axes
        lam = Tensor._wrap(backend.move_to(lam.reshape(shape).astype(input.dtype), input.device))
        out = getitem(out, head + (i0,)) * (1 - lam) + getitem(out, head + (i1,)) * lam
    return out
