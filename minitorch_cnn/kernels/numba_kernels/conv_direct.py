"""Direct convolution by register-blocked micro-kernels (``microkernel``), for narrow stride-1 layers.

Stride-1, undilated, ungrouped layers of at most TILE_MAX_CHANNELS channels in and out: the forward, backward's
dx (the forward of g with W's channels swapped and its taps flipped) and dW. No columns: for each sample the input
is padded into one buffer and laid out on the padded plane's row pitch (a few wasted columns per row), so that a
tap's inputs for a run of outputs are one contiguous run. The forward and dx call ``tile`` for blocks of 4 output
channels × NR positions, summed over all channels and taps; dW calls ``dots`` for blocks of 3 output channels ×
4 taps, each a dot product of g (on the same pitch, zeros where no output lies) with the shifted input. Up to
32 channels this beats im2col + GEMM, from 64 the GEMM wins (benchmarks/results/NOTES.md): hence the bound; dx
also falls back to the GEMM where most of its products would read g's zero border (``direct_dx_pays``). The
sums run in tap order with fused multiply-adds (dW's per sample, then added in float64): the GEMM's values to
rounding, not its bits.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..handoff import signal
from .layout import Pair, unsigned

USE_TILES = True  # False: every layer takes im2col + GEMM (tests compare the two paths)
TILE_MAX_CHANNELS = 32
DX_MIN_USEFUL = 0.5  # the share of the tiled dx's products that must be real (``direct_dx_pays``)


def direct_fits(channels: Pair, groups: int, stride: Pair, dilation: Pair) -> bool:
    """Whether a layer of (in, out) ``channels`` takes the tiled kernels for its forward and dW (see above)."""
    return (USE_TILES and max(channels) <= TILE_MAX_CHANNELS and groups == 1 and stride == (1, 1)
            and dilation == (1, 1))


def direct_dx_fits(channels: Pair, groups: int, stride: Pair, dilation: Pair, kernel_size: Pair, padding: Pair) -> bool:
    """Whether its dx does: also needs padding below the kernel size (g is padded by kernel_size - 1 - padding)."""
    return (direct_fits(channels, groups, stride, dilation) and padding[0] < kernel_size[0]
            and padding[1] < kernel_size[1])


def direct_dx_pays(in_size: Pair, out_size: Pair, kernel_size: Pair) -> bool:
    """Whether the tiled dx beats im2col + GEMM + col2im on this plane: it runs every tap for every position of
    x's plane on g's padded pitch, (H - 1)·(W + kw - 1) + W of them, while only OH·OW positions' worth of products
    are real (the rest read g's zero border); below ``DX_MIN_USEFUL`` of that (small planes, wide kernels: LeNet-5's
    conv2) the GEMM path, which multiplies no padding, was faster (benchmarks/results/NOTES.md)."""
    (H, W), (oh, ow), kw = in_size, out_size, kernel_size[1]
    return oh * ow >= DX_MIN_USEFUL * ((H - 1) * (W + kw - 1) + W)


@njit(cache=True, inline="always")
def _tap_offsets(C, kh, kw, Hp, Wp):  # pragma: no cover - compiled
    """offs[k]: where tap k = (c, i, j) starts in a padded (C, Hp, Wp) sample; it reads xp[offs[k] + q] for
    output q on the padded pitch."""
    offs = np.empty(C * kh * kw, np.int64)
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                offs[(c * kh + i) * kw + j] = (c * Hp + i) * Wp + j
    return offs


@njit(cache=True, inline="always")
def _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl):  # pragma: no cover - compiled
    """Sample n of x (N, C, H, W) into xp (C, Hp, Wp) at (pt, pl); xp's border is left as it is (zeros)."""
    r0, r1 = max(0, pt), min(Hp, pt + H)  # padded rows that hold input rows
    c0, c1 = max(0, pl), min(Wp, pl + W)
    for c in range(C):
        for r in range(r0, r1):
            src, dst = unsigned(((n * C + c) * H + r - pt) * W + c0 - pl), unsigned((c * Hp + r) * Wp + c0)
            for q in range(unsigned(c1 - c0)):
                xp[dst + q] = x[src + q]


@njit(cache=True, nogil=True)
def conv_tiles(tile, NR, x, w, b, has_b, y, start, stop, C, H, W, O, kh, kw, pt, pl, oh, ow, ready,
               ready_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (O, C·kh·kw), y: (N, O, oh, ow), all flat; samples [start, stop); stride 1, undilated
    signal(ready, ready_value)
    Hp, Wp = oh + kh - 1, ow + kw - 1  # the padded plane the windows need (rows/cols past it are never read)
    M = (oh - 1) * Wp + ow  # the output plane on the padded row pitch
    T, K = (M + NR - 1) // NR, C * kh * kw  # tiles of NR outputs; the reduction
    isz = unsigned(x.itemsize)
    xp = np.zeros(C * Hp * Wp + T * NR - M, x.dtype)  # one sample, padded, and the last tile's overrun
    offs = _tap_offsets(C, kh, kw, Hp, Wp)
    acc = np.empty(O * T * NR, x.dtype)  # the outputs of one sample, (O, T·NR) on the padded pitch
    for n in range(start, stop):
        _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl)
        for o in range(0, O, 4):
            for t in range(T):
                tile(min(4, O - o), K, w.ctypes.data + unsigned(o * K) * isz, K,
                     xp.ctypes.data + unsigned(t * NR) * isz, offs.ctypes.data,
                     acc.ctypes.data + unsigned(o * T * NR + t * NR) * isz, T * NR)
        for o in range(O):
            for r in range(oh):
                src, dst = o * T * NR + r * Wp, unsigned(((n * O + o) * oh + r) * ow)
                row = acc[src:]
                if has_b:
                    bo = b[o]
                    for q in range(ow):
                        y[dst + q] = row[q] + bo
                else:
                    for q in range(ow):
                        y[dst + q] = row[q]


@njit(cache=True, nogil=True)
def conv_dw_tiles(dots, lanes, g, x, dw_sum, db_sum, has_b, start, stop, C, H, W, O, kh, kw, pt, pl, oh, ow, ready,
                  ready_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), x: (N, C, H, W), dw_sum: float64 (O, C·kh·kw), db_sum: float64 (O,); all flat
    signal(ready, ready_value)
    Hp, Wp = oh + kh - 1, ow + kw - 1  # x padded as for the forward (``conv_tiles``)
    M = (oh - 1) * Wp + ow
    Q, K = (M + lanes - 1) // lanes * lanes, C * kh * kw  # the dot products' length, whole vectors
    isz = unsigned(x.itemsize)
    xp = np.zeros(C * Hp * Wp + Q - M, x.dtype)
    gp = np.zeros(O * Q, g.dtype)  # g of one sample on the padded pitch: zeros where no output lies
    offs = _tap_offsets(C, kh, kw, Hp, Wp)
    tmp = np.empty(O * K, x.dtype)  # one sample's dW
    for n in range(start, stop):
        _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl)
        for o in range(O):
            for r in range(oh):
                src, dst = unsigned(((n * O + o) * oh + r) * ow), unsigned(o * Q + r * Wp)
                for q in range(unsigned(ow)):
                    gp[dst + q] = g[src + q]
            if has_b:  # dL/db[o] = Σ g[n, o, :, :], in float64
                acc = 0.0
                for k in range(unsigned(o * Q), unsigned(o * Q + Q)):
                    acc += gp[k]
                db_sum[o] += acc
        for o in range(0, O, 3):
            for k in range(0, K, 4):
                dots(min(3, O - o), min(4, K - k), Q, gp.ctypes.data + unsigned(o * Q) * isz, Q, xp.ctypes.data,
                     offs.ctypes.data + unsigned(k) * 8, tmp.ctypes.data + unsigned(o * K + k) * isz, K)
        for k in range(O * K):
            dw_sum[k] += tmp[k]

