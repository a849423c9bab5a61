"""Pillow's 8-bit resampling pass compiled: integer sums in one loop nest, no float64 copies of the image."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from .. import numpy_kernels


@njit(nogil=True, cache=True)
def _resize_pil_rows(src, k, first, dst, acc):  # pragma: no cover - compiled
    # height pass on (N, H, L) with L = W·C contiguous: whole rows are scaled and added, so the inner loop runs
    # along memory
    N, H, L = src.shape
    n_out, taps = k.shape
    half = np.int64(1) << (numpy_kernels.PIL_BITS - 1)
    for n in range(N):
        for o in range(n_out):
            acc[:] = half
            for t in range(taps):
                j = first[o] + t
                if j < H:
                    w = k[o, t]
                    for i in range(L):
                        acc[i] += src[n, j, i] * w
            for i in range(L):
                v = acc[i] >> numpy_kernels.PIL_BITS
                dst[n, o, i] = 0 if v < 0 else (255 if v > 255 else v)


@njit(nogil=True, cache=True)
def _resize_pil_cols(src, k, first, dst):  # pragma: no cover - compiled
    # width pass on (M, W, C): each output pixel sums its window's taps per channel
    M, W, C = src.shape
    n_out, taps = k.shape
    half = np.int64(1) << (numpy_kernels.PIL_BITS - 1)
    for m in range(M):
        for o in range(n_out):
            f = first[o]
            for c in range(C):
                acc = half
                for t in range(taps):
                    if f + t < W:
                        acc += np.int64(src[m, f + t, c]) * k[o, t]
                v = acc >> numpy_kernels.PIL_BITS
                dst[m, o, c] = 0 if v < 0 else (255 if v > 255 else v)


def resize_pil_pass(src: Any, k: Any, first: Any, axis: int) -> Any:
    """``numpy_kernels.resize_pil_pass`` compiled: one loop nest, integer sums, no float64 copies of the image."""
    src = np.ascontiguousarray(src)
    N, H, W, C = src.shape
    if axis == 1:
        dst = np.empty((N, k.shape[0], W, C), dtype=np.uint8)
        acc = np.empty(W * C, dtype=np.int64)
        _resize_pil_rows(src.reshape(N, H, W * C), k, first, dst.reshape(N, k.shape[0], W * C), acc)
    else:
        dst = np.empty((N, H, k.shape[0], C), dtype=np.uint8)
        _resize_pil_cols(src.reshape(N * H, W, C), k, first, dst.reshape(N * H, k.shape[0], C))
    return dst
