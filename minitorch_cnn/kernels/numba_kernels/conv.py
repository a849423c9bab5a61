"""Convolution's chunk kernels (the reference's names and signatures): each picks the depthwise kernels
(``conv_depthwise``) for depthwise layers, the implicit GEMM (``conv_implicit``) for wide layers' forward,
stride-1 dx and dW, the direct path (``conv_direct``) where the layer suits it, for wide
layers' backward the channels-last rows (``conv_rows``; their dx on the packed panels where it pays,
``conv_rows_packed``), for wide layers' channel-major forward and dx the packed panels (``conv_packed``), else the
one-call im2col + GEMM loop (``conv_gemm``), else the reference's loop."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import gemm_kernel, microkernel, numpy_kernels, turn_kernel
from ..threadpool import NOT_READY
from .conv_depthwise import depthwise_backward, depthwise_fits, depthwise_forward
from .conv_direct import (
    conv_dw_tiles,
    conv_tiles,
    direct_dw_fits,
    direct_dx_fits,
    direct_dx_pays,
    direct_fits,
    wide_plane_fits,
)
from .conv_gemm import LoopShape, backward_loop, check_chunks, forward_loop, gemm_routine, one_call_loop_fits
from .conv_implicit import chunk_samples, conv_implicit, implicit_dw_fits, implicit_fits, weight_grad_implicit
from .conv_implicit_taps import taps_kernel
from .conv_packed import forward_packed, input_grad_packed, packed_fits
from .conv_rows import backward_rows, padded_size, rows_dx_fits, rows_fits
from .conv_rows_packed import backward_rows_packed, rows_packed_fits
from .layout import Pair, flat


def conv2d_forward_chunks(
    x: Any, w: Any, b: Any, y: Any, start: int, stop: int, step: int, col_buf: Any, y_buf: Any, groups: int,
    kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, ready: Any = None,
    ready_value: int = 0,
) -> None:
    """As the reference (y[start:stop] written), in one call without the GIL; that call writes
    ``ready[:] = ready_value``."""
    N, C, H, W = x.shape
    O, kg = w.shape[0], w.shape[1] * w.shape[2] * w.shape[3]
    L = out_size[0] * out_size[1]
    check_chunks(
        "conv2d_forward_chunks", x.dtype,
        {"w": (w, (O, C // groups, *kernel_size)), "b": (b, (O,)), "y": (y, (N, O, *out_size))},
        {"col_buf": (col_buf, C * kernel_size[0] * kernel_size[1] * step * L), "y_buf": (y_buf, O * step * L)},
        (start, stop, step, N),
    )
    ready = NOT_READY if ready is None else ready
    bias = np.empty(0, x.dtype) if b is None else flat(b)
    if depthwise_fits((C, O), groups, x.dtype) and y.flags.c_contiguous:
        depthwise_forward(flat(x), flat(w), bias, b is not None, y.reshape(-1), start, stop, C, H, W, *kernel_size,
                          *stride, *padding, *dilation, *out_size, ready, ready_value)
        return
    gather, gmr, gnr = gemm_kernel.panel_kernel(x.dtype, gather=True)
    turn = turn_kernel.turn_kernel(x.dtype)[0]
    if gather is not None and turn is not None and implicit_fits((C, O), groups, kernel_size, stride, gnr) and (
            y.flags.c_contiguous):
        hp, wp = padded_size(LoopShape(groups, O, C, H, W, *kernel_size, *stride, *padding, *dilation, *out_size))
        conv_implicit(gather, gmr, gnr, turn, flat(x), flat(w), bias, b is not None, y.reshape(-1), start, stop,
                      False, C, H, W, O, *kernel_size, *stride, *padding, *dilation, *out_size, hp, wp,
                      chunk_samples(hp, wp, C, out_size[0] * out_size[1], O, x.itemsize, gmr), ready, ready_value,
                      *taps_kernel(x.dtype))
        return
    tile, lanes = microkernel.output_block_kernel(x.dtype)
    wide_plane = wide_plane_fits(out_size, kernel_size, lanes)
    if tile is not None and direct_fits((C, O), groups, stride, dilation, kernel_size, wide_plane) and (
            y.flags.c_contiguous):
        conv_tiles(tile, lanes, flat(x), flat(w), bias, b is not None, y.reshape(-1), start, stop, C, H, W, O,
                   *kernel_size, *stride, *padding, *out_size, ready, ready_value)
        return
    shape = LoopShape(groups, O, C, H, W, *kernel_size, *stride, *padding, *dilation, *out_size)
    panel, mr, nr = gemm_kernel.panel_kernel(x.dtype)
    chunks = -(-(stop - start) // step)
    if panel is not None and packed_fits((C, O), groups, kernel_size, step * L, nr, chunks) and (
            y.flags.c_contiguous):
        forward_packed(panel, mr, nr, flat(x), flat(w), bias, b is not None, y.reshape(-1), start, stop, step,
                       col_buf.reshape(-1), y_buf.reshape(-1), shape, ready, ready_value)
        return
    gemm = gemm_routine(x.dtype)
    if not one_call_loop_fits(gemm, y, O // groups, kg, L):
        numpy_kernels.conv2d_forward_chunks(
            x, w, b, y, start, stop, step, col_buf, y_buf, groups, kernel_size, stride, padding, dilation, out_size,
            ready, ready_value,
        )
        return
    one, zero = x.dtype.type(1), x.dtype.type(0)
    forward_loop(
        gemm, one, zero, flat(x), flat(w), bias, b is not None, y.reshape(-1), start, stop, step, col_buf.reshape(-1),
        y_buf.reshape(-1), shape, ready, ready_value,
    )


def conv2d_backward_chunks(
    g: Any, x: Any, w: Any, dx: Any, x_shape: tuple, start: int, stop: int, step: int, g_buf: Any, col_buf: Any,
    groups: int, need_b: bool, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
    ready: Any = None, ready_value: int = 0,
) -> tuple[Any, Any]:
    """As the reference (dx[start:stop] written; the float64 sums for dW and db returned), in one call without the
    GIL; that call writes ``ready[:] = ready_value``."""
    N, O = g.shape[:2]
    C, L = x_shape[1], out_size[0] * out_size[1]
    kg = C // groups * kernel_size[0] * kernel_size[1]
    check_chunks(
        "conv2d_backward_chunks", g.dtype,
        {"g": (g, (x_shape[0], O, *out_size)), "x": (x, x_shape), "w": (w, (O, C // groups, *kernel_size)),
         "dx": (dx, x_shape)},
        {"g_buf": (g_buf, O * step * L), "col_buf": (col_buf, C * kernel_size[0] * kernel_size[1] * step * L)},
        (start, stop, step, N),
    )
    if depthwise_fits((C, O), groups, g.dtype) and (dx is None or dx.flags.c_contiguous):
        return _depthwise_backward(g, x, w, dx, x_shape, start, stop, need_b, kernel_size, stride, padding, dilation,
                                   out_size, ready, ready_value)
    gemm = gemm_routine(g.dtype)
    if not one_call_loop_fits(gemm, dx, O // groups, kg, L):
        return numpy_kernels.conv2d_backward_chunks(
            g, x, w, dx, x_shape, start, stop, step, g_buf, col_buf, groups, need_b,
            kernel_size, stride, padding, dilation, out_size, ready, ready_value,
        )
    db = np.zeros(O) if need_b else None
    empty = np.empty(0, g.dtype)
    ready = NOT_READY if ready is None else ready
    shape = LoopShape(groups, O, *x_shape[1:], *kernel_size, *stride, *padding, *dilation, *out_size)
    tile, lanes = microkernel.output_block_kernel(g.dtype)
    dots, dot_lanes = microkernel.weight_grad_kernel(g.dtype)
    (kh, kw), (pt, pl) = kernel_size, padding
    gather, gmr, gnr = gemm_kernel.panel_kernel(g.dtype, gather=True)
    turn = turn_kernel.turn_kernel(g.dtype)[0]
    dx_implicit = (dx is not None and gather is not None and turn is not None and stride == (1, 1)
                   and dilation == (1, 1) and implicit_fits((O, C), groups, kernel_size, stride, gnr)
                   and dx.flags.c_contiguous)
    dx_tiles = dx is not None and not dx_implicit and tile is not None and direct_dx_fits(
        (C, O), groups, stride, dilation, kernel_size, padding, wide_plane_fits(x_shape[2:], kernel_size, lanes)
    ) and direct_dx_pays(x_shape[2:], out_size, kernel_size)
    gboth, _, gbnr = gemm_kernel.panel_kernel(g.dtype, gather=True, gather_b=True)
    dw_implicit = (x is not None and gboth is not None and turn is not None
                   and implicit_dw_fits((C, O), groups, kernel_size, stride, gbnr))
    dw_tiles = x is not None and not dw_implicit and dots is not None and direct_dw_fits(
        (C, O), groups, stride, dilation, kernel_size, wide_plane_fits(out_size, kernel_size, lanes))
    dw_rows = x is not None and not (dw_tiles or dw_implicit) and rows_fits((C, O), groups, kernel_size)
    dx_rows = dx is not None and not (dx_tiles or dx_implicit) and rows_dx_fits((C, O), groups, kernel_size, stride)
    dw = np.zeros((groups, O // groups, kg)) if x is not None and not (dw_rows or dw_implicit) else None
    chunks = -(-(stop - start) // step)  # the GEMMs a share makes of each product
    panel, mr, nr = gemm_kernel.panel_kernel(g.dtype)
    if dw_tiles:  # dW and db by the dot kernel; the chunk loop below then only makes dx, if it does
        conv_dw_tiles(dots, dot_lanes, flat(g), flat(x), dw.reshape(-1), np.empty(0) if db is None else db,
                      need_b, start, stop, C, *x_shape[2:], O, kh, kw, *stride, pt, pl, *out_size, ready, ready_value)
        ready = NOT_READY  # signalled: the calls below signal nothing
    if dw_implicit:  # dW (on (O, kh, kw, C) axes, handed on as a view) and db
        dw_last = np.zeros((O, kh, kw, C))
        hp, wp = padded_size(shape)
        weight_grad_implicit(gboth, gmr, gbnr, turn, flat(g), flat(x), dw_last.reshape(-1),
                             np.empty(0) if db is None else db, need_b, start, stop, C, *x_shape[2:], O, kh, kw,
                             *stride, pt, pl, *dilation, *out_size, hp, wp,
                             chunk_samples(hp, wp, C, out_size[0] * out_size[1], O, g.dtype.itemsize, gmr), 0, O,
                             ready, ready_value)
        ready = NOT_READY
        dw = dw_last.transpose(0, 3, 1, 2)
    if dw_rows or dx_rows:  # on channels-last rows, db too; dW on (O, kh, kw, C) axes, handed on as a view
        dw_last = np.zeros((O, kh, kw, C)) if dw_rows else np.empty((0, 0, 0, 0))
        operands = (flat(g), flat(x) if dw_rows else empty, dw_rows, flat(w) if dx_rows else empty,
                    dx.reshape(-1) if dx_rows else empty, dx_rows, dw_last.reshape(-1),
                    np.empty(0) if db is None else db, need_b and not dw_implicit, start, stop, step, g_buf.reshape(-1),
                    col_buf.reshape(-1), shape, *padded_size(shape), ready, ready_value)
        if dx_rows and panel is not None and rows_packed_fits((C, O), groups, kernel_size, nr, chunks):
            backward_rows_packed(panel, mr, nr, gemm, g.dtype.type(1), g.dtype.type(0), *operands)
        else:
            backward_rows(gemm, g.dtype.type(1), g.dtype.type(0), *operands)
        ready = NOT_READY
        dw = dw_last.transpose(0, 3, 1, 2) if dw_rows else dw
    dx_packed = (dx is not None and not (dx_tiles or dx_rows or dx_implicit) and panel is not None
                 and packed_fits((C, O), groups, kernel_size, step * L, nr, chunks))
    if dx_packed:  # Wᵀ @ g on the packed panels, then col2im
        input_grad_packed(panel, mr, nr, flat(g), flat(w), dx.reshape(-1), start, stop, step, g_buf.reshape(-1),
                          col_buf.reshape(-1), shape, ready, ready_value)
        ready = NOT_READY
    x_left = x is not None and not (dw_tiles or dw_rows or dw_implicit)
    dx_left = dx is not None and not (dx_tiles or dx_rows or dx_packed or dx_implicit)
    b_left = need_b and not (dw_tiles or dw_rows or dx_rows or dw_implicit)
    if x_left or b_left or dx_left:
        backward_loop(
            gemm, g.dtype.type(1), g.dtype.type(0), flat(g), flat(x) if x_left else empty, x_left,
            empty if w is None else flat(w), dx.reshape(-1) if dx_left else empty, dx_left,
            dw.reshape(-1) if x_left else np.empty(0), np.empty(0) if db is None else db, b_left,
            np.empty(O * kg, g.dtype), start, stop, step, g_buf.reshape(-1), col_buf.reshape(-1), shape, ready,
            ready_value,
        )
        ready = NOT_READY
    if dx_tiles:  # dx is g convolved with W's channels swapped and taps flipped, padded by k - 1 - p
        flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(-1)
        conv_tiles(tile, lanes, flat(g), flipped, empty, False, dx.reshape(-1), start, stop, O, *out_size, C, kh, kw,
                   1, 1, kh - 1 - pt, kw - 1 - pl, *x_shape[2:], ready, ready_value)
    if dx_implicit:  # g convolved with W's channels swapped and taps flipped, padded by k - 1 - p
        H, W = x_shape[2:]
        hp, wp = H + kh - 1, W + kw - 1
        conv_implicit(gather, gmr, gnr, turn, flat(g), flat(w), empty, False, dx.reshape(-1), start, stop, True, O,
                      *out_size, C, kh, kw, 1, 1, kh - 1 - pt, kw - 1 - pl, 1, 1, H, W, hp, wp,
                      chunk_samples(hp, wp, O, H * W, C, g.dtype.itemsize, gmr), ready, ready_value,
                      *taps_kernel(g.dtype))
    return dw, db


def _depthwise_backward(
    g: Any, x: Any, w: Any, dx: Any, x_shape: tuple, start: int, stop: int, need_b: bool, kernel_size: Pair,
    stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, ready: Any, ready_value: int,
) -> tuple[Any, Any]:
    """``conv2d_backward_chunks`` for a depthwise layer (``depthwise_fits``): dx[start:stop] written where dx is
    given, the float64 sums for dW (when x is given; (C, 1, kh·kw)) and db (when ``need_b``) returned."""
    C = x_shape[1]
    empty = np.empty(0, g.dtype)
    dw = np.zeros(C * kernel_size[0] * kernel_size[1]) if x is not None else None
    db = np.zeros(C) if need_b else None
    depthwise_backward(
        flat(g), empty if x is None else flat(x), x is not None, empty if dx is None else flat(w),
        empty if dx is None else dx.reshape(-1), dx is not None, np.empty(0) if dw is None else dw,
        np.empty(0) if db is None else db, need_b, start, stop, *x_shape[1:], *kernel_size, *stride, *padding,
        *dilation, *out_size, NOT_READY if ready is None else ready, ready_value,
    )
    return (None if dw is None else dw.reshape(C, 1, -1)), db
