"""The implicit GEMM's loop with the taps inside the micro-kernel (``gemm_taps_kernel``).

Same sum as ``conv_implicit.implicit_gemm``: rows[p, o] = Σ_{taps t read by p's group} Σ_c x_pad[P(p) + T(t) + c]
· W[o, c, t], per output-channel panel and channel block; a group of MR pixels makes one call over its taps (their
offsets in ``offs``: the tap's place in a pixel's window and its B panel's in the packed block) where the tap-wise
loop makes one a tap, the tile staying in registers between taps.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from numba import njit

from .. import gemm_taps_kernel
from .gemm_packed import KC
from .layout import unsigned


@njit(cache=True, inline="always")
def implicit_gemm_taps(kernel, MR, NR, xp, pix, gmask, M, C, wp, wpitch, kh, kw, dh, dw, O, rows,
                       ptrs):  # pragma: no cover - compiled
    """rows (Mp, O) as ``conv_implicit.implicit_gemm`` gives them, with ``kernel`` the taps form."""
    isz = unsigned(rows.itemsize)
    T = kh * kw
    offs = np.empty(2 * T, np.int64)
    xa, ra = xp.ctypes.data, rows.ctypes.data
    for q0 in range(0, O, NR):
        for c0 in range(0, C, KC):
            kc = min(KC, C - c0)
            block = wp.ctypes.data + unsigned(q0 * T * C + c0 * T * NR) * isz
            for i0 in range(0, M, MR):
                out = ra + unsigned(i0 * O + q0) * isz
                mask = gmask[i0 // MR]
                nt = 0
                for t in range(T):
                    if (mask >> t) & 1:
                        offs[2 * nt] = (t // kw) * dh * wpitch * C + (t % kw) * dw * C + c0
                        offs[2 * nt + 1] = t * kc * NR
                        nt += 1
                if nt == 0:  # no tap reads the input: zeros (or the earlier blocks' sums kept)
                    if c0 == 0:
                        for r in range(MR):
                            for q in range(NR):
                                rows[unsigned((i0 + r) * O + q0 + q)] = 0
                    continue
                for r in range(MR):
                    ptrs[r] = xa + unsigned(pix[min(i0 + r, M - 1)]) * isz
                kernel(kc, nt, ptrs.ctypes.data, offs.ctypes.data, block, out, O, 1 if c0 > 0 else 0)


USE_TAPS = True  # False: the tap-wise loop (tests compare them)
_i64, _ptr = ctypes.c_int64, ctypes.c_void_p
_PLACEHOLDER = ctypes.CFUNCTYPE(None, _i64, _i64, _ptr, _ptr, _ptr, _ptr, _i64, _i64)(lambda *args: None)


def taps_kernel(dtype: Any) -> tuple[Any, bool]:
    """(the taps kernel for ``dtype``, whether to use it): ``conv_implicit``'s ``taps`` and ``fused`` arguments;
    where there is none (or ``USE_TAPS`` is off) its place is held by a kernel of the same type, never called."""
    kernel = gemm_taps_kernel.taps_kernel(dtype)[0]
    if kernel is None:
        return _PLACEHOLDER, False
    return kernel, USE_TAPS
