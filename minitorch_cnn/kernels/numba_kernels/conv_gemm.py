"""Convolution's im2col + GEMM path, a share of the batch in one compiled call without the GIL.

A share run as a Python loop over chunks (im2col, GEMM, the output's transpose) dropped and retook the GIL at
every call, and with two threads each retake waited on the other's Python. Here the loop is one compiled call:
im2col and col2im are the single-threaded twins, the GEMMs are NumPy's own OpenBLAS ``cblas_?gemm``
(``blas.gemm``: the same routine ``numpy.matmul`` calls), passed in as a first-class function. Where that
OpenBLAS is not found (or is not the 64-bit-integer build NumPy's wheels ship), the reference's loop runs.
It runs too when a GEMM has a side of 1: NumPy's matmul then calls gemv or dot, whose sums are ordered
otherwise; in every other case the GEMMs are NumPy's calls exactly, so dx and dW keep the reference's bits
(checked over a grid of shapes). db's float64 sums run in order here, pairwise in NumPy: equal to rounding.
"""

from __future__ import annotations

import ctypes
from typing import Any, NamedTuple

from numba import njit

from .. import blas
from ..blas import NO_TRANS, ROW_MAJOR, TRANS
from ..handoff import signal
from .im2col import col2im_serial, im2col_serial
from .layout import unsigned

_gemms: dict[Any, Any] = {}


class LoopShape(NamedTuple):
    """A convolution's sizes as the compiled loops take them: one tuple, unpacked inside the loop."""

    groups: int
    out_channels: int
    channels: int
    height: int
    width: int
    kh: int
    kw: int
    sh: int  # stride
    sw: int
    pt: int  # top/left padding
    pl: int
    dh: int  # dilation
    dw: int
    oh: int  # output size
    ow: int


def gemm_routine(dtype: Any) -> Any:
    """``blas.gemm(dtype)`` when its integers are 64-bit (the build this was tested with), else None."""
    if dtype not in _gemms:
        _gemms[dtype] = blas.gemm(dtype) if blas.integer() is ctypes.c_int64 else None
    return _gemms[dtype]


def check_chunks(name: str, dtype: Any, arrays: dict, buffers: dict, span: tuple) -> None:
    """The one-call loops write through raw addresses: every array must have the shape and dtype given, every
    buffer at least the elements given, and [start, stop) lie in the batch; else a ValueError says which, before
    any work."""
    for what, (arr, shape) in arrays.items():
        if arr is not None and (tuple(arr.shape) != tuple(shape) or arr.dtype != dtype):
            raise ValueError(f"{name}: {what} should be {tuple(shape)} {dtype}, got {tuple(arr.shape)} {arr.dtype}")
    for what, (buf, size) in buffers.items():
        if buf.dtype != dtype or buf.size < size or not buf.flags.c_contiguous:
            raise ValueError(f"{name}: {what} should be a contiguous {dtype} buffer of at least {size} elements, "
                             f"got {buf.size} {buf.dtype}")
    start, stop, step, n = span
    if not 0 <= start <= stop <= n or step < 1:
        raise ValueError(f"{name}: samples [{start}, {stop}) in steps of {step} do not fit a batch of {n}")


def one_call_loop_fits(gemm: Any, out: Any, *sides: int) -> bool:
    """Whether the one-call loop can run: a GEMM found, ``out`` (None or written in place) C-contiguous and no
    GEMM side (O/G, C/G·kh·kw, OH·OW) of 1."""
    return gemm is not None and (out is None or out.flags.c_contiguous) and min(sides) >= 2


@njit(cache=True, nogil=True)
def forward_loop(gemm, one, zero, x, w, b, has_b, y, start, stop, step, cols, ybuf, shape, ready,
                 ready_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (O, C/G·kh·kw), b: (O,), y: (N, O, oh, ow), cols: (C·kh·kw, m), ybuf: (O, m); all flat
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    Og, Kg, L = O // G, C // G * kh * kw, oh * ow
    isz, plane = unsigned(x.itemsize), C * H * W
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        m = n * L
        im2col_serial(x[n0 * plane:(n0 + n) * plane], cols, n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)
        for grp in range(G):  # ybuf[group] (O/G, m) = w[group] (O/G, C/G·kh·kw) @ cols[group] (C/G·kh·kw, m)
            gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, Og, m, Kg, one, w.ctypes.data + unsigned(grp * Og * Kg) * isz, Kg,
                 cols.ctypes.data + unsigned(grp * Kg * m) * isz, m, zero,
                 ybuf.ctypes.data + unsigned(grp * Og * m) * isz, m)
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
def backward_loop(gemm, one, zero, g, x, has_x, w, dx, has_dx, dw_sum, db_sum, has_b, tmp, start, stop, step,
                  gbuf, cols, shape, ready, ready_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), x, dx: (N, C, H, W), w: (O, C/G·kh·kw), dw_sum: float64 (O, C/G·kh·kw), db_sum: float64
    # (O,), tmp: (O, C/G·kh·kw), gbuf: (O, m), cols: (C·kh·kw, m); all flat
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    Og, Kg, L = O // G, C // G * kh * kw, oh * ow
    isz, plane = unsigned(g.itemsize), C * H * W
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        m = n * L
        for s in range(n):  # g[n0 + s, o] → gbuf (O, m): the GEMMs' layout
            for o in range(O):
                src, dst = unsigned(((n0 + s) * O + o) * L), unsigned(o * m + s * L)
                for k in range(unsigned(L)):
                    gbuf[dst + k] = g[src + k]
        if has_b:  # dL/db[o] = Σ g[n, o, :, :], in float64
            for o in range(O):
                acc = 0.0
                for k in range(unsigned(o * m), unsigned(o * m + m)):
                    acc += gbuf[k]
                db_sum[o] += acc
        if has_x:  # dL/dW += g · colsᵀ per group: (O/G, m) @ (m, C/G·kh·kw)
            im2col_serial(x[n0 * plane:(n0 + n) * plane], cols, n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)
            for grp in range(G):
                gemm(ROW_MAJOR, NO_TRANS, TRANS, Og, Kg, m, one, gbuf.ctypes.data + unsigned(grp * Og * m) * isz, m,
                     cols.ctypes.data + unsigned(grp * Kg * m) * isz, m, zero,
                     tmp.ctypes.data + unsigned(grp * Og * Kg) * isz, Kg)
            for k in range(dw_sum.size):
                dw_sum[k] += tmp[k]
        if has_dx:  # dL/dcols = Wᵀ · g per group: (C/G·kh·kw, O/G) @ (O/G, m); then col2im into dx
            for grp in range(G):
                gemm(ROW_MAJOR, TRANS, NO_TRANS, Kg, m, Og, one, w.ctypes.data + unsigned(grp * Og * Kg) * isz, Kg,
                     gbuf.ctypes.data + unsigned(grp * Og * m) * isz, m, zero,
                     cols.ctypes.data + unsigned(grp * Kg * m) * isz, m)
            col2im_serial(cols, dx[n0 * plane:(n0 + n) * plane], n, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow)

