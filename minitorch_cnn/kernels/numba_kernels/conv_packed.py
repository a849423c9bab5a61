"""Wide layers' channel-major GEMMs on the packed-panel GEMM (``gemm_packed``), the weights packed once a share.

The same loops as ``conv_gemm`` (im2col, one GEMM a chunk, the output's turn; g gathered, one GEMM, col2im), for
ungrouped layers, with the GEMM our own: OpenBLAS packs the whole weight matrix at every call, once a chunk,
while here it is packed once a share into the micro-kernel's panels, MR output channels a panel:

    forward:  y (O, m) = W (O, K) @ cols (K, m)         W packed as the A operand, rows of MR channels;
    dx:       d_cols (K, m) = Wᵀ (K, O) @ g (O, m)      Wᵀ packed as the A operand, rows of MR taps;

cols and g are packed a depth block at a time inside the GEMM. Each product is summed in k order with fused
multiply-adds within a depth block of ``gemm_packed.KC``, the blocks added in order: OpenBLAS's values to
rounding, not its bits. Which layers (``packed_fits``): wide (at least PACKED_MIN_CHANNELS in and out), not 1×1,
a chunk's pixels in nearly whole panels, several chunks a share: where the panels measured faster than OpenBLAS
(benchmarks/results/NOTES.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..handoff import signal
from .gemm_packed import pack_a_all, packed_gemm
from .im2col import col2im_serial, im2col_serial
from .layout import Pair, unsigned

USE_PACKED = True  # False: these layers keep OpenBLAS (tests compare the two paths)
PACKED_MIN_CHANNELS = 128  # layers with at least this many input and output channels
PACKED_MAX_WASTE = 1.05  # columns computed per real one: a chunk's pixels in whole panels of NR
PACKED_MIN_CHUNKS = 4  # GEMMs a share makes with the weights it packed once


def packed_fits(channels: Pair, groups: int, kernel_size: Pair, pixels: int, nr: int, chunks: int) -> bool:
    """Whether a layer of (in, out) ``channels`` runs its channel-major GEMMs on the packed panels, ``pixels`` the
    columns of a chunk's GEMM, ``nr`` the micro-kernel's columns and ``chunks`` the GEMMs of a share: ungrouped,
    wide, not 1×1, the chunk's columns nearly whole panels (the last panel is computed whole: AlexNet's 13×13
    layers, 338 columns in panels of 64, ran slower than OpenBLAS), and the weights packed once used by several
    GEMMs (ResNet-18's 512-channel layers, one or two chunks a share, ran as fast or slower)."""
    return (USE_PACKED and groups == 1 and min(channels) >= PACKED_MIN_CHANNELS and max(kernel_size) > 1
            and nr > 0 and pixels > 0 and -(-pixels // nr) * nr <= PACKED_MAX_WASTE * pixels
            and chunks >= PACKED_MIN_CHUNKS)


@njit(cache=True, nogil=True)
def forward_packed(kernel, MR, NR, x, w, b, has_b, y, start, stop, step, cols, ybuf, shape, ready,
                   ready_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (O, C·kh·kw), b: (O,), y: (N, O, oh, ow), cols: (C·kh·kw, m), ybuf: (O, m); all flat
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    K, L, plane = C * kh * kw, oh * ow, C * H * W
    wp = np.empty((O + MR - 1) // MR * MR * K, w.dtype)
    pack_a_all(w, False, K, O, K, wp, MR)
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        m = n * L
        im2col_serial(x[n0 * plane:(n0 + n) * plane], cols, n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)
        packed_gemm(kernel, MR, NR, False, False, O, m, K, wp, K, True, cols, m, False, ybuf, m, False)
        for s in range(n):  # (O, n, L) → y[n0 + s, o], the bias added
            for o in range(O):
                src, dst = unsigned(o * m + s * L), unsigned(((n0 + s) * O + o) * L)
                if has_b:
                    bo = b[o]
                    for k in range(unsigned(L)):
                        y[dst + k] = ybuf[src + k] + bo
                else:
                    for k in range(unsigned(L)):
                        y[dst + k] = ybuf[src + k]


@njit(cache=True, nogil=True)
def input_grad_packed(kernel, MR, NR, g, w, dx, start, stop, step, gbuf, cols, shape, ready,
                      ready_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), w: (O, C·kh·kw), dx: (N, C, H, W), gbuf: (O, m), cols: (C·kh·kw, m); all flat
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    K, L, plane = C * kh * kw, oh * ow, C * H * W
    wp = np.empty((K + MR - 1) // MR * MR * O, w.dtype)
    pack_a_all(w, True, K, K, O, wp, MR)
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        m = n * L
        for s in range(n):  # g[n0 + s, o] → gbuf (O, m): the GEMM's layout
            for o in range(O):
                src, dst = unsigned(((n0 + s) * O + o) * L), unsigned(o * m + s * L)
                for k in range(unsigned(L)):
                    gbuf[dst + k] = g[src + k]
        packed_gemm(kernel, MR, NR, True, False, K, m, O, wp, K, True, gbuf, m, False, cols, m, False)
        col2im_serial(cols, dx[n0 * plane:(n0 + n) * plane], n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)
