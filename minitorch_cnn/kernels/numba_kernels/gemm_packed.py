"""A blocked GEMM around the packed-panel micro-kernel (``gemm_kernel``): C (M, N) (+)= op(A) (M, K) @ op(B) (K, N).

Loops, outermost first: column blocks of NC; depth blocks of KC, each packing its B block (KC × NC, NR columns a
panel, zero-padded) so that it stays in L2; row micro-panels of MR (KC × MR values, packed once per depth block,
kept in L1 while the micro-kernel sweeps them over the B block's panels). Edge tiles (fewer than MR rows or NR
columns) go through a scratch tile. Depth blocks after the first add to C, as does the first when ``add``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .layout import unsigned

KC, NC = 256, 512  # depth and column blocks: a B block of KC × NC float32 is 512 KiB, half a core's L2


@njit(cache=True, inline="always")
def _pack_a(a, ta, lda, i0, mr_all, k0, kc, ap, MR):  # pragma: no cover - compiled
    """ap[(p·kc + k)·MR + r] = op(A)[i0 + p·MR + r, k0 + k] for rows < mr_all, zeros below."""
    for p in range((mr_all + MR - 1) // MR):
        rows = min(MR, mr_all - p * MR)
        base, first = unsigned(p * kc * MR), i0 + p * MR
        if ta:  # a row of MR contiguous values per k
            for k in range(kc):
                src, dst = unsigned((k0 + k) * lda + first), base + unsigned(k * MR)
                for r in range(rows):
                    ap[dst + unsigned(r)] = a[src + unsigned(r)]
                for r in range(rows, MR):
                    ap[dst + unsigned(r)] = 0.0
        else:  # MR rows read side by side
            for k in range(kc):
                dst = base + unsigned(k * MR)
                for r in range(rows):
                    ap[dst + unsigned(r)] = a[unsigned((first + r) * lda + k0 + k)]
                for r in range(rows, MR):
                    ap[dst + unsigned(r)] = 0.0


@njit(cache=True, inline="always")
def _pack_b(b, tb, ldb, k0, kc, j0, nc, bp, NR):  # pragma: no cover - compiled
    """bp[(q·kc + k)·NR + c] = op(B)[k0 + k, j0 + q·NR + c] for columns < nc, zeros past them."""
    for q in range((nc + NR - 1) // NR):
        cols = min(NR, nc - q * NR)
        base = unsigned(q * kc * NR)
        if tb:
            for c in range(cols):
                src = unsigned((j0 + q * NR + c) * ldb + k0)
                for k in range(kc):
                    bp[base + unsigned(k * NR + c)] = b[src + unsigned(k)]
        else:
            for k in range(kc):
                src, dst = unsigned((k0 + k) * ldb + j0 + q * NR), base + unsigned(k * NR)
                for c in range(cols):
                    bp[dst + unsigned(c)] = b[src + unsigned(c)]
        if cols < NR:
            for k in range(kc):
                for c in range(cols, NR):
                    bp[base + unsigned(k * NR + c)] = 0.0


@njit(cache=True, inline="always")
def pack_a_all(a, ta, lda, M, K, ap, MR):  # pragma: no cover - compiled
    """op(A) (M, K) packed whole for ``packed_gemm``: depth block k0 (KC wide) at ap[k0·Mp], its row panels after
    one another (Mp = M rounded up to MR)."""
    mp = (M + MR - 1) // MR * MR
    for k0 in range(0, K, KC):
        _pack_a(a, ta, lda, 0, M, k0, min(KC, K - k0), ap[k0 * mp:], MR)


@njit(cache=True, inline="always")
def pack_b_all(b, tb, ldb, K, N, bp, NR):  # pragma: no cover - compiled
    """op(B) (K, N) packed whole for ``packed_gemm``: depth block k0 at bp[k0·Np], its column panels after one
    another (Np = N rounded up to NR)."""
    np_ = (N + NR - 1) // NR * NR
    for k0 in range(0, K, KC):
        _pack_b(b, tb, ldb, k0, min(KC, K - k0), 0, N, bp[k0 * np_:], NR)


@njit(cache=True, nogil=True)
def packed_gemm(kernel, MR, NR, ta, tb, M, N, K, a, lda, a_packed, b, ldb, b_packed, c, ldc,
                add):  # pragma: no cover - compiled
    """c (M, N) = (c if add else 0) + op(a) @ op(b), all flat C-ordered: op(a)[i, k] = a[i·lda + k] (a[k·lda + i]
    when ``ta``), op(b)[k, j] = b[k·ldb + j] (b[j·ldb + k] when ``tb``), c[i, j] = c[i·ldc + j]; K ≥ 1. Where
    ``a_packed`` (``b_packed``), ``a`` (``b``) is already packed whole (``pack_a_all``, ``pack_b_all``)."""
    isz = unsigned(c.itemsize)
    kcb = min(KC, K)
    mp, np_ = (M + MR - 1) // MR * MR, (N + NR - 1) // NR * NR
    ap = np.empty(0 if a_packed else mp * kcb, c.dtype)
    bp = np.empty(0 if b_packed else min(NC, np_) * kcb, c.dtype)
    tile = np.empty(MR * NR, c.dtype)
    for j0 in range(0, N, NC):
        nc = min(NC, N - j0)
        for k0 in range(0, K, KC):
            kc = min(KC, K - k0)
            if b_packed:
                pb0 = b.ctypes.data + unsigned(k0 * np_ + j0 * kc) * isz
            else:
                _pack_b(b, tb, ldb, k0, kc, j0, nc, bp, NR)
                pb0 = bp.ctypes.data
            if a_packed:
                pa0 = a.ctypes.data + unsigned(k0 * mp) * isz
            else:
                _pack_a(a, ta, lda, 0, M, k0, kc, ap, MR)
                pa0 = ap.ctypes.data
            accumulate = 1 if (add or k0 > 0) else 0
            for i0 in range(0, M, MR):
                rows = min(MR, M - i0)
                pa = pa0 + unsigned(i0 * kc) * isz
                for q0 in range(0, nc, NR):
                    cols = min(NR, nc - q0)
                    pb = pb0 + unsigned(q0 * kc) * isz
                    if rows == MR and cols == NR:
                        kernel(kc, pa, pb, c.ctypes.data + unsigned(i0 * ldc + j0 + q0) * isz, ldc, accumulate)
                    else:
                        kernel(kc, pa, pb, tile.ctypes.data, NR, 0)
                        for r in range(rows):
                            dst = unsigned((i0 + r) * ldc + j0 + q0)
                            for s in range(cols):
                                if accumulate:
                                    c[dst + unsigned(s)] += tile[unsigned(r * NR + s)]
                                else:
                                    c[dst + unsigned(s)] = tile[unsigned(r * NR + s)]
