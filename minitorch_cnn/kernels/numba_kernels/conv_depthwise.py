"""Depthwise convolution (groups == in_channels == out_channels: MobileNet's, EfficientNet's, ShuffleNet's), one
(sample, channel) plane at a time.

A depthwise layer has a single input channel per output channel, so im2col + GEMM multiplies (1 × kh·kw) by
(kh·kw × OH·OW) per channel: a GEMM too thin to pay for building its columns. Here each plane is padded into a
buffer laid out as stride phases (``conv_direct._pad_sample``, as for the narrow layers: at stride s, padded
pixel (r, q) goes to phase plane (r % s, q % s) at (r // s, q // s)), on whose row pitch Wq every tap's inputs for
all the plane's outputs are one contiguous run: a tap is one multiply-add over M = (OH - 1)·Wq + OW positions (the
columns past OW are computed and dropped), with no bounds test per pixel, and the loops vectorise at any stride,
padding and dilation.

- forward: y[n, c] = b[c] + Σ_{i, j} w[c, i, j] · x_pad[n, c, r·sh + i·dh, q·sw + j·dw], tap by tap
- dx (the transposed convolution): each tap adds w[c, i, j] · g (g on the pitch, zeros past OW) back onto the run
  it read, into a zeroed padded buffer, whose interior is then dx's plane
- dW[c, i, j] = Σ_{n, r, q} g · x_pad at tap (i, j), db[c] = Σ g: each tap's products are added into a float64 row,
  one sum per position, over the share's samples (the adds vectorise without reassociating), then each row is
  summed in order: the result does not depend on the threads, and float32 inputs lose nothing to a float32
  accumulator.

The backward makes dx, dW and db in one pass over g, each only where asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from ..handoff import signal
from .conv_direct import _pad_sample
from .layout import Pair, unsigned

USE_DEPTHWISE = True  # False: depthwise layers take the grouped im2col + GEMM path (tests compare the two)


def depthwise_fits(channels: Pair, groups: int, dtype: Any) -> bool:
    """Whether a layer of (in, out) ``channels`` in ``groups`` takes this path: one channel per group in and out
    (a channel multiplier above 1 keeps the grouped GEMM), more than one group, float32 or float64."""
    C, O = channels
    return USE_DEPTHWISE and groups > 1 and C == O == groups and dtype.kind == "f" and dtype.itemsize in (4, 8)


@njit(cache=True, inline="always")
def _geometry(kh, kw, sh, sw, dh, dw, oh, ow):  # pragma: no cover - compiled
    """The padded plane the windows read (Hp, Wp), a phase plane (Hq, Wq), the outputs on the phases' pitch M,
    and each tap's start in the phases (``conv_direct._pad_sample``): tap (i, j) of output m (row m // Wq,
    column m % Wq) reads phases[offs[i·kw + j] + m]."""
    Hp, Wp = (oh - 1) * sh + (kh - 1) * dh + 1, (ow - 1) * sw + (kw - 1) * dw + 1
    Hq, Wq = (Hp + sh - 1) // sh, (Wp + sw - 1) // sw
    offs = np.empty(kh * kw, np.int64)
    for i in range(kh):
        for j in range(kw):
            u, v = i * dh % sh, j * dw % sw
            offs[i * kw + j] = ((u * sw + v) * Hq + i * dh // sh) * Wq + j * dw // sw
    return Hp, Wp, Hq, Wq, (oh - 1) * Wq + ow, offs


@njit(cache=True, inline="always")
def _phase_runs(r, c0, c1, v, sh, sw, Hq, Wq):  # pragma: no cover - compiled
    """Padded row r's columns c0 <= q < c1 with q % sw == v: where they start in the phases, the first such q,
    and how many."""
    q0 = c0 + (v - c0) % sw
    return ((r % sh * sw + v) * Hq + r // sh) * Wq + q0 // sw, q0, max(0, (c1 - q0 + sw - 1) // sw)


@njit(cache=True, inline="always")
def _from_phases(dxp, dx, s0, H, W, pt, pl, Hp, Wp, sh, sw, Hq, Wq):  # pragma: no cover - compiled
    """The reverse of ``_pad_sample`` into dx[s0:s0 + H·W]: input pixels outside the padded plane (which no window
    reads) get 0."""
    for p in range(unsigned(s0), unsigned(s0 + H * W)):
        dx[p] = 0
    r0, r1, c0, c1 = max(0, pt), min(Hp, pt + H), max(0, pl), min(Wp, pl + W)
    for r in range(r0, r1):
        dst = s0 + (r - pt) * W - pl
        for v in range(sw):
            src, q0, cnt = _phase_runs(r, c0, c1, v, sh, sw, Hq, Wq)
            at, d = unsigned(dst + q0), unsigned(src)
            step = unsigned(sw)
            for q in range(unsigned(cnt)):
                dx[at + q * step] = dxp[d + q]


@njit(cache=True, nogil=True)
def depthwise_forward(x, w, b, has_b, y, start, stop, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, ready,
                      ready_value):  # pragma: no cover - compiled
    # x: (N, C, H, W), w: (C, kh·kw), b: (C,) (empty without a bias), y: (N, C, oh, ow), all flat; samples
    # [start, stop)
    signal(ready, ready_value)
    K = kh * kw
    Hp, Wp, Hq, Wq, M, offs = _geometry(kh, kw, sh, sw, dh, dw, oh, ow)
    xp = np.zeros(sh * sw * Hq * Wq, x.dtype)
    acc = np.empty(M, x.dtype)  # one plane's outputs on the pitch Wq
    for n in range(start, stop):
        for c in range(C):
            # plane (n, c) as a one-channel sample; the kernel size passed is the stride, so that no phase is
            # skipped: with dilation a tap can read phases at or past kh / kw
            _pad_sample(x, xp, n * C + c, 1, H, W, Hp, Wp, pt, pl, sh, sw, sh, sw, Hq, Wq)
            bc = b[c] if has_b else x.dtype.type(0)
            for m in range(unsigned(M)):
                acc[m] = bc
            for t in range(K):
                wt, off = w[c * K + t], unsigned(offs[t])
                for m in range(unsigned(M)):
                    acc[m] += wt * xp[off + m]
            for r in range(oh):
                src, dst = unsigned(r * Wq), unsigned(((n * C + c) * oh + r) * ow)
                for q in range(unsigned(ow)):
                    y[dst + q] = acc[src + q]


@njit(cache=True, nogil=True)
def depthwise_backward(g, x, has_x, w, dx, has_dx, dw_sum, db_sum, need_b, start, stop, C, H, W, kh, kw, sh, sw,
                       pt, pl, dh, dw, oh, ow, ready, ready_value):  # pragma: no cover - compiled
    # g: (N, C, oh, ow), x: (N, C, H, W) (when has_x), w: (C, kh·kw) and dx: (N, C, H, W) (when has_dx), all flat;
    # dw_sum: float64 (C, kh·kw) and db_sum: float64 (C,), added to; samples [start, stop)
    signal(ready, ready_value)
    K = kh * kw
    Hp, Wp, Hq, Wq, M, offs = _geometry(kh, kw, sh, sw, dh, dw, oh, ow)
    P = sh * sw * Hq * Wq
    xp = np.zeros(P if has_x else 0, g.dtype)
    dxp = np.empty(P if has_dx else 0, g.dtype)
    gp = np.zeros(M, g.dtype)  # one plane of g on the pitch Wq, zeros in the columns past ow
    rows = np.zeros(K * M if has_x else 0)  # a channel's dW products over the share, per tap and position
    brow = np.zeros(M if need_b else 0)  # a channel's g over the share, per position
    for c in range(C):
        for n in range(start, stop):
            plane = (n * C + c) * H * W
            for r in range(oh):
                src, dst = unsigned(((n * C + c) * oh + r) * ow), unsigned(r * Wq)
                for q in range(unsigned(ow)):
                    gp[dst + q] = g[src + q]
            if need_b:
                for m in range(unsigned(M)):
                    brow[m] += gp[m]
            if has_x:
                _pad_sample(x, xp, n * C + c, 1, H, W, Hp, Wp, pt, pl, sh, sw, sh, sw, Hq, Wq)
                for t in range(K):
                    off, at = unsigned(offs[t]), unsigned(t * M)
                    for m in range(unsigned(M)):
                        rows[at + m] += np.float64(gp[m]) * np.float64(xp[off + m])
            if has_dx:  # the transposed convolution: each g goes back through every tap to the pixel it read
                for p in range(unsigned(P)):
                    dxp[p] = 0
                for t in range(K):
                    wt, off = w[c * K + t], unsigned(offs[t])
                    for m in range(unsigned(M)):
                        dxp[off + m] += wt * gp[m]
                _from_phases(dxp, dx, plane, H, W, pt, pl, Hp, Wp, sh, sw, Hq, Wq)
        if has_x:
            for t in range(K):
                s = 0.0
                for m in range(t * M, (t + 1) * M):
                    s += rows[m]
                    rows[m] = 0.0
                dw_sum[c * K + t] += s
        if need_b:
            s = 0.0
            for m in range(M):
                s += brow[m]
                brow[m] = 0.0
            db_sum[c] += s
