"""Depthwise convolution (groups == in_channels == out_channels: MobileNet's, EfficientNet's, ShuffleNet's), one
(sample, channel) plane at a time, a row of outputs at a time.

A depthwise layer has a single input channel per output channel, so im2col + GEMM multiplies (1 × kh·kw) by
(kh·kw × OH·OW) per channel: a GEMM too thin to pay for building its columns. Here each tap (i, j) of output row r
is one multiply-add of a run of the input row r·sh + i·dh - pt, over the outputs whose column lies inside the
input (``valid_range``, computed once per tap and row): no padding is built, no bounds test runs per pixel, and at
stride 1 the runs are contiguous, so the loops vectorise.

- forward: y[n, c, r, q] = b[c] + Σ_{i, j} w[c, i, j] · x[n, c, r·sh + i·dh - pt, q·sw + j·dw - pl]
- dx (the transposed convolution): each g[n, c, r, q] goes back through tap (i, j) to the pixel it read,
  dx[n, c, r·sh + i·dh - pt, q·sw + j·dw - pl] += w[c, i, j] · g[n, c, r, q], a plane zeroed first
- dW[c, i, j] = Σ_{n, r, q} g · x at that pixel, db[c] = Σ_{n, r, q} g: per plane, each tap's products are added
  into a row of float64 sums (one per output column, so the adds vectorise without reassociating), then the row is
  summed in order into the share's float64 total: the result does not depend on the threads, and float32 inputs
  lose nothing to a float32 accumulator.

The backward makes dx, dW and db in one pass over g, each only where asked for.
"""

from __future__ import annotations

from typing import Any

from numba import njit
from numpy import float64, zeros

from ..handoff import signal
from .layout import Pair, unsigned, valid_range

USE_DEPTHWISE = True  # False: depthwise layers take the grouped im2col + GEMM path (tests compare the two)


def depthwise_fits(channels: Pair, groups: int, dtype: Any) -> bool:
    """Whether a layer of (in, out) ``channels`` in ``groups`` takes this path: one channel per group in and out
    (a channel multiplier above 1 keeps the grouped GEMM), more than one group, float32 or float64."""
    C, O = channels
    return USE_DEPTHWISE and groups > 1 and C == O == groups and dtype.kind == "f" and dtype.itemsize in (4, 8)


@njit(cache=True, nogil=True)
def depthwise_forward(x, w, b, has_b, y, start, stop, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, ready,
                      ready_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (C, kh·kw), b: (C,) (empty without a bias), y: (N, C, oh, ow), all flat; samples
    # [start, stop)
    signal(ready, ready_value)
    K = kh * kw
    for n in range(start, stop):
        for c in range(C):
            xc, yc = (n * C + c) * H * W, (n * C + c) * oh * ow
            for r in range(oh):
                dst = unsigned(yc + r * ow)
                if has_b:
                    bc = b[c]
                    for q in range(unsigned(ow)):
                        y[dst + q] = bc
                else:
                    for q in range(unsigned(ow)):
                        y[dst + q] = 0
                for i in range(kh):
                    xr = r * sh + i * dh - pt
                    if xr < 0 or xr >= H:
                        continue
                    for j in range(kw):
                        off = j * dw - pl
                        lo, hi = valid_range(ow, off, sw, W)
                        wt = w[c * K + i * kw + j]
                        src, out = unsigned(xc + xr * W + lo * sw + off), dst + unsigned(lo)
                        if sw == 1:
                            for q in range(unsigned(hi - lo)):
                                y[out + q] += wt * x[src + q]
                        else:
                            step = unsigned(sw)
                            for q in range(unsigned(hi - lo)):
                                y[out + q] += wt * x[src + q * step]


@njit(cache=True, nogil=True)
def depthwise_backward(g, x, has_x, w, dx, has_dx, dw_sum, db_sum, need_b, start, stop, C, H, W, kh, kw, sh, sw,
                       pt, pl, dh, dw, oh, ow, ready, ready_value):  # pragma: no cover - compiled
    # g: (N, C, oh, ow), x: (N, C, H, W) (when has_x), w: (C, kh·kw) and dx: (N, C, H, W) (when has_dx), all flat;
    # dw_sum: float64 (C, kh·kw) and db_sum: float64 (C,), added to; samples [start, stop)
    signal(ready, ready_value)
    K = kh * kw
    rows = zeros(K * ow, float64)  # one plane's dW products, per tap and output column
    brow = zeros(ow, float64)  # one plane's g, per output column
    for n in range(start, stop):
        for c in range(C):
            xc, gc = (n * C + c) * H * W, (n * C + c) * oh * ow
            if has_dx:
                for p in range(unsigned(xc), unsigned(xc + H * W)):
                    dx[p] = 0
            for r in range(oh):
                grow = unsigned(gc + r * ow)
                if need_b:
                    for q in range(unsigned(ow)):
                        brow[q] += g[grow + q]
                for i in range(kh):
                    xr = r * sh + i * dh - pt
                    if xr < 0 or xr >= H:
                        continue
                    for j in range(kw):
                        off = j * dw - pl
                        lo, hi = valid_range(ow, off, sw, W)
                        at, gq = unsigned(xc + xr * W + lo * sw + off), grow + unsigned(lo)
                        acc = unsigned((i * kw + j) * ow + lo)
                        step = unsigned(sw)
                        if has_dx:
                            wt = w[c * K + i * kw + j]
                            if sw == 1:
                                for q in range(unsigned(hi - lo)):
                                    dx[at + q] += wt * g[gq + q]
                            else:
                                for q in range(unsigned(hi - lo)):
                                    dx[at + q * step] += wt * g[gq + q]
                        if has_x:
                            if sw == 1:
                                for q in range(unsigned(hi - lo)):
                                    rows[acc + q] += float64(g[gq + q]) * float64(x[at + q])
                            else:
                                for q in range(unsigned(hi - lo)):
                                    rows[acc + q] += float64(g[gq + q]) * float64(x[at + q * step])
            if has_x:
                for t in range(K):
                    s = 0.0
                    for q in range(t * ow, (t + 1) * ow):
                        s += rows[q]
                        rows[q] = 0.0
                    dw_sum[c * K + t] += s
            if need_b:
                s = 0.0
                for q in range(ow):
                    s += brow[q]
                    brow[q] = 0.0
                db_sum[c] += s
