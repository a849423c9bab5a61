"""3-d max pooling's forward compiled: each window's max and flat argmax in one pass over its taps (the reference in
``ops/pool3d._window_max`` gathers the whole output once per tap, 27 gathers and selects for a 3×3×3 window).

Windows are products of per-axis taps ``t (out_i, K_i)``, -1 where a tap falls outside the input. torch's loop:
start at -inf on the window's first tap inside the input, move on a greater value or a NaN (so the last NaN wins),
taps in (d, h, w) order; the index is flat into D·H·W.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)
def _window_max(x, td, th, tw, y, idx):  # pragma: no cover - compiled
    # x (P, D, H, W) planes; y, idx (P, OD, OH, OW)
    H, W = x.shape[2], x.shape[3]
    neg_inf = x.dtype.type(-np.inf)
    for p in range(x.shape[0]):
        for od in range(td.shape[0]):
            for oh in range(th.shape[0]):
                for ow in range(tw.shape[0]):
                    best, at, first = neg_inf, -1, -1
                    for kd in range(td.shape[1]):
                        d = td[od, kd]
                        if d < 0:
                            continue
                        for kh in range(th.shape[1]):
                            h = th[oh, kh]
                            if h < 0:
                                continue
                            for kw in range(tw.shape[1]):
                                w = tw[ow, kw]
                                if w < 0:
                                    continue
                                flat = (d * H + h) * W + w
                                first = flat if first < 0 else first
                                v = x[p, d, h, w]
                                if v > best or v != v:
                                    best, at = v, flat
                    y[p, od, oh, ow] = best
                    idx[p, od, oh, ow] = at if at >= 0 else first


def window_max_3d(x: Any, taps: list) -> tuple[Any, Any]:
    """x (N, C, D, H, W) float32/float64, taps [(OD, KD), (OH, KH), (OW, KW)] → (y, flat argmax int64), each
    (N, C, OD, OH, OW)."""
    n, c = x.shape[:2]
    td, th, tw = (np.ascontiguousarray(t, dtype=np.int64) for t in taps)
    out = (n * c, td.shape[0], th.shape[0], tw.shape[0])
    y, idx = np.empty(out, x.dtype), np.empty(out, np.int64)
    _window_max(np.ascontiguousarray(x).reshape(n * c, *x.shape[2:]), td, th, tw, y, idx)
    return y.reshape(n, c, *out[1:]), idx.reshape(n, c, *out[1:])
