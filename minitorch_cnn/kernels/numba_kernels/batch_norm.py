"""BatchNorm's forward and backward compiled, a channel per task, threads splitting the channels.

A channel is N runs of L contiguous values. Its sums run in float64, and only they are compiled with one
fastmath flag, "reassoc": it lets LLVM keep partial sums in vector lanes (float64 sums of float32 data stay
as accurate; NaN and infinity handling is untouched). The lane order is fixed when compiled, so both
compilations of a kernel give the same bits. The outputs' per-element arithmetic is done in float64 without
fastmath and rounded once when stored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from ..handoff import signal
from .layout import flat, unsigned
from .parallel import run_over_range

_REASSOC = {"reassoc"}


@njit(cache=True, fastmath=_REASSOC)
def _channel_sum(a, c, N, C, L):  # pragma: no cover - compiled
    """Σ a over channel c, in float64."""
    s = 0.0
    for n in range(N):
        p = unsigned((n * C + c) * L)
        for k in range(unsigned(L)):
            s += np.float64(a[p + k])
    return s


@njit(cache=True, fastmath=_REASSOC)
def _centered_sums(a, b, c, N, C, L, ma, mb):  # pragma: no cover - compiled
    """(Σ (a - ma), Σ (a - ma)·(b - mb)) over channel c, in float64."""
    s = t = 0.0
    for n in range(N):
        p = unsigned((n * C + c) * L)
        for k in range(unsigned(L)):
            d = np.float64(a[p + k]) - ma
            s += d
            t += d * (np.float64(b[p + k]) - mb)
    return s, t


@njit(parallel=True, cache=True)
def _bn_forward(x, y, mean, var, w, b, eps, N, C, L, c0, c1, batch_stats, ready, ready_value):  # pragma: no cover
    # x, y: (N, C, L) flat; mean, var, w, b: (C,) float64
    signal(ready, ready_value)
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
            base = unsigned((k * C + c) * L)
            for j in range(unsigned(L)):
                y[base + j] = (np.float64(x[base + j]) - m) * scale + shift


def batch_norm_forward(x: Any, weight: Any, bias: Any, mean: Any, var: Any, eps: float) -> tuple[Any, Any, Any]:
    """x: (N, C, L) → (y, mean, var), y = (x - mean) / √(var + eps) · weight + bias; None stats: the batch's."""
    N, C, L = x.shape
    batch_stats = mean is None
    mean = np.empty(C) if batch_stats else np.ascontiguousarray(mean, dtype=np.float64)
    var = np.empty(C) if batch_stats else np.ascontiguousarray(var, dtype=np.float64)
    w = np.ones(C) if weight is None else weight.astype(np.float64)
    b = np.zeros(C) if bias is None else bias.astype(np.float64)
    y = np.empty((N, C, L), dtype=x.dtype)
    head = (flat(x), y.reshape(-1), mean, var, w, b, float(eps), N, C, L)
    run_over_range(_bn_forward, x.size, C, head, (batch_stats,))
    return y, mean, var


@njit(parallel=True, cache=True)
def _bn_backward(g, x, dx, mean, var, w, eps, N, C, L, c0, c1, batch_stats, need_x, sum_g, sum_gx, ready,
                 ready_value):  # pragma: no cover - compiled
    # g, x, dx: (N, C, L) flat; mean, var, w, sum_g, sum_gx: (C,) float64
    signal(ready, ready_value)
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
                base = unsigned((k * C + c) * L)
                for j in range(unsigned(L)):
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
    head = (flat(g), flat(x), dx.reshape(-1), mean, var, w, float(eps), N, C, L)
    run_over_range(_bn_backward, g.size, C, head, (batch_stats, need_x, sum_g, sum_gx))
    return (dx if need_x else None), sum_g, sum_gx
