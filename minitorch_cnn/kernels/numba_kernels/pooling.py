"""Max, adaptive max and average pooling compiled, threads splitting the (sample, channel) planes.

The sums add the taps in row-major order, as the reference does, so they agree with it bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from ..handoff import signal
from .layout import Pair, flat, unsigned, valid_range
from .parallel import run_over_range, threaded_or_serial


@njit(cache=True, inline="always")
def _max_step(v, at, best, at_best):  # pragma: no cover - compiled
    """One tap of a max-pool window: (max, its flat index) after seeing value v at index at, without branches."""
    take = np.int64((v > best) | (v != v))
    return np.maximum(best, v), at_best + take * (at - at_best)


@njit(cache=True, inline="always")
def _max_2x2(x, s, W):  # pragma: no cover - compiled
    """(max, its offset in the window: 0, 1, W or W + 1) of the 2×2 window whose top-left is x[s], by the rule of
    ``_max_step`` run over the four taps in row-major order, played as a tournament: each row's pair, then the
    two winners, the later side winning only when greater or NaN. Same result (a later NaN beats an earlier one,
    ties keep the first), but the two pairs do not wait on each other."""
    v0, v1 = x[s], x[s + 1]
    v2, v3 = x[s + unsigned(W)], x[s + unsigned(W) + 1]
    t1 = (v1 > v0) | (v1 != v1)
    t3 = (v3 > v2) | (v3 != v3)
    m1, m2 = (v1 if t1 else v0), (v3 if t3 else v2)
    if (m2 > m1) | (m2 != m2):
        return m2, W + np.int64(t3)
    return m1, np.int64(t1)


@njit(parallel=True, cache=True)
def _max_pool(x, y, idx, keep, ninf, N, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow, lo, hi, ready,
              ready_value):  # pragma: no cover - compiled
    # x: (N, C, H, W) flat; y, idx: (N, C, oh, ow) flat; ninf: [-inf] in x's dtype; planes [lo, hi) of the N·C.
    # Taps in row-major order. idx is written only when ``keep`` (without it, LLVM drops the index arithmetic).
    # torch: ties keep the first, a NaN always wins. Written without branches (an if mispredicts on every
    # other tap): np.maximum propagates NaN, the index moves by take·(at - at_best).
    signal(ready, ready_value)
    inside = pt == 0 and pl == 0 and dh == 1 and dw == 1 and (oh - 1) * sh + kh <= H and (ow - 1) * sw + kw <= W
    for plane in prange(lo, hi):
        p0 = plane * H * W
        if inside and kh == 2 and kw == 2 and sh == 2 and sw == 2:  # the common 2×2 pool: see ``_max_2x2``
            for a in range(oh):
                o, at = (plane * oh + a) * ow, 2 * a * W
                for b in range(ow):
                    y[unsigned(o + b)], k = _max_2x2(x, unsigned(p0 + at + 2 * b), W)
                    if keep:
                        idx[unsigned(o + b)] = at + 2 * b + k
            continue
        if inside:  # every window wholly inside the input (the usual k = s pools): no bounds tests at all
            for a in range(oh):
                o = (plane * oh + a) * ow
                for b in range(ow):
                    best = ninf[0]
                    at_best = a * sh * W + b * sw
                    for i in range(kh):
                        for j in range(kw):
                            at = (a * sh + i) * W + b * sw + j
                            best, at_best = _max_step(x[unsigned(p0 + at)], at, best, at_best)
                    y[unsigned(o + b)] = best
                    if keep:
                        idx[unsigned(o + b)] = at_best
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
                        best, at_best = _max_step(x[unsigned(p0 + at)], at, best, at_best)
                y[unsigned(o + b)] = best
                if keep:
                    idx[unsigned(o + b)] = at_best


def max_pool2d_forward(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, indices: bool = True
) -> tuple[Any, Any]:
    """x: (N, C, H, W) → (y, indices), both (N, C, OH, OW); indices flat into H·W, torch's tie and NaN rules
    (None without ``indices``: no gradient to route, the maxima alone)."""
    N, C, H, W = x.shape
    y = np.empty((N, C, *out_size), dtype=x.dtype)
    idx = np.empty((N, C, *out_size) if indices else (1,), dtype=np.int64)
    args = (*kernel_size, *stride, *padding, *dilation, *out_size)
    work = y.size * kernel_size[0] * kernel_size[1]
    ninf = np.full(1, -np.inf, dtype=x.dtype)
    run_over_range(_max_pool, work, N * C, (flat(x), y.reshape(-1), idx.reshape(-1), indices, ninf, N, C, H, W,
                                            *args))
    return y, (idx if indices else None)


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
    threaded_or_serial(_adaptive_max_pool, x.size)(np.ascontiguousarray(x), y, idx, *bounds)
    return y, idx


@njit(parallel=True, cache=True)
def _max_pool_backward(g, idx, dx, L, HW, lo, hi, ready, ready_value):  # pragma: no cover - compiled
    # g, idx: (planes, L) flat; dx: (planes, HW) flat; planes [lo, hi)
    signal(ready, ready_value)
    for p in prange(lo, hi):
        d0 = unsigned(p * HW)
        for k in range(unsigned(HW)):
            dx[d0 + k] = 0
        s0 = unsigned(p * L)
        for k in range(unsigned(L)):
            dx[d0 + unsigned(idx[s0 + k])] += g[s0 + k]


def max_pool2d_backward(g: Any, indices: Any, in_size: Pair, unique: bool = False) -> Any:
    """g, indices: (N, C, OH, OW) → dx: (N, C, H, W): each window's gradient added onto its argmax.

    ``unique`` (disjoint windows) needs no special case here: the fused add is as fast as a scatter.
    """
    N, C, oh, ow = g.shape
    H, W = in_size
    dx = np.empty((N, C, H, W), dtype=g.dtype)
    run_over_range(_max_pool_backward, dx.size, N * C, (flat(g), flat(indices), dx.reshape(-1), oh * ow, H * W))
    return dx


# ---- average pooling ------------------------------------------------------------------------------


def _divisors(divisor: Any, out_size: Pair, dtype: Any) -> Any:
    """A number or an array broadcastable to (OH, OW), as a flat (OH·OW,) array of ``dtype``."""
    return flat(np.broadcast_to(np.asarray(divisor, dtype=dtype), out_size))


@njit(parallel=True, cache=True)
def _avg_pool(x, y, div, N, C, H, W, kh, kw, sh, sw, pt, pl, oh, ow):  # pragma: no cover - compiled
    # x: (N, C, H, W) flat; y: (N, C, oh, ow) flat; div: (oh·ow,)
    usw = unsigned(sw)
    for plane in prange(N * C):
        p0 = plane * H * W
        o0 = unsigned(plane * oh * ow)
        for k in range(unsigned(oh * ow)):
            y[o0 + k] = 0
        for i in range(kh):
            a_lo, a_hi = valid_range(oh, i - pt, sh, H)
            for j in range(kw):
                b_lo, b_hi = valid_range(ow, j - pl, sw, W)
                for a in range(a_lo, a_hi):
                    s = unsigned(p0 + (a * sh + i - pt) * W + b_lo * sw + j - pl)
                    d = o0 + unsigned(a * ow + b_lo)
                    for b in range(unsigned(b_hi - b_lo)):
                        y[d + b] += x[s + b * usw]
        for k in range(unsigned(oh * ow)):
            y[o0 + k] /= div[k]


def avg_pool2d_forward(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair, divisor: Any) -> Any:
    """x: (N, C, H, W) → y: (N, C, OH, OW) = (sum of the zero-padded window) / divisor."""
    N, C, H, W = x.shape
    y = np.empty((N, C, *out_size), dtype=x.dtype)
    div = _divisors(divisor, out_size, x.dtype)
    work = y.size * kernel_size[0] * kernel_size[1]
    geometry = (*kernel_size, *stride, *padding, *out_size)
    threaded_or_serial(_avg_pool, work)(flat(x), y.reshape(-1), div, N, C, H, W, *geometry)
    return y


@njit(parallel=True, cache=True)
def _avg_pool_backward(g, dx, div, N, C, H, W, kh, kw, sh, sw, pt, pl, oh, ow):  # pragma: no cover - compiled
    # g: (N, C, oh, ow) flat; dx: (N, C, H, W) flat; every window adds g / divisor (rounded once) to its pixels
    usw = unsigned(sw)
    for plane in prange(N * C):
        p0 = unsigned(plane * H * W)
        o0 = plane * oh * ow
        for k in range(unsigned(H * W)):
            dx[p0 + k] = 0
        for i in range(kh):
            a_lo, a_hi = valid_range(oh, i - pt, sh, H)
            for j in range(kw):
                b_lo, b_hi = valid_range(ow, j - pl, sw, W)
                for a in range(a_lo, a_hi):
                    d = p0 + unsigned((a * sh + i - pt) * W + b_lo * sw + j - pl)
                    s = unsigned(o0 + a * ow + b_lo)
                    t = unsigned(a * ow + b_lo)
                    for b in range(unsigned(b_hi - b_lo)):
                        dx[d + b * usw] += g[s + b] / div[t + b]


def avg_pool2d_backward(g: Any, in_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, divisor: Any) -> Any:
    """g: (N, C, OH, OW) → dx: (N, C, H, W): each window spreads g / divisor over its pixels."""
    N, C, oh, ow = g.shape
    H, W = in_size
    dx = np.empty((N, C, H, W), dtype=g.dtype)
    div = _divisors(divisor, (oh, ow), g.dtype)
    geometry = (*kernel_size, *stride, *padding, oh, ow)
    threaded_or_serial(_avg_pool_backward, dx.size)(flat(g), dx.reshape(-1), div, N, C, H, W, *geometry)
    return dx

