"""Wide layers' backward split over output channels instead of the batch: the phases the schedule runs.

On small planes a wide layer's weights outweigh its activations (512→512 3×3 on 4×4: 9.4 MB of weights, 2 MB
of input), and a batch split makes every thread keep a whole dW of its own, summed across threads afterwards.
Here the threads share one chunk of channels-last rows (``conv_rows``' layout) and each makes its own slice of
the output channels of dW, written in place:

    gather (a slice of the chunk's samples a thread):
        gbuf (O, M) = the chunk's g planes side by side, rows (M, K) = im2row of its x, db[o] += Σ g;
        wk (O, K) = w with its axes turned (O, kh, kw, C), a slice of the output channels a thread, once;
    products (after all threads gathered):
        dW[o0:o1] (O', K) (+)= gbuf[o0:o1] (O', M) @ rows (M, K)      (its slice of the output channels);
        d_rows (m, K) = gbuf[:, its samples]ᵀ (m, O) @ wk (O, K), scattered back into dx (its slice of samples);
        after the last chunk, its dW rows turned from (kh, kw, C) back to (C, kh, kw) into the result.

M = n·OH·OW for the chunk's n samples, K = kh·kw·C. dx goes by samples, not input channels: the GEMM split over
K measured the same, and needs no extra barrier before row2im. dW is summed over the chunks by the GEMMs in the
dtype (beta = 1 after the first chunk), as ``conv_rows`` sums a share's chunks; no thread's sum is added to
another's, so the result does not depend on which thread finished first, and the chunks do not depend on the
thread count. db is summed in float64 per thread, the threads' sums added in order by
the schedule. dx is made only where the padded plane covers the input (``split_fits``): row2im then writes every
input pixel (at stride 1 always; strided layers where the last window reaches the input's last row and column).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from .. import workspace
from ..blas import NO_TRANS, ROW_MAJOR, TRANS
from ..handoff import signal
from .conv_gemm import LoopShape, check_chunks, gemm_routine
from .conv_rows import _from_padded, _im2row, _pack_weights, _row2im, _to_padded, padded_size, rows_fits
from .layout import Pair, flat, unsigned


def split_fits(channels: Pair, groups: int, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
               in_size: Pair, out_size: Pair, dtype: Any, with_dx: bool) -> bool:
    """Whether the backward can run split over output channels: a layer whose dW runs on rows (``rows_fits``:
    ungrouped, wide, not 1×1), NumPy's OpenBLAS GEMM found, and, when dx is asked for, every input pixel inside
    the padded plane the windows read (else row2im would leave some of dx unwritten)."""
    if not rows_fits(channels, groups, kernel_size) or gemm_routine(np.dtype(dtype)) is None:
        return False
    if not with_dx:
        return True
    _, hp, wp = loop_shape((1, channels[0], *in_size), channels[1], kernel_size, stride, padding, dilation, out_size)
    return hp - padding[0] >= in_size[0] and wp - padding[1] >= in_size[1]


def loop_shape(x_shape: tuple, out_channels: int, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
               out_size: Pair) -> tuple[LoopShape, int, int]:
    """(shape, Hp, Wp): the compiled phases' geometry for an ungrouped layer on x of ``x_shape``."""
    shape = LoopShape(1, out_channels, *x_shape[1:], *kernel_size, *stride, *padding, *dilation, *out_size)
    return (shape, *padded_size(shape))


@njit(cache=True, nogil=True)
def gather_rows(g, x, has_x, w, wk, first, pack, db_sum, has_b, n0, s0, s1, o0, o1, gbuf, Mc, rows, xp, shape, Hp,
                Wp, ready, ready_value):  # pragma: no cover - compiled
    # g: (N, O, oh, ow), x: (N, C, H, W), w: (O, C, kh, kw), wk: (O, K), db_sum: float64 (O,), gbuf: (O, Mc),
    # rows: (Mc, K), xp: (at least s1 - s0, Hp, Wp, C), zeroed in the ``first`` chunk (its border never written
    # after); all flat. Samples s0..s1 of the chunk that starts at sample n0 (x's only ``has_x``); with ``pack``,
    # output channels o0..o1 of wk.
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    T, L = kh * kw, oh * ow
    K = T * C
    if first:
        xp[:] = 0
    if pack and o1 > o0:
        _pack_weights(w[o0 * C * T:o1 * C * T], wk[o0 * K:o1 * K], o1 - o0, C, T)
    for s in range(s0, s1):
        for o in range(O):
            src, dst = unsigned((s * O + o) * L), unsigned(o * Mc + (s - n0) * L)
            for k in range(unsigned(L)):
                gbuf[dst + k] = g[src + k]
            if has_b:  # dL/db[o] = Σ g[n, o, :, :], in float64
                a = 0.0
                for k in range(unsigned(L)):
                    a += g[src + k]
                db_sum[o] += a
    if has_x and s1 > s0:
        _to_padded(x, xp, s0, s1 - s0, C, H, W, Hp, Wp, pt, pl)
        _im2row(xp, rows[(s0 - n0) * L * K:], s1 - s0, C, Hp, Wp, kh, kw, sh, sw, dh, dw, oh, ow)


@njit(cache=True, nogil=True)
def split_products(gemm, one, zero, first, last, gbuf, Mc, rows, has_x, dwk, dw_out, o0, o1, wk, has_dx, dx, drows,
                   dxp, n0, s0, s1, shape, Hp, Wp, ready, ready_value):  # pragma: no cover - compiled
    # gbuf: (O, Mc), rows: (Mc, K), dwk: (O, K) and dw_out (O, C, kh, kw) in the dtype, wk: (O, K), dx: (N, C, H,
    # W), drows: ((s1 - s0)·L, K), dxp: (s1 - s0, Hp, Wp, C); all flat. dW rows o0..o1 (summed onto unless
    # ``first``; with ``last``, turned into dw_out's axes), dx of samples s0..s1.
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    L, K = oh * ow, kh * kw * C
    isz = unsigned(gbuf.itemsize)
    if has_x and o1 > o0:  # dL/dW[o0:o1] (O', K) (+)= g[o0:o1] (O', Mc) @ rows (Mc, K)
        gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, o1 - o0, K, Mc, one, gbuf.ctypes.data + unsigned(o0 * Mc) * isz, Mc,
             rows.ctypes.data, K, zero if first else one, dwk.ctypes.data + unsigned(o0 * K) * isz, K)
        if last:  # (O', kh·kw, C) → (O', C, kh·kw): the taps' axis back behind the channels'
            T = kh * kw
            for o in range(o0, o1):
                for t in range(T):
                    src, dst = unsigned((o * T + t) * C), unsigned(o * C * T + t)
                    for c in range(unsigned(C)):
                        dw_out[dst + c * unsigned(T)] = dwk[src + c]
    if has_dx and s1 > s0:  # dL/drows (m, K) = g[:, samples]ᵀ (m, O) @ wk (O, K); scattered back into dx
        n = s1 - s0
        gemm(ROW_MAJOR, TRANS, NO_TRANS, n * L, K, O, one, gbuf.ctypes.data + unsigned((s0 - n0) * L) * isz, Mc,
             wk.ctypes.data, K, zero, drows.ctypes.data, K)
        dxp[: n * Hp * Wp * C] = 0
        _row2im(drows, dxp, n, C, Hp, Wp, kh, kw, sh, sw, dh, dw, oh, ow)
        _from_padded(dxp, dx, s0, n, C, H, W, Hp, Wp, pt, pl)


class BackwardSplit:
    """One backward call split over ``threads`` threads: its buffers and its two phases, each run by the schedule
    on every thread at once (thread ``k`` passing its own ``k``) for every chunk of at most ``step`` samples; then
    ``finish`` hands on dW and the threads' float64 db sums."""

    def __init__(self, g: Any, x: Any, w: Any, dx: Any, x_shape: tuple, need_b: bool, kernel_size: Pair,
                 stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, step: int, threads: int) -> None:
        dtype, O, C = g.dtype, g.shape[1], x_shape[1]
        N = x_shape[0]
        check_chunks("BackwardSplit", dtype, {"g": (g, (N, O, *out_size)), "x": (x, x_shape),
                                              "w": (w, (O, C, *kernel_size)), "dx": (dx, x_shape)}, {},
                     (0, N, step, N))
        if (dx is not None and not dx.flags.c_contiguous) or threads < 1:
            raise ValueError(f"BackwardSplit: dx must be C-contiguous and threads at least 1, got threads={threads}")
        self.shape, self.Hp, self.Wp = loop_shape(x_shape, O, kernel_size, stride, padding, dilation, out_size)
        L, K, plane = out_size[0] * out_size[1], C * kernel_size[0] * kernel_size[1], self.Hp * self.Wp * C
        per_thread = -(-step // threads)  # the most samples a thread takes of a chunk
        empty = np.empty(0, dtype)
        self.g, self.x = flat(g), empty if x is None else flat(x)
        self.w = empty if dx is None else flat(w)
        self.dx = empty if dx is None else dx.reshape(-1)
        self.has_x, self.has_dx, self.need_b = x is not None, dx is not None, need_b
        self.N, self.step = g.shape[0], step
        self.gemm, self.one, self.zero = gemm_routine(dtype), dtype.type(1), dtype.type(0)
        self.taken: list = []
        self.gbuf = self._take(O * step * L, g)
        self.rows = self._take(step * L * K, g) if self.has_x else empty
        self.wk = self._take(O * K, g) if self.has_dx else empty
        self.dwk = self._take(O * K, g) if self.has_x else empty
        self.dw = np.empty((O, C, *kernel_size) if self.has_x else 0, dtype)
        self.xp = [self._take(per_thread * plane, g) if self.has_x else empty for _ in range(threads)]
        self.drows = [self._take(per_thread * L * K, g) if self.has_dx else empty for _ in range(threads)]
        self.dxp = [self._take(per_thread * plane, g) if self.has_dx else empty for _ in range(threads)]
        self.db = [np.zeros(O if need_b else 0) for _ in range(threads)]

    def _take(self, size: int, like: Any) -> Any:
        buf = workspace.take((size,), like.dtype, like)
        self.taken.append(buf)
        return buf

    def gather(self, k: int, n0: int, samples: Pair, channels: Pair, ready: Any, job: int) -> None:
        """Thread ``k``: gbuf and rows of ``samples`` (of the chunk starting at ``n0``), their db; in the first
        chunk, wk's ``channels``."""
        gather_rows(self.g, self.x, self.has_x, self.w, self.wk, n0 == 0, n0 == 0 and self.has_dx, self.db[k],
                    self.need_b, n0, *samples, *channels, self.gbuf, self._chunk_pixels(n0), self.rows, self.xp[k],
                    self.shape, self.Hp, self.Wp, ready, job)

    def products(self, k: int, n0: int, samples: Pair, channels: Pair, ready: Any, job: int) -> None:
        """Thread ``k``: dW's ``channels`` (summed onto the earlier chunks'), dx of ``samples``."""
        split_products(self.gemm, self.one, self.zero, n0 == 0, n0 + self.step >= self.N, self.gbuf,
                       self._chunk_pixels(n0), self.rows, self.has_x, self.dwk, self.dw.reshape(-1), *channels,
                       self.wk, self.has_dx, self.dx, self.drows[k], self.dxp[k], n0, *samples, self.shape, self.Hp,
                       self.Wp, ready, job)

    def _chunk_pixels(self, n0: int) -> int:
        return (min(self.N, n0 + self.step) - n0) * self.shape.oh * self.shape.ow

    def finish(self) -> tuple[Any, list]:
        """(dW (O, C, kh, kw) in the dtype, or None; the threads' float64 db sums, or None), the buffers given
        back."""
        for buf in self.taken:
            workspace.give(buf)
        self.taken = []
        return (self.dw if self.has_x else None), (self.db if self.need_b else None)

