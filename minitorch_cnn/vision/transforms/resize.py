"""Resize kernels behind ``functional.resize``: the output size rule and the two bilinear resizes.

- ``resize_pil_raw``: Pillow's 8-bit BILINEAR resize (antialiased triangle filter, integer weights with 22
  fractional bits, two separable passes each rounded to uint8), bit for bit.
- ``resize_tensor_raw``: torch's ``interpolate(mode="bilinear", align_corners=False[, antialias])`` over the last
  two axes, weights computed in the image's float dtype as torch computes them, taps summed in order.
- ``resize_torch_uint8``: torch's native uint8 bilinear interpolate (integer weights of a per-size precision, the
  width pass then the height pass, each rounded to uint8), which torchvision's v2 resize uses for uint8 tensors.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend, kernels
from ...kernels import numpy_kernels as kernels_numpy


def resized_output_size(height: int, width: int, size: int | Sequence[int], max_size: int | None = None) -> list[int]:
    """[new_h, new_w]: (h, w) as given, or an int/[int] for the smaller edge keeping the aspect ratio."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = [int(size)]
    if not isinstance(size, (tuple, list)) or len(size) not in (1, 2):
        raise ValueError(f"Resize: size must be an int or a 1 or 2 element tuple/list, got {size!r}")
    if len(size) == 2:
        if max_size is not None:
            raise ValueError("Resize: max_size should only be passed if size specifies the length of the smaller edge")
        return [int(size[0]), int(size[1])]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = int(size[0]), int(int(size[0]) * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(
                f"Resize: max_size = {max_size} must be strictly greater than the smaller edge size {size}"
            )
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    return [new_h, new_w]


@functools.lru_cache(maxsize=64)
def _aa_weights(in_size: int, out_size: int, dtype: Any = np.float64) -> np.ndarray:
    """(out_size, in_size) antialiased bilinear (triangle filter) weights, rows summing to 1.

    When shrinking, the filter is stretched by the scale so every input pixel under an output pixel counts.
    The arithmetic is Pillow's ``precompute_coeffs`` (float64) and torch's antialiased interpolate, which
    computes in the image's dtype: the same window rounding, the same sequential normalising sum, and for
    float32 the same float32 roundings (C++ promotes the 0.5 literals to double), so the weights are torch's.
    """
    dt = np.dtype(dtype).type
    scale = dt(in_size) / dt(out_size)
    support = scale if scale >= 1.0 else dt(1.0)
    invscale = dt(1.0 / np.float64(scale)) if scale >= 1.0 else dt(1.0)
    center = (np.float64(scale) * (np.arange(out_size) + 0.5)).astype(dt)
    xmin = np.maximum(np.trunc((center - support).astype(np.float64) + 0.5), 0)[:, None]
    xmax = np.minimum(np.trunc((center + support).astype(np.float64) + 0.5), in_size)[:, None]
    j = np.arange(in_size)[None, :]
    dist = np.abs((((j.astype(dt) - center[:, None]).astype(np.float64) + 0.5) * np.float64(invscale)).astype(dt))
    w = np.where(dist < 1, dt(1) - dist, dt(0))
    w[(j < xmin) | (j >= xmax)] = 0
    total = np.cumsum(w, axis=1, dtype=dt)[:, -1:]  # a sequential sum, in the C loops' order
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    w.flags.writeable = False  # cached: shared by every call with these sizes
    return w


@functools.lru_cache(maxsize=64)
def _bilinear_weights(in_size: int, out_size: int, dtype: Any = np.float64) -> np.ndarray:
    """(out_size, in_size) plain bilinear weights of torch's interpolate (align_corners=False, no antialias),
    computed in ``dtype`` as torch does: source = scale * (i + 0.5) - 0.5, clamped at 0."""
    dt = np.dtype(dtype).type
    scale = dt(in_size) / dt(out_size)
    src = np.maximum(scale * (np.arange(out_size).astype(dt) + dt(0.5)) - dt(0.5), dt(0))
    i0 = src.astype(np.int64)
    i1 = np.minimum(i0 + 1, in_size - 1)
    frac = np.clip(src - i0.astype(dt), dt(0), dt(1))
    w = np.zeros((out_size, in_size), dtype=dt)
    rows = np.arange(out_size)
    np.add.at(w, (rows, i0), dt(1) - frac)
    np.add.at(w, (rows, i1), frac)
    w.flags.writeable = False  # cached: shared by every call with these sizes
    return w


def _along(x: Any, k: np.ndarray, axis: int) -> Any:
    """Apply the (out, in) weight matrix ``k`` along ``axis`` (-1 or -2) of ``x``: out[o] = sum_t w[o, t] x[i_t].

    Each output sums its window's taps in order, one vectorised multiply-add per tap, as the C loops of Pillow
    and torch do. Unlike a BLAS matmul the result does not depend on the array's other dimensions, so one image
    and a batch give the same bits.
    """
    xp = backend.array_module(x)
    nonzero = k != 0
    first = nonzero.argmax(axis=1)
    width = int((k.shape[1] - nonzero[:, ::-1].argmax(axis=1) - first).max())
    taps = first[:, None] + np.arange(width)[None, :]  # (out, width), may run past the end
    weights = np.where(taps < k.shape[1], np.take_along_axis(k, np.minimum(taps, k.shape[1] - 1), axis=1), 0)
    taps = np.minimum(taps, k.shape[1] - 1)
    shape = (-1,) if axis == -1 else (-1, 1)
    out = None
    for t in range(width):
        term = xp.take(x, xp.asarray(taps[:, t]), axis=axis) * xp.asarray(weights[:, t].astype(x.dtype)).reshape(shape)
        out = term if out is None else out + term
    return out


@functools.lru_cache(maxsize=64)
def _pil_band(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Pillow's integer weights for resizing n_in pixels to n_out (rounded to 22 fractional bits) as a band:
    (out, taps) int64, and each row's first input (out,)."""
    k = np.floor(_aa_weights(n_in, n_out) * (1 << kernels_numpy.PIL_BITS) + 0.5).astype(np.int64)
    nonzero = k != 0
    first = nonzero.argmax(axis=1)
    taps = int((k.shape[1] - nonzero[:, ::-1].argmax(axis=1) - first).max())
    cols = first[:, None] + np.arange(taps)[None, :]
    band = np.where(cols < k.shape[1], np.take_along_axis(k, np.minimum(cols, k.shape[1] - 1), axis=1), 0)
    return np.ascontiguousarray(band), first.astype(np.int64)



def resize_pil_raw(arr: np.ndarray, hax: int, oh: int, ow: int) -> np.ndarray:
    """Pillow's 8-bit BILINEAR resize of a uint8 array with its height axis at ``hax`` (channels last, if any)."""
    h, w = arr.shape[hax], arr.shape[hax + 1]
    x = arr.reshape((-1 if hax else 1, h, w, arr.shape[hax + 2] if arr.ndim == hax + 3 else 1))  # (N, H, W, C)
    # each pass rounds to uint8, so the order matters: Pillow (>= 13) goes height first when the height
    # shrinks by more than twice as many pixels as the width, else width first
    passes = [(2, w, ow), (1, h, oh)]
    if h - oh > 0 and h - oh > 2 * (w - ow):
        passes.reverse()
    for axis, n_in, n_out in passes:
        if n_in != n_out:
            x = kernels.get("resize_pil_pass", x)(x, *_pil_band(n_in, n_out), axis)
    return x.reshape(arr.shape[:hax] + (oh, ow) + arr.shape[hax + 2 :])


def resize_tensor_raw(x: Any, oh: int, ow: int, antialias: bool) -> Any:
    """torch's bilinear interpolate over the last two axes of ``x`` (any leading axes)."""
    xp = backend.array_module(x)
    fdt = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float32)
    weights = _aa_weights if antialias else _bilinear_weights
    wh, ww = weights(x.shape[-2], oh, fdt), weights(x.shape[-1], ow, fdt)
    out = xp.ascontiguousarray(_along(_along(x.astype(fdt, copy=False), ww, -1), wh, -2))
    return out if out.dtype == x.dtype else xp.rint(out).astype(x.dtype)


@functools.lru_cache(maxsize=64)
def _torch_u8_band(n_in: int, n_out: int, antialias: bool) -> tuple[np.ndarray, np.ndarray]:
    """torch's integer weights for its native uint8 bilinear resize of n_in pixels to n_out, as a band for
    ``resize_pil_pass`` (out, taps) int64 with 22 fractional bits, and each row's first input (out,).

    torch computes the float64 weights (triangle filter, stretched by the scale when shrinking with antialias),
    picks the largest precision p < 22 that keeps 2·max weight below 2^15, and rounds each weight · 2^p half away
    from zero; a pass is then (2^(p-1) + Σ x·w) >> p, clamped, which is the 22-bit pass of w · 2^(22 - p)."""
    scale = n_in / n_out
    support = scale if scale >= 1.0 and antialias else 1.0
    invscale = 1.0 / scale if scale >= 1.0 and antialias else 1.0
    center = scale * (np.arange(n_out) + 0.5)
    xmin = np.maximum(np.trunc(center - support + 0.5), 0).astype(np.int64)
    xmax = np.minimum(np.trunc(center + support + 0.5), n_in).astype(np.int64)
    taps = int((xmax - xmin).max())
    j = np.arange(taps)[None, :]
    inside = j < (xmax - xmin)[:, None]
    w = np.where(inside, np.maximum(1.0 - np.abs((j + xmin[:, None] - center[:, None] + 0.5) * invscale), 0.0), 0.0)
    total = np.cumsum(w, axis=1)[:, -1:]  # sequential sums, as the C loop adds them
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    precision = 0
    while precision < 22 and int(0.5 + w.max() * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    v = w * (1 << precision)
    k = np.trunc(np.where(v < 0, v - 0.5, v + 0.5)).astype(np.int64) << (kernels_numpy.PIL_BITS - precision)
    k[~inside] = 0
    return np.ascontiguousarray(k), xmin


def resize_torch_uint8(x: np.ndarray, oh: int, ow: int, antialias: bool) -> np.ndarray:
    """torch's native uint8 bilinear ``interpolate`` (what torchvision's v2 resize uses on CPUs with AVX2) over the
    last two axes of ``x`` (..., H, W): the width pass, then the height pass, each rounded to uint8."""
    h, w = x.shape[-2:]
    y = x.reshape(-1, h, w, 1)
    if ow != w:
        y = kernels.get("resize_pil_pass", y)(y, *_torch_u8_band(w, ow, antialias), 2)
    if oh != h:
        y = kernels.get("resize_pil_pass", y)(y, *_torch_u8_band(h, oh, antialias), 1)
    return y.reshape(x.shape[:-2] + (oh, ow))
