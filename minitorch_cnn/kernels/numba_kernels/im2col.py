"""im2col and col2im compiled: one column row (im2col) or one channel (col2im) per task, over all samples.

A task takes a whole row or channel so that its geometry is worked out once, not once per sample: with
per-(row, sample) tasks the index arithmetic dominated on small planes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from .layout import Pair, flat, unsigned, valid_range
from .parallel import serial_twin, threaded_or_serial


@njit(cache=True, inline="always")
def _zero_edges(cols, d, b_lo, b_hi, ow):  # pragma: no cover - compiled
    """Zero the entries [0, b_lo) and [b_hi, ow) of the output row at cols[d:]: taps in the left/right padding."""
    for b in range(unsigned(b_lo)):
        cols[d + b] = 0
    for b in range(unsigned(b_hi), unsigned(ow)):
        cols[d + b] = 0


@njit(parallel=True, cache=True)
def _im2col(x, cols, N, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow):  # pragma: no cover - compiled
    # x: (N, C, H, W) flat; cols: (C·kh·kw, N·oh·ow) flat
    L = oh * ow
    usw = unsigned(sw)
    for row in prange(C * kh * kw):  # one column row (c, i, j), all samples: its geometry is worked out once
        c = row // (kh * kw)
        i = (row - c * kh * kw) // kw
        j = row - c * kh * kw - i * kw
        q_off = j * dw - pl
        a_lo, a_hi = valid_range(oh, i * dh - pt, sh, H)
        b_lo, b_hi = valid_range(ow, q_off, sw, W)
        for n in range(N):
            d0 = unsigned(row * N * L + n * L)
            for k in range(unsigned(a_lo * ow)):  # output rows whose tap falls in the top/bottom padding
                cols[d0 + k] = 0
            for k in range(unsigned(a_hi * ow), unsigned(L)):
                cols[d0 + k] = 0
            plane = (n * C + c) * H * W
            if sh == 1 and sw == 1 and ow == W and a_lo < a_hi and b_lo < b_hi:
                # "same" geometry: output rows are as long as input rows and both advance by W, so the rows
                # a_lo..a_hi-1 are one contiguous copy (the first/last of each row wrap into the neighbouring
                # row; they lie in the padding and are zeroed after): one long copy instead of a short one per row.
                d = d0 + unsigned(a_lo * ow)
                s = unsigned(plane + (a_lo + i * dh - pt) * W + q_off)
                for k in range(unsigned(b_lo), unsigned((a_hi - a_lo - 1) * ow + b_hi)):
                    cols[d + k] = x[s + k]
                for a in range(a_lo, a_hi):
                    _zero_edges(cols, d0 + unsigned(a * ow), b_lo, b_hi, ow)
                continue
            for a in range(a_lo, a_hi):
                d = d0 + unsigned(a * ow)
                _zero_edges(cols, d, b_lo, b_hi, ow)
                s = unsigned(plane + (a * sh + i * dh - pt) * W + b_lo * sw + q_off)
                d += unsigned(b_lo)
                if sw == 1:
                    for b in range(unsigned(b_hi - b_lo)):
                        cols[d + b] = x[s + b]
                else:
                    for b in range(unsigned(b_hi - b_lo)):
                        cols[d + b] = x[s + b * usw]


def im2col(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, out: Any = None
) -> Any:
    """x: (N, C, H, W) → cols: (C·kh·kw, N·OH·OW), cols[(c, i, j), (n, oh, ow)] = x_pad at tap (i, j) of (oh, ow)."""
    N, C, H, W = x.shape
    (kh, kw), (oh, ow) = kernel_size, out_size
    cols = np.empty((C * kh * kw, N * oh * ow), dtype=x.dtype) if out is None else out
    if not cols.flags.c_contiguous:
        raise ValueError(f"im2col: out must be a C-contiguous ({C * kh * kw}, {N * oh * ow}) array")
    geometry = (kh, kw, *stride, *padding, *dilation, oh, ow)
    threaded_or_serial(_im2col, cols.size)(flat(x), cols.reshape(-1), N, C, H, W, *geometry)
    return cols


@njit(parallel=True, cache=True)
def _col2im(cols, dx, N, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow):  # pragma: no cover - compiled
    # cols: (C·kh·kw, N·oh·ow) flat; dx: (N, C, H, W) flat
    L = oh * ow
    usw = unsigned(sw)
    for c in prange(C):  # each thread owns whole channels: no two write the same pixel
        for n in range(N):
            p0 = unsigned((n * C + c) * H * W)
            for k in range(unsigned(H * W)):
                dx[p0 + k] = 0
        for i in range(kh):  # taps in row-major order, as the reference adds them
            a_lo, a_hi = valid_range(oh, i * dh - pt, sh, H)
            for j in range(kw):
                row = (c * kh + i) * kw + j
                q_off = j * dw - pl
                b_lo, b_hi = valid_range(ow, q_off, sw, W)
                for n in range(N):  # the row is read front to back; the channel's planes stay in cache
                    p0 = (n * C + c) * H * W
                    for a in range(a_lo, a_hi):
                        d = unsigned(p0 + (a * sh + i * dh - pt) * W + b_lo * sw + q_off)
                        s = unsigned(row * N * L + n * L + a * ow + b_lo)
                        if sw == 1:
                            for b in range(unsigned(b_hi - b_lo)):
                                dx[d + b] += cols[s + b]
                        else:
                            for b in range(unsigned(b_hi - b_lo)):
                                dx[d + b * usw] += cols[s + b]


def col2im(
    cols: Any,
    x_shape: tuple,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    out_size: Pair,
    out: Any = None,
) -> Any:
    """cols: (C·kh·kw, N·OH·OW) → dx: (N, C, H, W), the adjoint of im2col, scatter-add fused in one pass.

    ``out``: a C-contiguous (N, C, H, W) array to write dx into (its contents are overwritten)."""
    dx = np.empty(x_shape, dtype=cols.dtype) if out is None else out
    if not dx.flags.c_contiguous:
        raise ValueError(f"col2im: out must be a C-contiguous {tuple(x_shape)} array")
    geometry = (*kernel_size, *stride, *padding, *dilation, *out_size)
    threaded_or_serial(_col2im, cols.size)(flat(cols), dx.reshape(-1), *x_shape, *geometry)
    return dx



im2col_serial, col2im_serial = serial_twin(_im2col), serial_twin(_col2im)  # for the one-call conv loops
