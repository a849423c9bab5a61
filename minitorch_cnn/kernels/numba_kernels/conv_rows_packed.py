"""Wide layers' dx on channels-last rows (``conv_rows``) on the packed panels (``gemm_packed``), the weights packed
once a share.

The loop of ``conv_rows.backward_rows``, chunk by chunk, with dx's GEMM our own:

    dx:  d_rows (M, K) = gᵀ (M, O) @ wk (O, K)    wk packed into the micro-kernel's B panels (O deep, NR columns a
                                                  panel) once a share, where OpenBLAS packs it at every chunk's call;
                                                  gᵀ packed into A micro-panels of MR pixels once a chunk (packed
                                                  inside the GEMM it is packed again for every block of NC columns,
                                                  which measured as slow as OpenBLAS): the GEMM packs nothing;
    dW:  dwk (O, K) += g (O, M) @ rows (M, K)     OpenBLAS, as in ``conv_rows`` (on the panels, im2row writing their
                                                  B panels directly and g packed once a chunk, or transposed with
                                                  im2row writing A panels, it measured slower).

dx's product sums in channel order with fused multiply-adds within a depth block of ``gemm_packed.KC``, the blocks
added in order: OpenBLAS's values to rounding, not its bits. Which layers: ``rows_packed_fits``. Times in
benchmarks/results/NOTES.md.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..blas import NO_TRANS, ROW_MAJOR
from ..handoff import signal
from .conv_packed import packed_fits
from .conv_rows import _im2row, _pack_weights, _to_padded, add_db, gather_g, scatter_rows
from .gemm_packed import pack_a_all, pack_b_all, packed_gemm
from .layout import Pair, unsigned

USE_ROWS_PACKED = True  # False: dx on rows keeps OpenBLAS (tests compare the two paths)


def rows_packed_fits(channels: Pair, groups: int, kernel_size: Pair, nr: int, chunks: int) -> bool:
    """Whether a layer whose dx is made on rows (``conv_rows.rows_dx_fits``) makes it on the panels, ``nr`` the
    micro-kernel's columns (0 where there is none) and ``chunks`` the GEMMs of a share: ``conv_packed``'s rule with
    the GEMM's columns K = kh·kw·C (C input channels) in panels of NR, the weights packed once a share used by
    several GEMMs (ResNet-18's 256→256 8×8 layer in 8-16 chunks of 4 samples: faster; its 512→512 4×4 layer in one
    or two chunks a share: no faster)."""
    return USE_ROWS_PACKED and packed_fits(channels, groups, kernel_size, channels[0] * kernel_size[0] * kernel_size[1],
                                           nr, chunks)


@njit(cache=True, nogil=True)
def backward_rows_packed(kernel, MR, NR, gemm, one, zero, g, x, has_x, w, dx, has_dx, dw_sum, db_sum, has_b, start,
                         stop, step, gbuf, rows, shape, Hp, Wp, ready, ready_value):  # pragma: no cover - compiled
    # As conv_rows.backward_rows (same arrays), dx's GEMM on the panels of ``kernel`` (MR × NR)
    signal(ready, ready_value)
    G, O, C, H, W, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow = shape
    K, L = kh * kw * C, oh * ow
    wp = np.empty(O * ((K + NR - 1) // NR * NR) if has_dx else 0, g.dtype)  # wk (O, K) in B panels
    if has_dx:
        wk = np.empty(O * K, g.dtype)
        _pack_weights(w, wk, O, C, kh * kw)
        pack_b_all(wk, False, K, O, K, wp, NR)
    acc = np.empty(O * K if has_x else 0, g.dtype)  # dW (O, K) summed over the share by the GEMMs
    xp = np.zeros(step * Hp * Wp * C if has_x else 0, g.dtype)
    dxp = np.empty(step * Hp * Wp * C if has_dx else 0, g.dtype)
    gpk = np.empty(((step * L + MR - 1) // MR * MR) * O if has_dx else 0, g.dtype)
    first = True
    for n0 in range(start, stop, step):
        n = min(stop, n0 + step) - n0
        M = n * L
        gc = gather_g(g, gbuf, n0, n, O, L)  # (O, M)
        if has_b:
            add_db(g, db_sum, n0, n, O, L)
        if has_x:  # dL/dW (O, K) += g (O, M) @ rows (M, K)
            _to_padded(x, xp, n0, n, C, H, W, Hp, Wp, pt, pl)
            _im2row(xp, rows, n, C, Hp, Wp, kh, kw, sh, sw, dh, dw, oh, ow)
            gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, O, K, M, one, gc.ctypes.data, M, rows.ctypes.data, K,
                 zero if first else one, acc.ctypes.data, K)
            first = False
        if has_dx:  # dL/drows (M, K) = gᵀ (M, O) @ wk (O, K); scattered back into dx
            pack_a_all(gc, True, M, M, O, gpk, MR)
            packed_gemm(kernel, MR, NR, True, False, M, K, O, gpk, M, True, wp, K, True, rows, K, False)
            scatter_rows(rows, dxp, dx, n0, n, C, H, W, Hp, Wp, pt, pl, kh, kw, sh, sw, dh, dw, oh, ow)
    if has_x and not first:
        for k in range(unsigned(O * K)):
            dw_sum[k] = acc[k]
