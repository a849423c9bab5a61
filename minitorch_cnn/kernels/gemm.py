"""Big matrix products split over the pool's threads: ``matmul(a, b)`` for 2-D float arrays.

The thread policy (``threads``) keeps NumPy's OpenBLAS at one thread, so a product one caller makes (a Linear
layer's three GEMMs) would run on one core. Here the output is cut into blocks of columns (or of rows, when it
has more rows), one per pool thread, each a one-thread NumPy GEMM writing its block in place (NumPy lets go of
the GIL for it, and a block with unit column stride goes to BLAS without a copy). Small products run whole on
the calling thread: a hand-off costs ~0.1 ms.

A big product whose output has fewer rows than both its columns and the inner size (a Linear layer's forward and
dx on a small batch: x (16, 4096) @ Wᵀ) is made turned, outᵀ = bᵀ @ aᵀ, and turned back: NumPy's OpenBLAS runs
that orientation several times faster there (times in benchmarks/results/NOTES.md). Each output entry is still
one dot product over the inner size, its terms in OpenBLAS's order for that orientation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import threadpool

SPLIT_MIN_MACS = 1 << 26  # multiply-adds from which a product is split (~1.3 ms on one core at its FMA peak)


def _block(a: Any, b: Any, out: Any, lo: int, hi: int, by_rows: bool) -> None:
    """out[lo:hi] = a[lo:hi] @ b (rows), or out[:, lo:hi] = a @ b[:, lo:hi] (columns)."""
    if by_rows:
        np.matmul(a[lo:hi], b, out=out[lo:hi])
    else:
        np.matmul(a, b[:, lo:hi], out=out[:, lo:hi])


def matmul(a: Any, b: Any) -> Any:
    """``a @ b``; for 2-D NumPy float32/float64 operands of one dtype with at least ``SPLIT_MIN_MACS``
    multiply-adds, split over the pool's threads (same result: each output entry is the same dot product)."""
    if (
        type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim != 2 or b.ndim != 2
        or a.dtype != b.dtype or a.dtype not in (np.float32, np.float64) or a.shape[1] != b.shape[0]
    ):
        return a @ b
    (M, K), N = a.shape, b.shape[1]
    if M < min(N, K) and M * N * K >= SPLIT_MIN_MACS:
        return np.ascontiguousarray(matmul(b.T, a.T).T)
    by_rows = M > N
    parts = threadpool.split(M if by_rows else N, threadpool.workers()) if M * N * K >= SPLIT_MIN_MACS else []
    if len(parts) < 2:
        return a @ b
    out = np.empty((M, N), dtype=a.dtype)
    threadpool.run(_block, [(a, b, out, lo, hi, by_rows) for lo, hi in parts])
    return out
