"""Direct convolution by register-blocked micro-kernels (``microkernel``), for undilated, ungrouped layers.

The forward and dW at strides up to MAX_STRIDE, backward's dx (the forward of g with W's channels swapped and its
taps flipped) at stride 1. No columns: for each sample the input is padded into one buffer and laid out on the
padded plane's row pitch (a few wasted columns per row), so that a tap's inputs for a run of outputs are one
contiguous run. At stride s the padded plane is first split into s·s phase planes (pixel (r, q) into plane
(r % s, q % s) at (r // s, q // s)): tap (i, j) of output (a, b) reads pixel (a·s + i, b·s + j), which is
(a + i // s, b + j // s) of phase (i % s, j % s), so on the phases' pitch each tap is again one run. The forward
and dx call ``tile`` for blocks of 4 output channels × NR positions, summed over all channels and taps; dW calls
``dots`` for blocks of 3 output channels × 4 taps, each a dot product of g (on the same pitch, zeros where no
output lies) with the shifted input.

Which layers (benchmarks/results/NOTES.md): up to TILE_MAX_CHANNELS channels in and out this beats im2col + GEMM
on any plane, at stride 1 or (with a kernel at least as wide as the stride) 2; but dx falls back to the GEMM
where most of its products would read g's zero border (``direct_dx_pays``). Wider layers, at stride 1 only, pay
for the padded pitch's extra columns and the last tile's overrun (``tile_waste``: the positions computed per
output), which on small planes is half the work again; where it is at most WIDE_MAX_WASTE (large planes) and the
kernel is larger than 1×1, the tiles beat the GEMM for the forward and dx, and for dW up to WIDE_DW_MAX_CHANNELS
channels. The sums run in tap order with fused multiply-adds (dW's per sample, then added in float64): the GEMM's
values to rounding, not its bits.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..handoff import signal
from .layout import Pair, unsigned

USE_TILES = True  # False: every layer takes im2col + GEMM (tests compare the two paths)
TILE_MAX_CHANNELS = 32  # layers of at most this many channels in and out take the tiles on any plane
WIDE_MAX_WASTE = 1.15  # wider ones where the tiles compute at most this many positions per output
WIDE_DW_MAX_CHANNELS = 64  # ... and their dW, up to this many channels
MAX_STRIDE = 2  # narrow layers' strides the forward and dW take by phases (see above)
DX_MIN_USEFUL = 0.5  # the share of the tiled dx's products that must be real (``direct_dx_pays``)


def tile_waste(out_size: Pair, kernel_size: Pair, nr: int) -> float:
    """Positions the tiles compute per output of an (OH, OW) plane: the padded row pitch (OW + kw - 1 columns a
    row) in whole tiles of ``nr``; infinite where there is no tile (``nr`` 0) or no output."""
    (oh, ow), kw = out_size, kernel_size[1]
    if nr <= 0 or oh * ow == 0:
        return math.inf
    positions = (oh - 1) * (ow + kw - 1) + ow
    return -(-positions // nr) * nr / (oh * ow)


def wide_plane_fits(out_size: Pair, kernel_size: Pair, nr: int) -> bool:
    """Whether a wide layer's plane suits the tiles: ``tile_waste`` at most WIDE_MAX_WASTE, and a kernel larger
    than 1×1 (a 1×1 layer's columns are its input: the GEMM ran those faster)."""
    return max(kernel_size) > 1 and tile_waste(out_size, kernel_size, nr) <= WIDE_MAX_WASTE


def direct_fits(channels: Pair, groups: int, stride: Pair, dilation: Pair, kernel_size: Pair,
                wide_plane: bool = False) -> bool:
    """Whether a layer of (in, out) ``channels`` takes the tiled kernel for its forward: narrow layers at stride 1,
    or strided up to MAX_STRIDE with a kernel at least as wide as the stride (a 1×1 stride-2 layer's phases would
    copy pixels no tap reads, where im2col copies only those it does); wider ones at stride 1 where ``wide_plane``
    (``wide_plane_fits`` of its output plane) says so (see above)."""
    if not (USE_TILES and groups == 1 and dilation == (1, 1)):
        return False
    if stride == (1, 1):
        return max(channels) <= TILE_MAX_CHANNELS or wide_plane
    return (max(channels) <= TILE_MAX_CHANNELS and max(stride) <= MAX_STRIDE and kernel_size[0] >= stride[0]
            and kernel_size[1] >= stride[1])


def direct_dw_fits(channels: Pair, groups: int, stride: Pair, dilation: Pair, kernel_size: Pair,
                   wide_plane: bool = False) -> bool:
    """Whether its dW takes the dot kernel: as the forward, wider layers only up to WIDE_DW_MAX_CHANNELS."""
    return (direct_fits(channels, groups, stride, dilation, kernel_size, wide_plane)
            and max(channels) <= WIDE_DW_MAX_CHANNELS)


def direct_dx_fits(channels: Pair, groups: int, stride: Pair, dilation: Pair, kernel_size: Pair, padding: Pair,
                   wide_plane: bool = False) -> bool:
    """Whether its dx does (``wide_plane`` for the input's plane): stride 1 (dx is then a stride-1 convolution of
    g), and padding below the kernel size (g is padded by kernel_size - 1 - padding)."""
    return (direct_fits(channels, groups, stride, dilation, kernel_size, wide_plane) and stride == (1, 1)
            and padding[0] < kernel_size[0] and padding[1] < kernel_size[1])


def direct_dx_pays(in_size: Pair, out_size: Pair, kernel_size: Pair) -> bool:
    """Whether the tiled dx beats im2col + GEMM + col2im on this plane: it runs every tap for every position of
    x's plane on g's padded pitch, (H - 1)·(W + kw - 1) + W of them, while only OH·OW positions' worth of products
    are real (the rest read g's zero border); below ``DX_MIN_USEFUL`` of that (small planes, wide kernels: LeNet-5's
    conv2) the GEMM path, which multiplies no padding, was faster (benchmarks/results/NOTES.md)."""
    (H, W), (oh, ow), kw = in_size, out_size, kernel_size[1]
    return oh * ow >= DX_MIN_USEFUL * ((H - 1) * (W + kw - 1) + W)


@njit(cache=True, inline="always")
def _tap_offsets(C, kh, kw, sh, sw, Hq, Wq):  # pragma: no cover - compiled
    """offs[k]: where tap k = (c, i, j) starts in a padded sample laid out in phases (``_pad_sample``); it reads
    xp[offs[k] + q] for output q on the phases' pitch Wq."""
    offs = np.empty(C * kh * kw, np.int64)
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                offs[(c * kh + i) * kw + j] = (((c * sh + i % sh) * sw + j % sw) * Hq + i // sh) * Wq + j // sw
    return offs


@njit(cache=True, inline="always")
def _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl, kh, kw, sh, sw, Hq, Wq):  # pragma: no cover - compiled
    """Sample n of x (N, C, H, W), padded at (pt, pl) to (Hp, Wp), into xp as sh·sw phase planes per channel, each
    (Hq, Wq): padded pixel (r, q) of channel c goes to plane (c, r % sh, q % sw) at (r // sh, q // sw), so that a
    stride-s window's taps are again one run per output row. Stride 1 is one plane, the padded sample itself;
    phases no tap reads (r % sh >= kh) are skipped; xp's border is left as it is (zeros)."""
    r0, r1 = max(0, pt), min(Hp, pt + H)  # padded rows that hold input rows
    c0, c1 = max(0, pl), min(Wp, pl + W)
    if sh == 1 and sw == 1:
        for c in range(C):
            for r in range(r0, r1):
                src, dst = unsigned(((n * C + c) * H + r - pt) * W + c0 - pl), unsigned((c * Hp + r) * Wp + c0)
                for q in range(unsigned(c1 - c0)):
                    xp[dst + q] = x[src + q]
        return
    for c in range(C):
        for r in range(r0, r1):
            u = r % sh
            if u >= kh:
                continue
            src = ((n * C + c) * H + r - pt) * W - pl
            if sw == 2 and kw >= 2:  # the two column phases from one pass over the row, a pair at a time
                e0 = c0 + c0 % 2  # the first even column
                even = unsigned((((c * sh + u) * 2) * Hq + r // sh) * Wq + e0 // 2)
                odd = even + unsigned(Hq * Wq)
                if c0 % 2:  # an odd first column: the odd phase's, just before the first pair
                    xp[odd - 1] = x[unsigned(src + c0)]
                at = unsigned(src + e0)
                pairs = unsigned(max(0, c1 - e0) // 2)
                for j in range(pairs):
                    xp[even + j] = x[at + 2 * j]
                    xp[odd + j] = x[at + 2 * j + 1]
                if max(0, c1 - e0) % 2:
                    xp[even + pairs] = x[at + 2 * pairs]
                continue
            for v in range(min(sw, kw)):
                plane = unsigned((((c * sh + u) * sw + v) * Hq + r // sh) * Wq)
                j0, j1 = (c0 - v + sw - 1) // sw, (c1 - v + sw - 1) // sw  # phase v's columns j·sw + v in [c0, c1)
                at = unsigned(src + j0 * sw + v)
                for j in range(unsigned(j1 - j0)):
                    xp[plane + unsigned(j0) + j] = x[at + j * unsigned(sw)]


@njit(cache=True, nogil=True)
def conv_tiles(tile, NR, x, w, b, has_b, y, start, stop, C, H, W, O, kh, kw, sh, sw, pt, pl, oh, ow, ready,
               ready_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (O, C·kh·kw), y: (N, O, oh, ow), all flat; samples [start, stop); undilated
    signal(ready, ready_value)
    Hp, Wp = (oh - 1) * sh + kh, (ow - 1) * sw + kw  # the padded plane the windows need (nothing past it is read)
    Hq, Wq = (Hp + sh - 1) // sh, (Wp + sw - 1) // sw  # a phase plane (the padded plane itself at stride 1)
    M = (oh - 1) * Wq + ow  # the output plane on the phases' row pitch
    T, K = (M + NR - 1) // NR, C * kh * kw  # tiles of NR outputs; the reduction
    isz = unsigned(x.itemsize)
    xp = np.zeros(C * sh * sw * Hq * Wq + T * NR - M, x.dtype)  # one sample in phases, and the last tile's overrun
    offs = _tap_offsets(C, kh, kw, sh, sw, Hq, Wq)
    acc = np.empty(O * T * NR, x.dtype)  # the outputs of one sample, (O, T·NR) on the pitch
    for n in range(start, stop):
        _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl, kh, kw, sh, sw, Hq, Wq)
        for o in range(0, O, 4):
            for t in range(T):
                tile(min(4, O - o), K, w.ctypes.data + unsigned(o * K) * isz, K,
                     xp.ctypes.data + unsigned(t * NR) * isz, offs.ctypes.data,
                     acc.ctypes.data + unsigned(o * T * NR + t * NR) * isz, T * NR)
        for o in range(O):
            for r in range(oh):
                src, dst = o * T * NR + r * Wq, unsigned(((n * O + o) * oh + r) * ow)
                row = acc[src:]
                if has_b:
                    bo = b[o]
                    for q in range(ow):
                        y[dst + q] = row[q] + bo
                else:
                    for q in range(ow):
                        y[dst + q] = row[q]


@njit(cache=True, nogil=True)
def conv_dw_tiles(dots, lanes, g, x, dw_sum, db_sum, has_b, start, stop, C, H, W, O, kh, kw, sh, sw, pt, pl, oh,
                  ow, ready, ready_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), x: (N, C, H, W), dw_sum: float64 (O, C·kh·kw), db_sum: float64 (O,); all flat
    signal(ready, ready_value)
    Hp, Wp = (oh - 1) * sh + kh, (ow - 1) * sw + kw  # x padded and in phases as for the forward (``conv_tiles``)
    Hq, Wq = (Hp + sh - 1) // sh, (Wp + sw - 1) // sw
    M = (oh - 1) * Wq + ow
    Q, K = (M + lanes - 1) // lanes * lanes, C * kh * kw  # the dot products' length, whole vectors
    isz = unsigned(x.itemsize)
    xp = np.zeros(C * sh * sw * Hq * Wq + Q - M, x.dtype)
    gp = np.zeros(O * Q, g.dtype)  # g of one sample on the phases' pitch: zeros where no output lies
    offs = _tap_offsets(C, kh, kw, sh, sw, Hq, Wq)
    tmp = np.empty(O * K, x.dtype)  # one sample's dW
    for n in range(start, stop):
        _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl, kh, kw, sh, sw, Hq, Wq)
        for o in range(O):
            for r in range(oh):
                src, dst = unsigned(((n * O + o) * oh + r) * ow), unsigned(o * Q + r * Wq)
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

