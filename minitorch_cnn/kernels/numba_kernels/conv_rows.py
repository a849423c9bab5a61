"""Convolution's backward for wide layers on channels-last rows: im2row + one GEMM a chunk, in one compiled call.

The columns are built transposed, one row per output pixel: for a chunk of n samples,

    rows (n·OH·OW, K),  rows[(s, a, b), (i, j, c)] = x_pad[s, a·sh + i·dh, b·sw + j·dw, c],  K = kh·kw·C

read from the chunk's input padded and turned channels-last first (x_pad: (n, Hp, Wp, C), zero borders), so
that every tap is a contiguous run of C values (kw·C when undilated). With g as (O, n·OH·OW) (a sample's own
planes, or the chunk's gathered) and the weights packed once a share as wk (O, K) = w (O, C, kh, kw) with its
axes turned to (O, kh, kw, C):

    dW:  dwk (O, K) += g @ rows        (over the share's chunks: GEMMs with beta = 1);
    dx:  d_rows (n·OH·OW, K) = gᵀ @ wk, scattered back (row2im, pixels and taps in order) into a zeroed
         x_pad, whose interior is turned back to (n, C, H, W);
    db:  Σ g per channel, in float64.

Why: OpenBLAS runs these products faster with the pixels as the GEMM's long side (M or K) and the channels as
its short ones than the channel-major loop's W (O, K) @ cols (K, M) transposes (``conv_gemm``); the turns to and
from channels-last cost less than that gain for dW at every wide layer and for dx at stride 1 (times in
benchmarks/results/NOTES.md; the forward stays channel-major, where the turns cost what the GEMM gains). The
GEMMs are NumPy's OpenBLAS ``cblas_?gemm`` (``blas``) called without the GIL, as in ``conv_gemm``. dW is summed
in the dtype over a share's chunks by the GEMMs (as torch sums it), then handed on in float64, the shares' sums
added in share order by the schedule: the result does not depend on which thread finished first; its
(O, kh, kw, C) axes are handed on as an (O, C, kh, kw) view.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from ..blas import NO_TRANS, ROW_MAJOR, TRANS
from ..handoff import signal
from .layout import unsigned

USE_ROWS = True  # False: wide layers take im2col + GEMM too (tests compare the two paths)
ROWS_MIN_CHANNELS = 64  # layers with at least this many input and output channels take this path
BLOCK = 16  # channels turned to channels-last at a time: a 64-byte cache line of float32 per pixel


def rows_fits(channels: tuple[int, int], groups: int, kernel_size: tuple[int, int]) -> bool:
    """Whether a layer of (in, out) ``channels`` makes its dW on rows: ungrouped, wide (runs of C values are
    long enough to copy fast) and not 1×1 (whose columns are the input itself, strided: the channel-major loop
    copies them faster than a turn to channels-last)."""
    return USE_ROWS and groups == 1 and min(channels) >= ROWS_MIN_CHANNELS and max(kernel_size) > 1


def rows_dx_fits(channels: tuple[int, int], groups: int, kernel_size: tuple[int, int], stride: tuple[int, int]) -> bool:
    """Whether it makes dx on rows too: only at stride 1 (strided layers' dx ran as fast channel-major)."""
    return rows_fits(channels, groups, kernel_size) and stride == (1, 1)


def padded_size(shape: Any) -> tuple[int, int]:
    """(Hp, Wp): the padded plane the windows read, from a ``LoopShape``; rows/columns past it are never read."""
    return ((shape.oh - 1) * shape.sh + (shape.kh - 1) * shape.dh + 1,
            (shape.ow - 1) * shape.sw + (shape.kw - 1) * shape.dw + 1)


@njit(cache=True, inline="always")
def _pack_weights(w, wk, O, C, T):  # pragma: no cover - compiled
    """wk (O, T, C) = w (O, C, T) with its last two axes swapped (T = kh·kw taps)."""
    for o in range(O):
        for c in range(C):
            src, dst = unsigned((o * C + c) * T), unsigned(o * T * C + c)
            for t in range(unsigned(T)):
                wk[dst + t * unsigned(C)] = w[src + t]


@njit(cache=True, inline="always")
def _to_padded(x, xp, n0, n, C, H, W, Hp, Wp, pt, pl):  # pragma: no cover - compiled
    """Samples n0..n0+n of x (N, C, H, W) into xp (n, Hp, Wp, C) at (pt, pl); xp's border is left as it is.
    BLOCK channels at a time, plane rows in order: each plane is read front to back and each pixel's block
    of channels (a cache line) is written whole before the next."""
    r0, r1 = max(0, pt), min(Hp, pt + H)
    q0, q1 = max(0, pl), min(Wp, pl + W)
    uC = unsigned(C)
    for s in range(n):
        for c0 in range(0, C, BLOCK):
            for r in range(r0, r1):
                for c in range(c0, min(C, c0 + BLOCK)):
                    src = unsigned((((n0 + s) * C + c) * H + r - pt) * W + q0 - pl)
                    dst = unsigned(((s * Hp + r) * Wp + q0) * C + c)
                    for q in range(unsigned(q1 - q0)):
                        xp[dst + q * uC] = x[src + q]


@njit(cache=True, inline="always")
def _from_padded(xp, dx, n0, n, C, H, W, Hp, Wp, pt, pl):  # pragma: no cover - compiled
    """The adjoint of ``_to_padded``: xp (n, Hp, Wp, C)'s interior into dx (N, C, H, W) samples n0..n0+n, in the
    same order. At stride 1 (the only dx made here) the padded plane covers every input pixel."""
    r0, r1 = max(0, pt), min(Hp, pt + H)
    q0, q1 = max(0, pl), min(Wp, pl + W)
    uC = unsigned(C)
    for s in range(n):
        for c0 in range(0, C, BLOCK):
            for r in range(r0, r1):
                for c in range(c0, min(C, c0 + BLOCK)):
                    dst = unsigned((((n0 + s) * C + c) * H + r - pt) * W + q0 - pl)
                    src = unsigned(((s * Hp + r) * Wp + q0) * C + c)
                    for q in range(unsigned(q1 - q0)):
                        dx[dst + q] = xp[src + q * uC]


@njit(cache=True, inline="always")
def _im2row(xp, rows, n, C, Hp, Wp, kh, kw, sh, sw, dh, dw, oh, ow):  # pragma: no cover - compiled
    """rows (n·oh·ow, kh·kw·C) from xp (n, Hp, Wp, C): one run of C (kw·C when dw = 1) per tap."""
    K, run = kh * kw * C, (kw * C if dw == 1 else C)
    for s in range(n):
        for a in range(oh):
            for b in range(ow):
                d = unsigned(((s * oh + a) * ow + b) * K)
                for i in range(kh):
                    for j in range(0, kw, 1 if dw != 1 else kw):
                        src = unsigned(((s * Hp + a * sh + i * dh) * Wp + b * sw + j * dw) * C)
                        for k in range(unsigned(run)):
                            rows[d + k] = xp[src + k]
                        d += unsigned(run)


@njit(cache=True, inline="always")
def _row2im(rows, xp, n, C, Hp, Wp, kh, kw, sh, sw, dh, dw, oh, ow):  # pragma: no cover - compiled
    """The adjoint of ``_im2row``: xp (n, Hp, Wp, C) += each tap's run of rows, pixels and taps in order."""
    K, run = kh * kw * C, (kw * C if dw == 1 else C)
    for s in range(n):
        for a in range(oh):
            for b in range(ow):
                d = unsigned(((s * oh + a) * ow + b) * K)
                for i in range(kh):
                    for j in range(0, kw, 1 if dw != 1 else kw):
                        dst = unsigned(((s * Hp + a * sh + i * dh) * Wp + b * sw + j * dw) * C)
                        for k in range(unsigned(run)):
                            xp[dst + k] += rows[d + k]
                        d += unsigned(run)


@njit(cache=True, inline="always")
def gather_g(g, gbuf, n0, n, O, L):  # pragma: no cover - compiled
    """g of the chunk's n samples from n0 as a flat (O, n·L): sample n0's own planes when n = 1, else gathered
    into gbuf, each plane a run of L."""
    if n == 1:
        return g[unsigned(n0 * O * L):]
    M = n * L
    for s in range(n):
        for o in range(O):
            src, dst = unsigned(((n0 + s) * O + o) * L), unsigned(o * M + s * L)
            for k in range(unsigned(L)):
                gbuf[dst + k] = g[src + k]
    return gbuf


@njit(cache=True, inline="always")
def add_db(g, db_sum, n0, n, O, L):  # pragma: no cover - compiled
    """dL/db[o] += Σ g[s, o, :, :] over the chunk's samples, in float64."""
    for s in range(n0, n0 + n):
        for o in range(O):
            a = 0.0
            for k in range(unsigned((s * O + o) * L), unsigned((s * O + o + 1) * L)):
                a += g[k]
            db_sum[o] += a


@njit(cache=True, inline="always")
def scatter_rows(rows, dxp, dx, n0, n, C, H, W, Hp, Wp, pt, pl, kh, kw, sh, sw, dh, dw, oh, ow):  # pragma: no cover
    """dx's samples n0..n0+n from d_rows (n·oh·ow, K): row2im into the zeroed dxp, then its interior turned back."""
    dxp[:] = 0
    _row2im(rows, dxp, n, C, Hp, Wp, kh, kw, sh, sw, dh, dw, oh, ow)
    _from_padded(dxp, dx, n0, n, C, H, W, Hp, Wp, pt, pl)


@njit(cache=True, nogil=True)
def backward_rows(gemm, one, zero, g, x, has_x, w, dx, has_dx, dw_sum, db_sum, has_b, start, stop, step, gbuf,
                  rows, shape, Hp, Wp, ready, ready_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), x, dx: (N, C, H, W), w: (O, C, kh, kw), dw_sum: float64 (O, kh, kw, C), db_sum: float64
    # (O,), gbuf: (O, step·oh·ow), rows: (step·oh·ow, K); all flat
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    K, L = kh * kw * C, oh * ow
    wk = np.empty(O * K if has_dx else 0, g.dtype)
    if has_dx:
        _pack_weights(w, wk, O, C, kh * kw)
    acc = np.empty(O * K if has_x else 0, g.dtype)  # dW (O, K) summed over the share by the GEMMs
    xp = np.zeros(step * Hp * Wp * C if has_x else 0, g.dtype)
    dxp = np.empty(step * Hp * Wp * C if has_dx else 0, g.dtype)
    first = True
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        M = n * L
        gc = gather_g(g, gbuf, n0, n, O, L).ctypes.data
        if has_b:
            add_db(g, db_sum, n0, n, O, L)
        if has_x:  # dL/dW (O, K) += g (O, M) @ rows (M, K)
            _to_padded(x, xp, n0, n, C, H, W, Hp, Wp, pt, pl)
            _im2row(xp, rows, n, C, Hp, Wp, kh, kw, sh, sw, dh, dw, oh, ow)
            gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, O, K, M, one, gc, M, rows.ctypes.data, K, zero if first else one,
                 acc.ctypes.data, K)
            first = False
        if has_dx:  # dL/drows (M, K) = gᵀ (M, O) @ wk (O, K); scattered back into dx
            gemm(ROW_MAJOR, TRANS, NO_TRANS, M, K, O, one, gc, M, wk.ctypes.data, K, zero, rows.ctypes.data, K)
            scatter_rows(rows, dxp, dx, n0, n, C, H, W, Hp, Wp, pt, pl, kh, kw, sh, sw, dh, dw, oh, ow)
    if has_x and not first:
        for k in range(unsigned(O * K)):
            dw_sum[k] = acc[k]
