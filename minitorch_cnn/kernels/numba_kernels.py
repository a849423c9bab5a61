"""The Numba kernels: the reference's loops (``numpy_kernels.py``) compiled, one fused pass each.

Same names, signatures and results as the reference. The conv and pooling kernels add the same terms in the
same order (taps in row-major order), so they agree with it bit for bit; the batch-norm sums run in float64
in another order, and the direct conv of narrow stride-1 layers (``_conv_tiles`` for the forward and dx,
``_conv_dw_tiles`` for dW) sums with fused multiply-adds: those agree to rounding. fastmath stays off (it
would reorder sums and drop the NaN tests max-pooling needs), but for its "reassoc" flag on the batch-norm
sums. Work is split over threads so that each writes its own memory: by (sample, channel) planes for
pooling, by channels for batch norm and col2im, by column rows for im2col. im2col and col2im take a whole
row or channel per task, over all samples, so a row's geometry is worked out once, not once per sample: with
per-(row, sample) tasks the index arithmetic dominated on small planes (ResNet-18's 4×4 layer: col2im 11 →
1.5 ms, im2col 7 → 4 ms, measured).

How the loops are written, and why: the compiled functions take flat C-ordered arrays and index them
with unsigned offsets (``_u``). Numba wraps negative indices, so an index it cannot prove
non-negative (any ``base + b``) costs a test per element that also stops LLVM vectorising; unsigned
offsets skip it (2-4x faster im2col, measured). The valid output range of each tap is computed once
per row, so inner loops run without bounds tests.

Compilation happens on the first call per dtype and is cached on disk (``cache=True``), so only the
very first run on a machine pays it; ``dispatch`` imports this module lazily, never at package import.
"""

from __future__ import annotations

import ctypes
import os
import types
from typing import Any

import numba
import numpy as np
from numba import njit, prange

from . import blas, microkernel, numpy_kernels, threadpool, threads
from .blas import NO_TRANS, ROW_MAJOR, TRANS
from .threadpool import in_worker

if "NUMBA_THREADING_LAYER" not in os.environ:
    # OpenMP worker threads spin after each kernel and fight OpenBLAS's threads (and torch's) for the
    # cores: a CIFAR CNN step on 2 threads ran 4.6× slower than with workqueue, whose threads sleep.
    # workqueue must not be entered from two Python threads at once; set the variable to choose another.
    numba.config.THREADING_LAYER = "workqueue"
threads.apply_numba()  # the package's thread count (``threads``), whatever NUMBA_NUM_THREADS says

Pair = tuple[int, int]
_u = np.uint64  # an offset known to be non-negative (see the module docstring)


@njit(cache=True, inline="always")
def _valid(out_len: int, offset: int, stride: int, size: int) -> tuple:
    """[lo, hi): the outputs o whose tap o·stride + offset lies inside [0, size)."""
    lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    hi = 0 if offset >= size else (size - 1 - offset) // stride + 1
    return lo, max(lo, min(hi, out_len))


def _flat(a: Any) -> Any:
    """``a`` as a flat C-ordered array (a view when it already is one)."""
    return np.ascontiguousarray(a).reshape(-1)


# Below this many elements of work a kernel runs on the calling thread. Waking Numba's workqueue threads
# costs ~135 µs a call on the 2-core VM (an empty kernel), and the threaded im2col of 1.25M elements took
# 532 µs against 304 µs on one thread (3.8M: 2.3 ms against 2.0 ms); only at ~15M elements did two threads
# win (3.2 ms against 5.6 ms). The LeNet-5 step makes ~24 kernel calls, all below this.
PARALLEL_MIN_WORK = 1 << 22
_serial: dict[Any, Any] = {}


def _twin(kernel: Any) -> Any:
    """The single-threaded twin of ``kernel``, compiled on first use.

    It is the same Python loops compiled without ``parallel`` (``prange`` then runs as ``range``), so both
    give the same bits. It is a copy of the function under another name: Numba's disk cache tells functions
    apart by name, not by compile options. The twin releases the GIL, and is the only one a thread of
    ``threadpool`` runs (Numba's workqueue layer must not be entered from two threads at once).
    """
    twin = _serial.get(kernel)
    if twin is None:
        f = kernel.py_func
        copy = types.FunctionType(f.__code__, f.__globals__, f"{f.__name__}_serial", f.__defaults__, f.__closure__)
        copy.__qualname__ = f"{f.__qualname__}_serial"
        twin = _serial[kernel] = njit(cache=True, nogil=True)(copy)
    return twin


def _pick(kernel: Any, work: int) -> Any:
    """``kernel`` (threaded) for ``work`` elements or more, else its single-threaded twin."""
    if work >= PARALLEL_MIN_WORK and not in_worker():
        return kernel
    return _twin(kernel)


# ---- waiting without the GIL ------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _post(go, go_value):  # pragma: no cover - compiled
    """``go[:] = go_value``: a share's kernel starts the pool threads (``threadpool.run``'s ``signal``)."""
    for k in range(go.size):
        go[k] = go_value


@njit(nogil=True, cache=True)
def wait_flag(flag, value, polls, pause, done, done_value):  # pragma: no cover - compiled
    """Whether flag[0] (an int64 array another thread writes) reaches ``value`` within ``polls`` polls; each poll
    calls ``pause`` (libc's sched_yield, passed in as a first-class function), which lets anything runnable go
    first and, being opaque, makes the compiler read the flag anew every time. First it writes
    ``done[:] = done_value`` (a pool thread saying its share is finished, once it holds no GIL).
    ``threadpool``'s hand-offs."""
    _post(done, done_value)
    for _ in range(polls):
        if flag[0] >= value:
            return True
        pause()
    return flag[0] >= value


# ---- convolution: im2col / col2im ------------------------------------------------------------------


@njit(cache=True, inline="always")
def _zero_edges(cols, d, b_lo, b_hi, ow):  # pragma: no cover - compiled
    """Zero the entries [0, b_lo) and [b_hi, ow) of the output row at cols[d:]: taps in the left/right padding."""
    for b in range(_u(b_lo)):
        cols[d + b] = 0
    for b in range(_u(b_hi), _u(ow)):
        cols[d + b] = 0


@njit(parallel=True, cache=True)
def _im2col(x, cols, N, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow):  # pragma: no cover - compiled
    # x: (N, C, H, W) flat; cols: (C·kh·kw, N·oh·ow) flat
    L = oh * ow
    usw = _u(sw)
    for row in prange(C * kh * kw):  # one column row (c, i, j), all samples: its geometry is worked out once
        c = row // (kh * kw)
        i = (row - c * kh * kw) // kw
        j = row - c * kh * kw - i * kw
        q_off = j * dw - pl
        a_lo, a_hi = _valid(oh, i * dh - pt, sh, H)
        b_lo, b_hi = _valid(ow, q_off, sw, W)
        for n in range(N):
            d0 = _u(row * N * L + n * L)
            for k in range(_u(a_lo * ow)):  # output rows whose tap falls in the top/bottom padding
                cols[d0 + k] = 0
            for k in range(_u(a_hi * ow), _u(L)):
                cols[d0 + k] = 0
            plane = (n * C + c) * H * W
            if sh == 1 and sw == 1 and ow == W and a_lo < a_hi and b_lo < b_hi:
                # "same" geometry: output rows are as long as input rows and both advance by W, so the rows
                # a_lo..a_hi-1 are one contiguous copy (the first/last of each row wrap into the neighbouring
                # row; they lie in the padding and are zeroed after). Measured: LeNet-5's conv1 0.37 -> 0.21 ms,
                # ResNet-18's 4x4 layer 6.2 -> 3.5 ms; 36 MiB of columns are bound by memory either way.
                d = d0 + _u(a_lo * ow)
                s = _u(plane + (a_lo + i * dh - pt) * W + q_off)
                for k in range(_u(b_lo), _u((a_hi - a_lo - 1) * ow + b_hi)):
                    cols[d + k] = x[s + k]
                for a in range(a_lo, a_hi):
                    _zero_edges(cols, d0 + _u(a * ow), b_lo, b_hi, ow)
                continue
            for a in range(a_lo, a_hi):
                d = d0 + _u(a * ow)
                _zero_edges(cols, d, b_lo, b_hi, ow)
                s = _u(plane + (a * sh + i * dh - pt) * W + b_lo * sw + q_off)
                d += _u(b_lo)
                if sw == 1:
                    for b in range(_u(b_hi - b_lo)):
                        cols[d + b] = x[s + b]
                else:
                    for b in range(_u(b_hi - b_lo)):
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
    _pick(_im2col, cols.size)(_flat(x), cols.reshape(-1), N, C, H, W, kh, kw, *stride, *padding, *dilation, oh, ow)
    return cols


@njit(parallel=True, cache=True)
def _col2im(cols, dx, N, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow):  # pragma: no cover - compiled
    # cols: (C·kh·kw, N·oh·ow) flat; dx: (N, C, H, W) flat
    L = oh * ow
    usw = _u(sw)
    for c in prange(C):  # each thread owns whole channels: no two write the same pixel
        for n in range(N):
            p0 = _u((n * C + c) * H * W)
            for k in range(_u(H * W)):
                dx[p0 + k] = 0
        for i in range(kh):  # taps in row-major order, as the reference adds them
            a_lo, a_hi = _valid(oh, i * dh - pt, sh, H)
            for j in range(kw):
                row = (c * kh + i) * kw + j
                q_off = j * dw - pl
                b_lo, b_hi = _valid(ow, q_off, sw, W)
                for n in range(N):  # the row is read front to back; the channel's planes stay in cache
                    p0 = (n * C + c) * H * W
                    for a in range(a_lo, a_hi):
                        d = _u(p0 + (a * sh + i * dh - pt) * W + b_lo * sw + q_off)
                        s = _u(row * N * L + n * L + a * ow + b_lo)
                        if sw == 1:
                            for b in range(_u(b_hi - b_lo)):
                                dx[d + b] += cols[s + b]
                        else:
                            for b in range(_u(b_hi - b_lo)):
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
    _pick(_col2im, cols.size)(_flat(cols), dx.reshape(-1), *x_shape, *geometry)
    return dx


# ---- convolution: whole shares in one call ----------------------------------------------------------
# A thread of ``threadpool`` ran its share of a conv as a Python loop over chunks: im2col, GEMM, the output's
# transpose, each a call that drops and retakes the GIL. With two threads each retake waited on the other's
# Python, a wake-up of ~50 µs on the 2-core VM, dozens a share. Here the loop is one compiled call without the
# GIL: im2col and col2im are the single-threaded twins, the GEMMs are NumPy's own OpenBLAS ``cblas_?gemm``
# (``blas.gemm``: the same routine ``numpy.matmul`` calls), passed in as a first-class function. Where that
# OpenBLAS is not found (or is not the 64-bit-integer build NumPy's wheels ship), the reference's loop runs.
# It runs too when a GEMM has a side of 1: NumPy's matmul then calls gemv or dot, whose sums are ordered
# otherwise; in every other case the GEMMs are NumPy's calls exactly, so dx and dW keep the reference's bits
# (checked over a grid of shapes). db's float64 sums run in order here, pairwise in NumPy: equal to rounding.

_im2col_one, _col2im_one = _twin(_im2col), _twin(_col2im)
_gemms: dict[Any, Any] = {}


def _gemm(dtype: Any) -> Any:
    """``blas.gemm(dtype)`` when its integers are 64-bit (the build this was tested with), else None."""
    if dtype not in _gemms:
        _gemms[dtype] = blas.gemm(dtype) if blas.integer() is ctypes.c_int64 else None
    return _gemms[dtype]


def _check_chunks(name: str, dtype: Any, arrays: dict, buffers: dict, span: tuple) -> None:
    """The one-call loops write through raw addresses: every array must have the shape and dtype given, every
    buffer at least the elements given, and [a, z) lie in the batch; else a ValueError says which, before any work."""
    for what, (arr, shape) in arrays.items():
        if arr is not None and (tuple(arr.shape) != tuple(shape) or arr.dtype != dtype):
            raise ValueError(f"{name}: {what} should be {tuple(shape)} {dtype}, got {tuple(arr.shape)} {arr.dtype}")
    for what, (buf, size) in buffers.items():
        if buf.dtype != dtype or buf.size < size or not buf.flags.c_contiguous:
            raise ValueError(f"{name}: {what} should be a contiguous {dtype} buffer of at least {size} elements, "
                             f"got {buf.size} {buf.dtype}")
    a, z, step, n = span
    if not 0 <= a <= z <= n or step < 1:
        raise ValueError(f"{name}: samples [{a}, {z}) in steps of {step} do not fit a batch of {n}")


def _fused(gemm: Any, out: Any, *sides: int) -> bool:
    """Whether the one-call loop can run: a GEMM found, ``out`` (None or written in place) C-contiguous and no
    GEMM side (O/G, C/G·kh·kw, OH·OW) of 1."""
    return gemm is not None and (out is None or out.flags.c_contiguous) and min(sides) >= 2


@njit(cache=True, nogil=True)
def _conv_forward_chunks(gemm, one, zero, x, w, b, has_b, y, a, z, step, cols, ybuf, G, O, C, H, W,
                         kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, go, go_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (O, C/G·kh·kw), b: (O,), y: (N, O, oh, ow), cols: (C·kh·kw, m), ybuf: (O, m); all flat
    _post(go, go_value)
    Og, Kg, L = O // G, C // G * kh * kw, oh * ow
    isz, plane = _u(x.itemsize), C * H * W
    for n0 in range(a, z, step):
        n = min(z, n0 + step) - n0
        m = n * L
        _im2col_one(x[n0 * plane:(n0 + n) * plane], cols, n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)
        for grp in range(G):  # ybuf[group] (O/G, m) = w[group] (O/G, C/G·kh·kw) @ cols[group] (C/G·kh·kw, m)
            gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, Og, m, Kg, one, w.ctypes.data + _u(grp * Og * Kg) * isz, Kg,
                 cols.ctypes.data + _u(grp * Kg * m) * isz, m, zero, ybuf.ctypes.data + _u(grp * Og * m) * isz, m)
        for s in range(n):  # (O, n, L) → y[n0 + s, o], the bias added
            for o in range(O):
                src, dst = _u(o * m + s * L), _u(((n0 + s) * O + o) * L)
                if has_b:
                    bo = b[o]
                    for k in range(_u(L)):
                        y[dst + k] = ybuf[src + k] + bo
                else:
                    for k in range(_u(L)):
                        y[dst + k] = ybuf[src + k]


# Direct convolution by register-blocked micro-kernels (``microkernel``) for stride-1, undilated, ungrouped
# layers of at most TILE_MAX_CHANNELS channels in and out: the forward, backward's dx (the forward of g with
# W's channels swapped and its taps flipped) and dW. No columns: for each sample the input is padded into one
# buffer and laid out on the padded plane's row pitch (a few wasted columns per row), so that a tap's inputs
# for a run of outputs are one contiguous run. The forward and dx call ``tile`` for blocks of 4 output
# channels × NR positions, summed over all channels and taps; dW calls ``dots`` for blocks of 3 output
# channels × 4 taps, each a dot product of g (on the same pitch, zeros where no output lies) with the shifted
# input. One share (batch 32) on one thread, interleaved medians, GEMM path -> tiles, forward / dx / dW (ms):
# 16->16 3×3 on 32×32 4.29 -> 2.55 / 4.82 -> 2.95 / 5.20 -> 2.91; 32->32 on 16×16 3.59 -> 2.69 / 3.68 -> 2.84 /
# 3.89 -> 3.08; the CIFAR CNN's 12->12 5×5 on 30×30 forward 6.56 -> 2.91, LeNet-5's conv2 0.77 -> 0.38. At 64
# channels the GEMM caught up (64->64 on 8×8: 3.23 / 3.28 / 3.50 against 3.13 / 3.25 / 4.51), and from 128 it
# won (256->256 on 8×8: 35.8 / 35.8 / 39.2 against 48.3 / 49.4 / 72.7): hence the bound. Training steps, all
# three against the GEMM path, interleaved A/B: LeNet-5 -13%, the CIFAR CNN -32%, the small ResNet -22%
# (ResNet-18 and AlexNet-BN have no such layer: unchanged). The sums run in tap order with fused
# multiply-adds (dW's per sample, then added in float64): the GEMM's values to rounding, not its bits.
USE_TILES = True  # False: every layer takes im2col + GEMM (tests compare the two paths)
TILE_MAX_CHANNELS = 32


def _tiled(channels: Pair, groups: int, stride: Pair, dilation: Pair) -> bool:
    """Whether a layer of (in, out) ``channels`` takes the tiled kernels for its forward and dW (see above)."""
    return (USE_TILES and max(channels) <= TILE_MAX_CHANNELS and groups == 1 and stride == (1, 1)
            and dilation == (1, 1))


def _dx_tiled(channels: Pair, groups: int, stride: Pair, dilation: Pair, kernel_size: Pair, padding: Pair) -> bool:
    """Whether its dx does: also needs padding below the kernel size (g is padded by kernel_size - 1 - padding)."""
    return (_tiled(channels, groups, stride, dilation) and padding[0] < kernel_size[0]
            and padding[1] < kernel_size[1])


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
            src, dst = _u(((n * C + c) * H + r - pt) * W + c0 - pl), _u((c * Hp + r) * Wp + c0)
            for q in range(_u(c1 - c0)):
                xp[dst + q] = x[src + q]


@njit(cache=True, nogil=True)
def _conv_tiles(tile, NR, x, w, b, has_b, y, a, z, C, H, W, O, kh, kw, pt, pl, oh, ow, go,
                go_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (O, C·kh·kw), y: (N, O, oh, ow), all flat; samples [a, z); stride 1, undilated
    _post(go, go_value)
    Hp, Wp = oh + kh - 1, ow + kw - 1  # the padded plane the windows need (rows/cols past it are never read)
    M = (oh - 1) * Wp + ow  # the output plane on the padded row pitch
    T, K = (M + NR - 1) // NR, C * kh * kw  # tiles of NR outputs; the reduction
    isz = _u(x.itemsize)
    xp = np.zeros(C * Hp * Wp + T * NR - M, x.dtype)  # one sample, padded, and the last tile's overrun
    offs = _tap_offsets(C, kh, kw, Hp, Wp)
    acc = np.empty(O * T * NR, x.dtype)  # the outputs of one sample, (O, T·NR) on the padded pitch
    for n in range(a, z):
        _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl)
        for o in range(0, O, 4):
            for t in range(T):
                tile(min(4, O - o), K, w.ctypes.data + _u(o * K) * isz, K, xp.ctypes.data + _u(t * NR) * isz,
                     offs.ctypes.data, acc.ctypes.data + _u(o * T * NR + t * NR) * isz, T * NR)
        for o in range(O):
            for r in range(oh):
                src, dst = o * T * NR + r * Wp, _u(((n * O + o) * oh + r) * ow)
                row = acc[src:]
                if has_b:
                    bo = b[o]
                    for q in range(ow):
                        y[dst + q] = row[q] + bo
                else:
                    for q in range(ow):
                        y[dst + q] = row[q]


@njit(cache=True, nogil=True)
def _conv_dw_tiles(dots, lanes, g, x, dw_sum, db_sum, has_b, a, z, C, H, W, O, kh, kw, pt, pl, oh, ow, go,
                   go_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), x: (N, C, H, W), dw_sum: float64 (O, C·kh·kw), db_sum: float64 (O,); all flat
    _post(go, go_value)
    Hp, Wp = oh + kh - 1, ow + kw - 1  # x padded as for the forward (``_conv_tiles``)
    M = (oh - 1) * Wp + ow
    Q, K = (M + lanes - 1) // lanes * lanes, C * kh * kw  # the dot products' length, whole vectors
    isz = _u(x.itemsize)
    xp = np.zeros(C * Hp * Wp + Q - M, x.dtype)
    gp = np.zeros(O * Q, g.dtype)  # g of one sample on the padded pitch: zeros where no output lies
    offs = _tap_offsets(C, kh, kw, Hp, Wp)
    tmp = np.empty(O * K, x.dtype)  # one sample's dW
    for n in range(a, z):
        _pad_sample(x, xp, n, C, H, W, Hp, Wp, pt, pl)
        for o in range(O):
            for r in range(oh):
                src, dst = _u(((n * O + o) * oh + r) * ow), _u(o * Q + r * Wp)
                for q in range(_u(ow)):
                    gp[dst + q] = g[src + q]
            if has_b:  # dL/db[o] = Σ g[n, o, :, :], in float64
                acc = 0.0
                for k in range(_u(o * Q), _u(o * Q + Q)):
                    acc += gp[k]
                db_sum[o] += acc
        for o in range(0, O, 3):
            for k in range(0, K, 4):
                dots(min(3, O - o), min(4, K - k), Q, gp.ctypes.data + _u(o * Q) * isz, Q, xp.ctypes.data,
                     offs.ctypes.data + _u(k) * 8, tmp.ctypes.data + _u(o * K + k) * isz, K)
        for k in range(O * K):
            dw_sum[k] += tmp[k]


def conv2d_forward_chunks(
    x: Any, w: Any, b: Any, y: Any, a: int, z: int, step: int, col_buf: Any, y_buf: Any, groups: int,
    kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, go: Any = None,
    go_value: int = 0,
) -> None:
    """As the reference (y[a:z] written), in one call without the GIL; that call writes ``go[:] = go_value``."""
    N, C, H, W = x.shape
    O, kg = w.shape[0], w.shape[1] * w.shape[2] * w.shape[3]
    L = out_size[0] * out_size[1]
    _check_chunks(
        "conv2d_forward_chunks", x.dtype,
        {"w": (w, (O, C // groups, *kernel_size)), "b": (b, (O,)), "y": (y, (N, O, *out_size))},
        {"col_buf": (col_buf, C * kernel_size[0] * kernel_size[1] * step * L), "y_buf": (y_buf, O * step * L)},
        (a, z, step, N),
    )
    go = threadpool.NO_GO if go is None else go
    bias = np.empty(0, x.dtype) if b is None else _flat(b)
    tile, lanes = microkernel.tile(x.dtype)
    if tile is not None and _tiled((C, O), groups, stride, dilation) and y.flags.c_contiguous:
        _conv_tiles(tile, lanes, _flat(x), _flat(w), bias, b is not None, y.reshape(-1), a, z, C, H, W, O,
                    *kernel_size, *padding, *out_size, go, go_value)
        return
    gemm = _gemm(x.dtype)
    if not _fused(gemm, y, O // groups, kg, L):
        numpy_kernels.conv2d_forward_chunks(
            x, w, b, y, a, z, step, col_buf, y_buf, groups, kernel_size, stride, padding, dilation, out_size,
            go, go_value,
        )
        return
    one, zero = x.dtype.type(1), x.dtype.type(0)
    _conv_forward_chunks(
        gemm, one, zero, _flat(x), _flat(w), bias, b is not None, y.reshape(-1), a, z, step, col_buf.reshape(-1),
        y_buf.reshape(-1), groups, O, C, H, W, *kernel_size, *stride, *padding, *dilation, *out_size, go, go_value,
    )


@njit(cache=True, nogil=True)
def _conv_backward_chunks(gemm, one, zero, g, x, has_x, w, dx, has_dx, dw_sum, db_sum, has_b, tmp, a, z, step,
                          gbuf, cols, G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow,
                          go, go_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), x, dx: (N, C, H, W), w: (O, C/G·kh·kw), dw_sum: float64 (O, C/G·kh·kw), db_sum: float64
    # (O,), tmp: (O, C/G·kh·kw), gbuf: (O, m), cols: (C·kh·kw, m); all flat
    _post(go, go_value)
    Og, Kg, L = O // G, C // G * kh * kw, oh * ow
    isz, plane = _u(g.itemsize), C * H * W
    for n0 in range(a, z, step):
        n = min(z, n0 + step) - n0
        m = n * L
        for s in range(n):  # g[n0 + s, o] → gbuf (O, m): the GEMMs' layout
            for o in range(O):
                src, dst = _u(((n0 + s) * O + o) * L), _u(o * m + s * L)
                for k in range(_u(L)):
                    gbuf[dst + k] = g[src + k]
        if has_b:  # dL/db[o] = Σ g[n, o, :, :], in float64
            for o in range(O):
                acc = 0.0
                for k in range(_u(o * m), _u(o * m + m)):
                    acc += gbuf[k]
                db_sum[o] += acc
        if has_x:  # dL/dW += g · colsᵀ per group: (O/G, m) @ (m, C/G·kh·kw)
            _im2col_one(x[n0 * plane:(n0 + n) * plane], cols, n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)
            for grp in range(G):
                gemm(ROW_MAJOR, NO_TRANS, TRANS, Og, Kg, m, one, gbuf.ctypes.data + _u(grp * Og * m) * isz, m,
                     cols.ctypes.data + _u(grp * Kg * m) * isz, m, zero, tmp.ctypes.data + _u(grp * Og * Kg) * isz, Kg)
            for k in range(dw_sum.size):
                dw_sum[k] += tmp[k]
        if has_dx:  # dL/dcols = Wᵀ · g per group: (C/G·kh·kw, O/G) @ (O/G, m); then col2im into dx
            for grp in range(G):
                gemm(ROW_MAJOR, TRANS, NO_TRANS, Kg, m, Og, one, w.ctypes.data + _u(grp * Og * Kg) * isz, Kg,
                     gbuf.ctypes.data + _u(grp * Og * m) * isz, m, zero, cols.ctypes.data + _u(grp * Kg * m) * isz, m)
            _col2im_one(cols, dx[n0 * plane:(n0 + n) * plane], n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)


def conv2d_backward_chunks(
    g: Any, x: Any, w: Any, dx: Any, x_shape: tuple, a: int, z: int, step: int, g_buf: Any, col_buf: Any,
    groups: int, need_b: bool, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
    go: Any = None, go_value: int = 0,
) -> tuple[Any, Any]:
    """As the reference (dx[a:z] written; the float64 sums for dW and db returned), in one call without the GIL;
    that call writes ``go[:] = go_value``."""
    N, O = g.shape[:2]
    C, L = x_shape[1], out_size[0] * out_size[1]
    kg = C // groups * kernel_size[0] * kernel_size[1]
    _check_chunks(
        "conv2d_backward_chunks", g.dtype,
        {"g": (g, (x_shape[0], O, *out_size)), "x": (x, x_shape), "w": (w, (O, C // groups, *kernel_size)),
         "dx": (dx, x_shape)},
        {"g_buf": (g_buf, O * step * L), "col_buf": (col_buf, C * kernel_size[0] * kernel_size[1] * step * L)},
        (a, z, step, N),
    )
    gemm = _gemm(g.dtype)
    if not _fused(gemm, dx, O // groups, kg, L):
        return numpy_kernels.conv2d_backward_chunks(
            g, x, w, dx, x_shape, a, z, step, g_buf, col_buf, groups, need_b,
            kernel_size, stride, padding, dilation, out_size, go, go_value,
        )
    dw = np.zeros((groups, O // groups, kg)) if x is not None else None
    db = np.zeros(O) if need_b else None
    empty = np.empty(0, g.dtype)
    go = threadpool.NO_GO if go is None else go
    tile, lanes = microkernel.tile(g.dtype)
    dots, dot_lanes = microkernel.dots(g.dtype)
    (kh, kw), (pt, pl) = kernel_size, padding
    dx_tiles = dx is not None and tile is not None and _dx_tiled((C, O), groups, stride, dilation, kernel_size,
                                                                 padding)
    dw_tiles = x is not None and dots is not None and _tiled((C, O), groups, stride, dilation)
    if dw_tiles:  # dW and db by the dot kernel; the chunk loop below then only makes dx, if it does
        _conv_dw_tiles(dots, dot_lanes, _flat(g), _flat(x), dw.reshape(-1), np.empty(0) if db is None else db,
                       need_b, a, z, C, *x_shape[2:], O, kh, kw, pt, pl, *out_size, go, go_value)
        go = threadpool.NO_GO  # posted: the calls below post nothing
    if ((x is not None or need_b) and not dw_tiles) or (dx is not None and not dx_tiles):
        _conv_backward_chunks(
            gemm, g.dtype.type(1), g.dtype.type(0), _flat(g), empty if x is None or dw_tiles else _flat(x),
            x is not None and not dw_tiles, empty if w is None else _flat(w),
            empty if dx is None else dx.reshape(-1), dx is not None and not dx_tiles,
            np.empty(0) if dw is None else dw.reshape(-1), np.empty(0) if db is None else db,
            need_b and not dw_tiles, np.empty(O * kg, g.dtype), a, z, step, g_buf.reshape(-1), col_buf.reshape(-1),
            groups, O, *x_shape[1:], *kernel_size, *stride, *padding, *dilation, *out_size, go, go_value,
        )
        go = threadpool.NO_GO
    if dx_tiles:  # dx is g convolved with W's channels swapped and taps flipped, padded by k - 1 - p
        flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(-1)
        _conv_tiles(tile, lanes, _flat(g), flipped, empty, False, dx.reshape(-1), a, z, O, *out_size, C, kh, kw,
                    kh - 1 - pt, kw - 1 - pl, *x_shape[2:], go, go_value)
    return dw, db


# ---- max pooling ------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _max_step(v, at, best, at_best):  # pragma: no cover - compiled
    """One tap of a max-pool window: (max, its flat index) after seeing value v at index at, without branches."""
    take = np.int64((v > best) | (v != v))
    return np.maximum(best, v), at_best + take * (at - at_best)


@njit(parallel=True, cache=True)
def _max_pool(x, y, idx, ninf, N, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, lo, hi, go,
              go_value):  # pragma: no cover - compiled
    # x: (N, C, H, W) flat; y, idx: (N, C, oh, ow) flat; ninf: [-inf] in x's dtype; planes [lo, hi) of the N·C.
    # Taps in row-major order.
    # torch: ties keep the first, a NaN always wins. Written without branches (an if mispredicts on every
    # other tap): np.maximum propagates NaN, the index moves by take·(at - at_best).
    _post(go, go_value)
    inside = pt == 0 and pl == 0 and dh == 1 and dw == 1 and (oh - 1) * sh + kh <= H and (ow - 1) * sw + kw <= W
    for plane in prange(lo, hi):
        p0 = plane * H * W
        if inside:  # every window wholly inside the input (the usual k = s pools): no bounds tests at all
            for a in range(oh):
                o = (plane * oh + a) * ow
                for b in range(ow):
                    best = ninf[0]
                    at_best = a * sh * W + b * sw
                    for i in range(kh):
                        for j in range(kw):
                            at = (a * sh + i) * W + b * sw + j
                            best, at_best = _max_step(x[_u(p0 + at)], at, best, at_best)
                    y[_u(o + b)] = best
                    idx[_u(o + b)] = at_best
            continue
        for a in range(oh):
            r0 = a * sh - pt
            r_first = r0 + (0 if r0 >= 0 else (-r0 + dh - 1) // dh * dh)  # torch starts at the first pixel inside
            o = (plane * oh + a) * ow
            for b in range(ow):
                q0 = b * sw - pl
                best = ninf[0]
                at_best = r_first * W + q0 + (0 if q0 >= 0 else (-q0 + dw - 1) // dw * dw)
                for i in range(kh):
                    r = r0 + i * dh
                    if r < 0 or r >= H:
                        continue
                    for j in range(kw):
                        q = q0 + j * dw
                        if q < 0 or q >= W:
                            continue
                        at = r * W + q
                        best, at_best = _max_step(x[_u(p0 + at)], at, best, at_best)
                y[_u(o + b)] = best
                idx[_u(o + b)] = at_best


def max_pool2d_forward(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair
) -> tuple[Any, Any]:
    """x: (N, C, H, W) → (y, indices), both (N, C, OH, OW); indices flat into H·W, torch's tie and NaN rules."""
    N, C, H, W = x.shape
    y = np.empty((N, C, *out_size), dtype=x.dtype)
    idx = np.empty((N, C, *out_size), dtype=np.int64)
    args = (*kernel_size, *stride, *padding, *dilation, *out_size)
    work = y.size * kernel_size[0] * kernel_size[1]
    ninf = np.full(1, -np.inf, dtype=x.dtype)
    _over_range(_max_pool, work, N * C, (_flat(x), y.reshape(-1), idx.reshape(-1), ninf, N, C, H, W, *args))
    return y, idx


@njit(parallel=True, cache=True)
def _adaptive_max_pool(x, y, idx, r0, r1, c0, c1):  # pragma: no cover - compiled
    # x: (N, C, H, W); y, idx: (N, C, oh, ow); window (a, b) = rows [r0[a], r1[a]) × cols [c0[b], c1[b])
    N, C, H, W = x.shape
    oh, ow = y.shape[2:]
    for plane in prange(N * C):
        n = plane // C
        c = plane - n * C
        for a in range(oh):
            for b in range(ow):
                best = -np.inf
                at = r0[a] * W + c0[b]
                for r in range(r0[a], r1[a]):
                    for q in range(c0[b], c1[b]):
                        v = x[n, c, r, q]
                        if (v > best) | (v != v):
                            best = v
                            at = r * W + q
                y[n, c, a, b] = best
                idx[n, c, a, b] = at


def adaptive_max_pool2d_forward(x: Any, row_bounds: tuple, col_bounds: tuple) -> tuple[Any, Any]:
    """x: (N, C, H, W) → (y, indices), (N, C, OH, OW); window (oh, ow) spans [r0, r1) × [c0, c1)."""
    N, C = x.shape[:2]
    bounds = [np.ascontiguousarray(b, dtype=np.int64) for b in (*row_bounds, *col_bounds)]
    y = np.empty((N, C, len(bounds[0]), len(bounds[2])), dtype=x.dtype)
    idx = np.empty(y.shape, dtype=np.int64)
    _pick(_adaptive_max_pool, x.size)(np.ascontiguousarray(x), y, idx, *bounds)
    return y, idx


@njit(parallel=True, cache=True)
def _max_pool_backward(g, idx, dx, L, HW, lo, hi, go, go_value):  # pragma: no cover - compiled
    # g, idx: (planes, L) flat; dx: (planes, HW) flat; planes [lo, hi)
    _post(go, go_value)
    for p in prange(lo, hi):
        d0 = _u(p * HW)
        for k in range(_u(HW)):
            dx[d0 + k] = 0
        s0 = _u(p * L)
        for k in range(_u(L)):
            dx[d0 + _u(idx[s0 + k])] += g[s0 + k]


def max_pool2d_backward(g: Any, indices: Any, in_size: Pair, unique: bool = False) -> Any:
    """g, indices: (N, C, OH, OW) → dx: (N, C, H, W): each window's gradient added onto its argmax.

    ``unique`` (disjoint windows) needs no special case here: the fused add is as fast as a scatter.
    """
    N, C, oh, ow = g.shape
    H, W = in_size
    dx = np.empty((N, C, H, W), dtype=g.dtype)
    _over_range(_max_pool_backward, dx.size, N * C, (_flat(g), _flat(indices), dx.reshape(-1), oh * ow, H * W))
    return dx


# ---- average pooling ------------------------------------------------------------------------------


def _divisors(divisor: Any, out_size: Pair, dtype: Any) -> Any:
    """A number or an array broadcastable to (OH, OW), as a flat (OH·OW,) array of ``dtype``."""
    return _flat(np.broadcast_to(np.asarray(divisor, dtype=dtype), out_size))


@njit(parallel=True, cache=True)
def _avg_pool(x, y, div, N, C, H, W, kh, kw, sh, sw, pt, pl, oh, ow):  # pragma: no cover - compiled
    # x: (N, C, H, W) flat; y: (N, C, oh, ow) flat; div: (oh·ow,)
    usw = _u(sw)
    for plane in prange(N * C):
        p0 = plane * H * W
        o0 = _u(plane * oh * ow)
        for k in range(_u(oh * ow)):
            y[o0 + k] = 0
        for i in range(kh):
            a_lo, a_hi = _valid(oh, i - pt, sh, H)
            for j in range(kw):
                b_lo, b_hi = _valid(ow, j - pl, sw, W)
                for a in range(a_lo, a_hi):
                    s = _u(p0 + (a * sh + i - pt) * W + b_lo * sw + j - pl)
                    d = o0 + _u(a * ow + b_lo)
                    for b in range(_u(b_hi - b_lo)):
                        y[d + b] += x[s + b * usw]
        for k in range(_u(oh * ow)):
            y[o0 + k] /= div[k]


def avg_pool2d_forward(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair, divisor: Any) -> Any:
    """x: (N, C, H, W) → y: (N, C, OH, OW) = (sum of the zero-padded window) / divisor."""
    N, C, H, W = x.shape
    y = np.empty((N, C, *out_size), dtype=x.dtype)
    div = _divisors(divisor, out_size, x.dtype)
    work = y.size * kernel_size[0] * kernel_size[1]
    _pick(_avg_pool, work)(_flat(x), y.reshape(-1), div, N, C, H, W, *kernel_size, *stride, *padding, *out_size)
    return y


@njit(parallel=True, cache=True)
def _avg_pool_backward(g, dx, div, N, C, H, W, kh, kw, sh, sw, pt, pl, oh, ow):  # pragma: no cover - compiled
    # g: (N, C, oh, ow) flat; dx: (N, C, H, W) flat; every window adds g / divisor (rounded once) to its pixels
    usw = _u(sw)
    for plane in prange(N * C):
        p0 = _u(plane * H * W)
        o0 = plane * oh * ow
        for k in range(_u(H * W)):
            dx[p0 + k] = 0
        for i in range(kh):
            a_lo, a_hi = _valid(oh, i - pt, sh, H)
            for j in range(kw):
                b_lo, b_hi = _valid(ow, j - pl, sw, W)
                for a in range(a_lo, a_hi):
                    d = p0 + _u((a * sh + i - pt) * W + b_lo * sw + j - pl)
                    s = _u(o0 + a * ow + b_lo)
                    t = _u(a * ow + b_lo)
                    for b in range(_u(b_hi - b_lo)):
                        dx[d + b * usw] += g[s + b] / div[t + b]


def avg_pool2d_backward(g: Any, in_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, divisor: Any) -> Any:
    """g: (N, C, OH, OW) → dx: (N, C, H, W): each window spreads g / divisor over its pixels."""
    N, C, oh, ow = g.shape
    H, W = in_size
    dx = np.empty((N, C, H, W), dtype=g.dtype)
    div = _divisors(divisor, (oh, ow), g.dtype)
    geometry = (*kernel_size, *stride, *padding, oh, ow)
    _pick(_avg_pool_backward, dx.size)(_flat(g), dx.reshape(-1), div, N, C, H, W, *geometry)
    return dx


# ---- batch normalisation ----------------------------------------------------------------------------
# A channel is N runs of L contiguous values. Its sums run in float64, and only they are compiled with one
# fastmath flag, "reassoc": it lets LLVM keep partial sums in vector lanes (float64 sums of float32 data stay
# as accurate; NaN and infinity handling is untouched); with unsigned offsets, or the wrap-around test on
# each index stops it. Σx over 1M float32 then takes 0.10 ms and Σ(x-m) with Σ(x-m)² 0.25 ms; the former sums
# over an 8-slot lane array took 0.51 ms a pass, 8 scalar lanes by hand 0.34 / 0.89 (measured, one thread).
# The lane order is fixed when compiled, so both compilations of a kernel give the same bits. The outputs'
# per-element arithmetic is done in float64 without fastmath and rounded once when stored. Each kernel works
# on channels [c0, c1), so the wrapper can split the channels over ``threadpool``'s threads.

_REASSOC = {"reassoc"}


@njit(cache=True, fastmath=_REASSOC)
def _channel_sum(a, c, N, C, L):  # pragma: no cover - compiled
    """Σ a over channel c, in float64."""
    s = 0.0
    for n in range(N):
        p = _u((n * C + c) * L)
        for k in range(_u(L)):
            s += np.float64(a[p + k])
    return s


@njit(cache=True, fastmath=_REASSOC)
def _centered_sums(a, b, c, N, C, L, ma, mb):  # pragma: no cover - compiled
    """(Σ (a - ma), Σ (a - ma)·(b - mb)) over channel c, in float64."""
    s = t = 0.0
    for n in range(N):
        p = _u((n * C + c) * L)
        for k in range(_u(L)):
            d = np.float64(a[p + k]) - ma
            s += d
            t += d * (np.float64(b[p + k]) - mb)
    return s, t


@njit(parallel=True, cache=True)
def _bn_forward(x, y, mean, var, w, b, eps, N, C, L, c0, c1, batch_stats, go, go_value):  # pragma: no cover
    # x, y: (N, C, L) flat; mean, var, w, b: (C,) float64
    _post(go, go_value)
    n = N * L
    for c in prange(c0, c1):
        if batch_stats:
            mean[c] = _channel_sum(x, c, N, C, L) / n
            # biased variance Σ(x-μ)²/n in a second pass, for accuracy; Σ(x-μ) (zero but for rounding) corrects it
            d1, d2 = _centered_sums(x, x, c, N, C, L, mean[c], mean[c])
            var[c] = (d2 - d1 * d1 / n) / n
        m = mean[c]
        scale = w[c] / np.sqrt(var[c] + eps)
        shift = b[c]
        for k in range(N):
            base = _u((k * C + c) * L)
            for j in range(_u(L)):
                y[base + j] = (np.float64(x[base + j]) - m) * scale + shift


# From this many elements of work a kernel run through ``_over_range`` (batch norm by channels, max pooling by
# planes, ReLU by elements) splits over ``threadpool``'s threads (when it has more than one): a hand-off cost
# ~0.11 ms when it was chosen, a pass over 256K float32 values about as much.
SPLIT_MIN_WORK = 1 << 18


def _over_range(kernel: Any, work: int, n: int, head: tuple, tail: tuple = ()) -> None:
    """``kernel(*head, lo, hi, *tail, go, go_value)`` over ranges [lo, hi) that cover range(n) (channels,
    planes, elements): split over ``threadpool``'s threads when ``work`` (elements) reaches ``SPLIT_MIN_WORK``,
    each running the single-threaded twin, the first posting the others from its kernel; else in one call,
    threaded or not as ``_pick`` chooses, posting nothing."""
    parts = threadpool.split(n, threadpool.workers()) if work >= SPLIT_MIN_WORK else [(0, n)]
    if len(parts) == 1:
        _pick(kernel, work)(*head, 0, n, *tail, threadpool.NO_GO, 0)
    else:
        threadpool.run(_twin(kernel), [(*head, lo, hi, *tail) for lo, hi in parts], signal=True)


def batch_norm_forward(x: Any, weight: Any, bias: Any, mean: Any, var: Any, eps: float) -> tuple[Any, Any, Any]:
    """x: (N, C, L) → (y, mean, var), y = (x - mean) / √(var + eps) · weight + bias; None stats: the batch's."""
    N, C, L = x.shape
    batch_stats = mean is None
    mean = np.empty(C) if batch_stats else np.ascontiguousarray(mean, dtype=np.float64)
    var = np.empty(C) if batch_stats else np.ascontiguousarray(var, dtype=np.float64)
    w = np.ones(C) if weight is None else weight.astype(np.float64)
    b = np.zeros(C) if bias is None else bias.astype(np.float64)
    y = np.empty((N, C, L), dtype=x.dtype)
    head = (_flat(x), y.reshape(-1), mean, var, w, b, float(eps), N, C, L)
    _over_range(_bn_forward, x.size, C, head, (batch_stats,))
    return y, mean, var


@njit(parallel=True, cache=True)
def _bn_backward(g, x, dx, mean, var, w, eps, N, C, L, c0, c1, batch_stats, need_x, sum_g, sum_gx, go,
                 go_value):  # pragma: no cover - compiled
    # g, x, dx: (N, C, L) flat; mean, var, w, sum_g, sum_gx: (C,) float64
    _post(go, go_value)
    n = N * L
    for c in prange(c0, c1):
        m = mean[c]
        inv_std = 1.0 / np.sqrt(var[c] + eps)
        sg, sgd = _centered_sums(g, x, c, N, C, L, 0.0, m)  # Σ g, Σ g·(x - μ)
        sum_g[c] = sg
        sum_gx[c] = sgd * inv_std  # Σ g·x̂
        if need_x:
            scale = w[c] * inv_std
            mean_g = sg / n if batch_stats else 0.0
            k_x = sgd * inv_std * inv_std / n if batch_stats else 0.0  # mean(g·x̂) / σ
            for k in range(N):
                base = _u((k * C + c) * L)
                for j in range(_u(L)):
                    d = np.float64(x[base + j]) - m
                    dx[base + j] = (np.float64(g[base + j]) - mean_g - d * k_x) * scale


def batch_norm_backward(
    g: Any, x: Any, mean: Any, var: Any, weight: Any, eps: float, batch_stats: bool, need_x: bool
) -> tuple[Any, Any, Any]:
    """g, x: (N, C, L) → (dx or None, Σ g, Σ g·x̂) per channel; see the reference for the formulas."""
    N, C, L = g.shape
    w = np.ones(C) if weight is None else weight.astype(np.float64)
    dx = np.empty((N, C, L), dtype=g.dtype) if need_x else np.empty(0, dtype=g.dtype)
    sum_g, sum_gx = np.empty(C), np.empty(C)
    mean, var = np.ascontiguousarray(mean, dtype=np.float64), np.ascontiguousarray(var, dtype=np.float64)
    head = (_flat(g), _flat(x), dx.reshape(-1), mean, var, w, float(eps), N, C, L)
    _over_range(_bn_backward, g.size, C, head, (batch_stats, need_x, sum_g, sum_gx))
    return (dx if need_x else None), sum_g, sum_gx


# ---- ReLU -------------------------------------------------------------------------------------------
# One fused, branch-free pass each. NumPy's maximum checks for NaN and its where/masks branch on every
# element: on (64, 16, 32, 32) float32 these ran 0.15 ms forward (np.maximum 0.51) and 0.24 ms backward
# (g * (out > 0) 0.47, np.where 4.7), single-threaded, measured. From ``SPLIT_MIN_WORK`` elements the range
# is split over ``threadpool``'s threads, the first share posting the others from its kernel: small-ResNet
# steps 59.7 -> 57.5 and 63.1 -> 60.3 ms (interleaved in one process); before that posting the split gained
# nothing, the hand-off costing as much as half a pass.

_RELU_DTYPES = (np.float32, np.float64)


@njit(parallel=True, cache=True)
def _relu_forward(x, y, lo, hi, go, go_value):  # pragma: no cover - compiled
    # x, y flat; elements [lo, hi). Offsets unsigned: a signed range lost vectorisation (0.24 -> 7.6 ms for 1M)
    _post(go, go_value)
    zero, start = x.dtype.type(0), _u(lo)
    for k in prange(_u(hi - lo)):
        v = x[start + k]
        y[start + k] = zero if v <= zero else v  # NaN <= 0 is false: NaN stays


@njit(parallel=True, cache=True)
def _relu_backward(g, out, dx, lo, hi, go, go_value):  # pragma: no cover - compiled
    # g, out, dx flat; elements [lo, hi)
    _post(go, go_value)
    zero, start = g.dtype.type(0), _u(lo)
    for k in prange(_u(hi - lo)):
        dx[start + k] = zero if out[start + k] <= zero else g[start + k]


def relu_forward(x: Any) -> Any:
    """x (any shape) → max(x, 0), as the reference (other dtypes than float32/float64 run it)."""
    if x.dtype.type not in _RELU_DTYPES:
        return numpy_kernels.relu_forward(x)
    y = np.empty(x.shape, dtype=x.dtype)
    _over_range(_relu_forward, x.size, x.size, (_flat(x), y.reshape(-1)))
    return y


def relu_backward(g: Any, out: Any) -> Any:
    """g, out (same shape) → dx = 0 where out <= 0, else g, as the reference."""
    if g.dtype.type not in _RELU_DTYPES or out.dtype != g.dtype:
        return numpy_kernels.relu_backward(g, out)
    dx = np.empty(g.shape, dtype=g.dtype)
    _over_range(_relu_backward, g.size, g.size, (_flat(g), _flat(out), dx.reshape(-1)))
    return dx


# ---- Pillow's 8-bit resampling pass -----------------------------------------------------------------------------
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
