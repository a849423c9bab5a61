"""The implicit GEMM's layout turns by blocks (``turn_kernel``): planes to padded channels-last pixels, and
result rows back to planes.

- ``to_padded``: samples n0..n0+n of x (N, C, H, W) into xp (n, Hp, Wp, C) at (pt, pl), xp's border left as it
  is: xp[s, pt + a, pl + q, c] = x[n0 + s, c, a, q] (rows narrower than V by ``conv_rows._to_padded``).
- ``rows_to_planes``: y[n0 + s, o, l] = rows[pos[s·L + l], o] (+ b[o]) for the n samples' L pixels.

Both move V × V blocks (V channels × V pixels of a plane row, V = one 512-bit vector of the dtype) through the
block transpose and the rest (planes narrower than V, the last pixels of a row or plane, channels past the last
whole block) value by value, as the loops they replace (``conv_rows._to_padded``, ``conv_implicit``'s turn back)
did everywhere. Copies: the same values as those loops, bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .conv_rows import _to_padded
from .layout import unsigned


@njit(cache=True, inline="always")
def to_padded(turn, x, xp, n0, n, C, H, W, Hp, Wp, pt, pl):  # pragma: no cover - compiled
    V = 64 // x.itemsize
    r0, r1 = max(0, pt), min(Hp, pt + H)  # padded rows and columns that hold input
    q0, q1 = max(0, pl), min(Wp, pl + W)
    if q1 - q0 < V:  # rows narrower than a block
        _to_padded(x, xp, n0, n, C, H, W, Hp, Wp, pt, pl)
        return
    isz = unsigned(x.itemsize)
    idx = np.arange(V).astype(np.int64)
    cb = C - C % V  # channels in whole blocks
    qb = q0 + (q1 - q0) - (q1 - q0) % V  # columns in whole blocks: [q0, qb)
    uC = unsigned(C)
    for s in range(n):
        for c0 in range(0, cb, V):
            for r in range(r0, r1):
                src = ((n0 + s) * C + c0) * H * W + (r - pt) * W - pl
                for q in range(q0, qb, V):
                    turn(x.ctypes.data, idx.ctypes.data, H * W, src + q,
                         xp.ctypes.data + unsigned(((s * Hp + r) * Wp + q) * C + c0) * isz, C, x.ctypes.data, 0)
                for c in range(c0, c0 + V):  # the row's last columns
                    for q in range(qb, q1):
                        xp[unsigned(((s * Hp + r) * Wp + q) * C + c)] = x[unsigned(src + c * H * W - c0 * H * W + q)]
        for c in range(cb, C):  # the channels past the last block
            for r in range(r0, r1):
                src = unsigned((((n0 + s) * C + c) * H + r - pt) * W + q0 - pl)
                dst = unsigned(((s * Hp + r) * Wp + q0) * C + c)
                for q in range(unsigned(q1 - q0)):
                    xp[dst + q * uC] = x[src + q]


@njit(cache=True, inline="always")
def rows_to_planes(turn, rows, pos, y, b, has_b, n0, n, O, L):  # pragma: no cover - compiled
    V = 64 // rows.itemsize
    isz = unsigned(rows.itemsize)
    ob, lb = O - O % V, L - L % V  # channels and pixels in whole blocks
    for s in range(n):
        for k0 in range(0, lb, V):
            for o0 in range(0, ob, V):
                turn(rows.ctypes.data, pos.ctypes.data + unsigned(s * L + k0) * 8, O, o0,
                     y.ctypes.data + unsigned(((n0 + s) * O + o0) * L + k0) * isz, L,
                     b.ctypes.data + unsigned(o0) * isz, 1 if has_b else 0)
        for o in range(O):  # the last pixels, and the channels past the last block
            dst = unsigned(((n0 + s) * O + o) * L)
            bo = b[o] if has_b else rows.dtype.type(0)
            for k in range(unsigned(lb if o < ob else 0), unsigned(L)):
                y[dst + k] = rows[unsigned(pos[s * L + k] * O + o)] + bo
