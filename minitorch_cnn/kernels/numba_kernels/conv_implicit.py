"""Wide layers' forward, stride-1 dx and dW as implicit GEMMs: the panel micro-kernel reading its input in place.

For a chunk of n samples, the input is turned channels-last and padded once (x_pad: (n, Hp, Wp, C), zero
borders); then, with P(s, a, b) = ((s·Hp + a·sh)·Wp + b·sw)·C the offset of output pixel (s, a, b)'s window and
T(i, j) = (i·dh·Wp + j·dw)·C that of tap (i, j),

    y_rows[p, o] = Σ_{i, j} Σ_c x_pad[P(p) + T(i, j) + c] · W[o, c, i, j]

is a sum over taps of GEMMs whose A rows are runs of C channels read where they lie: the micro-kernel's gather
form (``gemm_kernel.panel_kernel(dtype, gather=True)``) takes MR pixel pointers, and the weights are packed once a
share into its B panels (NR output channels, a channel block of ``gemm_packed.KC`` deep, tap by tap). No columns
are built and no activations packed, where im2col + GEMM writes K·M columns and packs them again: only the
padded input (C values a pixel) and the (M, O) result rows are written, the rows then turned to (n, O, OH, OW)
with the bias added (both turns by blocks through ``turn``, the block transpose: ``conv_turns``).
Loops: output-channel panels, channel blocks (their B block, taps × KC × NR values, stays in
L2), MR-pixel groups, taps; the C tile is summed in place over taps and channel blocks (fused multiply-adds in
channel order within a tap and block, taps and blocks added in order: the GEMM's values to rounding, not its bits).
Where the kernel's taps form compiles (``conv_implicit_taps``), a group's taps are one call, the tile kept in
registers between them (measured faster at both widths, most at 256 bits: benchmarks/results/NOTES.md).

Taps that read only the zero border are skipped, as oneDNN skips them: a chunk's pixels are ordered by which taps
read the input (border rows and columns apart from the interior), so that a group of MR pixels mostly shares
them, and a tap no pixel of the group reads is not multiplied. On small planes that is much of the work (a 3×3
"same" layer on 4×4 planes reads 69% of the taps it would multiply, 84% on 8×8), and there chunks take a multiple of
MR samples so that every class of border pixels fills whole groups.

dx at stride 1 is the same convolution of g (padded by k - 1 - p) with W's channels swapped and its taps flipped.
dW (``weight_grad_implicit``) sums over the pixels instead, per tap and panel of NR input channels:

    dW[o, i, j, c] = Σ_p g[o, p] · x_pad[P(p) + T(i, j) + c]

with the kernel's form that gathers B's rows too (``panel_kernel(dtype, gather=True, gather_b=True)``): A's rows
are g's channels, gathered once a chunk with the pixels in tap order and read in place; B's k-th row is the NR
channels at pixel k's tap, read by pointer; the pixels whose tap reads only the border are left out of the sum
(the tap-ordered pixels make a few runs per tap). Summed in the dtype over a share's chunks (as torch sums it),
handed on in float64 on (O, kh, kw, C) axes. Which layers (``implicit_fits``, ``implicit_dw_fits``): where it
measured faster than the paths it replaces (benchmarks/results/NOTES.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..handoff import signal
from .conv_implicit_taps import implicit_gemm_taps
from .conv_rows import add_db
from .conv_turns import rows_to_planes, to_padded
from .gemm_packed import KC
from .layout import Pair, unsigned

USE_IMPLICIT = True  # False: these layers keep their other paths (tests compare them)
USE_IMPLICIT_DW = True  # False: dW keeps its other paths
IMPLICIT_MIN_CHANNELS = 64  # input and output channels at least this many at stride 1 (narrower: the tiles)
STRIDED_MIN_CHANNELS = 64  # ... and at other strides
CHUNK_BYTES = 1 << 19  # a chunk's padded input and result rows together: about half a core's L2
SMALL_PLANE = 64  # output planes of at most this many pixels take chunks of a multiple of MR samples


def implicit_fits(channels: Pair, groups: int, kernel_size: Pair, stride: Pair, nr: int) -> bool:
    """Whether a layer of (in, out) ``channels`` runs on the implicit GEMM, ``nr`` the gather kernel's columns (0
    where there is none): ungrouped, wide (narrower layers run faster on the tiles), not 1×1, the
    output channels in whole panels of NR."""
    least = IMPLICIT_MIN_CHANNELS if stride == (1, 1) else STRIDED_MIN_CHANNELS
    return (USE_IMPLICIT and groups == 1 and nr > 0 and min(channels) >= least and max(kernel_size) > 1
            and channels[1] % nr == 0)


def implicit_dw_fits(channels: Pair, groups: int, kernel_size: Pair, stride: Pair, nr: int) -> bool:
    """Whether a layer of (in, out) ``channels`` makes dW on the implicit GEMM: as ``implicit_fits``, with the
    input channels in whole panels of NR (``nr``, the gather-both kernel's columns)."""
    return USE_IMPLICIT_DW and implicit_fits((channels[1], channels[0]), groups, kernel_size, stride, nr)


def chunk_samples(hp: int, wp: int, c: int, pixels: int, o: int, itemsize: int, mr: int) -> int:
    """Samples a chunk takes: padded input (hp·wp·c) and result rows (pixels·o) of at most CHUNK_BYTES, one at
    least; on planes of at most SMALL_PLANE pixels a multiple of ``mr`` (the kernel's rows), so that each class of
    border pixels (``_pixel_order``) fills whole groups and skips its taps."""
    n = max(1, CHUNK_BYTES // ((hp * wp * c + pixels * o) * itemsize))
    return -(-n // mr) * mr if pixels <= SMALL_PLANE else n


@njit(cache=True, inline="always")
def pack_panels(w, wp, O, C, T, NR, flip):  # pragma: no cover - compiled
    """The B panels of w (O, C, T) (flat; T taps): for the output-channel panel q0 (NR channels), the channel
    block c0 (KC deep, kc = its width) and tap t, wp[q0·T·C + c0·T·NR + (t·kc + c - c0)·NR + col] =
    W[q0 + col, c, t]. With ``flip`` the weights of dx's convolution: W[o, c, t] = w[c, o, T - 1 - t] read from
    w (C, O, T), i.e. O here is w's input channels and C its output ones."""
    for q0 in range(0, O, NR):
        for c0 in range(0, C, KC):
            kc = min(KC, C - c0)
            base = q0 * T * C + c0 * T * NR - q0
            if flip:  # a panel row is a run of w's (C, O, T) read at stride T
                for t in range(T):
                    for c in range(c0, c0 + kc):
                        dst = unsigned(base + (t * kc + c - c0) * NR)
                        for o in range(q0, q0 + NR):
                            wp[dst + unsigned(o)] = w[unsigned((c * O + o) * T + T - 1 - t)]
            else:  # up to 16 rows of w (O, C, T) read side by side, a cache line of each panel row written whole
                for o0 in range(q0, q0 + NR, 16):
                    for c in range(c0, c0 + kc):
                        for t in range(T):
                            dst = unsigned(base + (t * kc + c - c0) * NR)
                            for o in range(o0, min(o0 + 16, q0 + NR)):
                                wp[dst + unsigned(o)] = w[unsigned((o * C + c) * T + t)]


@njit(cache=True, inline="always")
def _tap_mask(a, b, H, W, kh, kw, sh, sw, pt, pl, dh, dw):  # pragma: no cover - compiled
    """Bit t set where tap t (i·kw + j) of output pixel (a, b) reads the input, not its zero border (all bits
    where there are more than 63 taps: none skipped)."""
    if kh * kw > 63:
        return np.int64(-1)
    m = np.int64(0)
    for i in range(kh):
        r = a * sh + i * dh - pt
        for j in range(kw):
            q = b * sw + j * dw - pl
            if 0 <= r < H and 0 <= q < W:
                m |= np.int64(1) << (i * kw + j)
    return m


@njit(cache=True, inline="always")
def _pixel_order(pix, pos, gmask, kmask, MR, n, oh, ow, hp, wp, c, H, W, kh, kw, sh, sw, pt, pl, dh,
                 dw):  # pragma: no cover - compiled
    """The chunk's n·oh·ow output pixels ordered by which taps read the input (``_tap_mask``), so that a group of
    MR shares its border taps: pix[k] = ((s·hp + a·sh)·wp + b·sw)·c, the k-th pixel's window in the padded input;
    pos[(s·oh + a)·ow + b] = k, its row of the result; gmask[g] = the taps any pixel of group g reads, kmask[k]
    those the k-th pixel reads."""
    L = oh * ow
    masks = np.empty(L, np.int64)
    for a in range(oh):
        for b in range(ow):
            masks[a * ow + b] = _tap_mask(a, b, H, W, kh, kw, sh, sw, pt, pl, dh, dw)
    order = np.argsort(masks, kind="mergesort")  # each class of pixels together, in plane order
    k = 0
    for i in range(L):
        lo = i
        if i > 0 and masks[order[i]] == masks[order[i - 1]]:
            continue
        hi = lo
        while hi < L and masks[order[hi]] == masks[order[lo]]:
            hi += 1
        for s in range(n):  # the class's pixels of every sample
            for m in range(lo, hi):
                l = order[m]
                a, b = l // ow, l % ow
                pix[k] = ((s * hp + a * sh) * wp + b * sw) * c
                pos[s * L + l] = k
                kmask[k] = masks[l]
                if k % MR == 0:
                    gmask[k // MR] = 0
                gmask[k // MR] |= masks[l]
                k += 1


@njit(cache=True, inline="always")
def implicit_gemm(kernel, MR, NR, xp, pix, gmask, M, C, wp, wpitch, kh, kw, dh, dw, O, rows,
                  ptrs):  # pragma: no cover - compiled
    """rows (Mp, O) = the convolution of xp (padded, channels-last, C a pixel) at the M pixels ``pix`` with the
    packed panels wp (``pack_panels``), skipping the taps no pixel of a group reads (``gmask``); Mp = M rounded up
    to MR (the last group's extra rows repeat its last pixel)."""
    isz = unsigned(rows.itemsize)
    T = kh * kw
    xa, ra = xp.ctypes.data, rows.ctypes.data
    for q0 in range(0, O, NR):
        for c0 in range(0, C, KC):
            kc = min(KC, C - c0)
            block = wp.ctypes.data + unsigned(q0 * T * C + c0 * T * NR) * isz
            for i0 in range(0, M, MR):
                out = ra + unsigned(i0 * O + q0) * isz
                add = 1 if c0 > 0 else 0
                for t in range(T):
                    if not (gmask[i0 // MR] >> t) & 1:
                        continue
                    tap = (t // kw) * dh * wpitch * C + (t % kw) * dw * C + c0
                    for r in range(MR):
                        ptrs[r] = xa + unsigned(pix[min(i0 + r, M - 1)] + tap) * isz
                    kernel(kc, ptrs.ctypes.data, block + unsigned(t * kc * NR) * isz, out, O, add)
                    add = 1
                if add == 0:  # no tap reads the input: zeros
                    for r in range(MR):
                        for q in range(NR):
                            rows[unsigned((i0 + r) * O + q0 + q)] = 0


@njit(cache=True, nogil=True)
def conv_implicit(kernel, MR, NR, turn, x, w, b, has_b, y, start, stop, flip, C, H, W, O, kh, kw, sh, sw, pt, pl, dh,
                  dw, oh, ow, hp, wpitch, step, ready, ready_value, taps, fused):  # pragma: no cover - compiled
    """y[start:stop] (N, O, oh, ow) = the convolution of x (N, C, H, W) with w (O, C, kh, kw) (``flip``: with
    w (C, O, kh, kw)'s channels swapped and taps flipped, dx's convolution of g) at stride (sh, sw), dilation
    (dh, dw), x placed at (pt, pl) of the (hp, wpitch) padded plane; + b where ``has_b``. All flat."""
    signal(ready, ready_value)
    T, L = kh * kw, oh * ow
    wp = np.empty(O * C * T, w.dtype)
    pack_panels(w, wp, O, C, T, NR, flip)
    xp = np.zeros(step * hp * wpitch * C, x.dtype)
    M = step * L
    rows = np.empty((M + MR - 1) // MR * MR * O, x.dtype)
    pix, pos, kmask = np.empty(M, np.int64), np.empty(M, np.int64), np.empty(M, np.int64)
    gmask = np.empty((M + MR - 1) // MR, np.int64)
    ptrs = np.empty(MR, np.uint64)
    ordered = 0  # the samples a chunk holds in the order tables
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        if n != ordered:
            _pixel_order(pix, pos, gmask, kmask, MR, n, oh, ow, hp, wpitch, C, H, W, kh, kw, sh, sw, pt, pl, dh,
                         dw)
            ordered = n
        to_padded(turn, x, xp, n0, n, C, H, W, hp, wpitch, pt, pl)
        if fused:
            implicit_gemm_taps(taps, MR, NR, xp, pix, gmask, n * L, C, wp, wpitch, kh, kw, dh, dw, O, rows, ptrs)
        else:
            implicit_gemm(kernel, MR, NR, xp, pix, gmask, n * L, C, wp, wpitch, kh, kw, dh, dw, O, rows, ptrs)
        rows_to_planes(turn, rows, pos, y, b, has_b, n0, n, O, L)


@njit(cache=True, nogil=True)
def weight_grad_implicit(kernel, MR, NR, turn, g, x, dw_sum, db_sum, has_b, start, stop, C, H, W, O, kh, kw, sh, sw, pt,
                         pl, dh, dw, oh, ow, hp, wpitch, step, o_lo, o_hi, ready,
                         ready_value):  # pragma: no cover - compiled
    """dw_sum (float64 (O, kh, kw, C)) += dW of samples start..stop, its output channels o_lo..o_hi (its other
    rows left as they are): g (N, O, oh, ow), x (N, C, H, W), all flat; db_sum (float64 (O,)) += Σ g (all
    channels) where ``has_b``. ``kernel`` is the gather form with B rows gathered too: for
    tap t and a panel of NR input channels, dW[o, t, c] = Σ_p g[o, p] · x_pad[P(p) + T(t) + c] over the pixels
    whose tap t reads the input (runs of the tap-ordered pixels), g's rows read in place from the chunk's g
    gathered in that order, x_pad's rows by pointer; summed in the dtype over the share's chunks."""
    signal(ready, ready_value)
    T, L = kh * kw, oh * ow
    isz = unsigned(g.itemsize)
    Oc = o_hi - o_lo
    acc = np.zeros(Oc * T * C, g.dtype)  # dW (O, T, C)'s rows o_lo..o_hi
    xp = np.zeros(step * hp * wpitch * C, x.dtype)
    M = step * L
    gq = np.empty(Oc * M, g.dtype)  # the chunk's g (O, m) rows o_lo..o_hi, its pixels in tap order
    pix, pos, kmask = np.empty(M, np.int64), np.empty(M, np.int64), np.empty(M, np.int64)
    gmask = np.empty((M + MR - 1) // MR, np.int64)
    aptrs, bptrs = np.empty(MR, np.uint64), np.empty(M, np.uint64)
    tile = np.empty(MR * NR, g.dtype)
    xa, ga, acca = xp.ctypes.data, gq.ctypes.data, acc.ctypes.data
    ordered = 0
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        m = n * L
        if n != ordered:
            _pixel_order(pix, pos, gmask, kmask, MR, n, oh, ow, hp, wpitch, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw)
            ordered = n
        to_padded(turn, x, xp, n0, n, C, H, W, hp, wpitch, pt, pl)
        for s in range(n):
            for o in range(o_lo, o_hi):
                src = unsigned(((n0 + s) * O + o) * L)
                for l in range(L):
                    gq[unsigned((o - o_lo) * m + pos[s * L + l])] = g[src + unsigned(l)]
        if has_b:
            add_db(g, db_sum, n0, n, O, L)
        for t in range(T):
            tap = (t // kw) * dh * wpitch * C + (t % kw) * dw * C
            for c0 in range(0, C, NR):
                for k in range(m):
                    bptrs[k] = xa + unsigned(pix[k] + tap + c0) * isz
                k = 0
                while k < m:  # each run of pixels whose tap t reads the input
                    if not (kmask[k] >> t) & 1:
                        k += 1
                        continue
                    k1 = k
                    while k1 < m and (kmask[k1] >> t) & 1:
                        k1 += 1
                    for o0 in range(0, Oc, MR):  # rows of acc and gq (o_lo + o0: the output channel)
                        rows = min(MR, Oc - o0)
                        for r in range(MR):
                            aptrs[r] = ga + unsigned(min(o0 + r, Oc - 1) * m + k) * isz
                        b = bptrs.ctypes.data + unsigned(k * 8)
                        if rows == MR:
                            kernel(k1 - k, aptrs.ctypes.data, b, acca + unsigned((o0 * T + t) * C + c0) * isz, T * C, 1)
                        else:
                            kernel(k1 - k, aptrs.ctypes.data, b, tile.ctypes.data, NR, 0)
                            for r in range(rows):
                                for q in range(NR):
                                    acc[unsigned(((o0 + r) * T + t) * C + c0 + q)] += tile[unsigned(r * NR + q)]
                    k = k1
    for i in range(Oc * T * C):
        dw_sum[unsigned(o_lo * T * C + i)] += acc[i]
