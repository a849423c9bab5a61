"""fma(a, b, c) = a·b + c rounded once, elementwise: LLVM's ``llvm.fma`` intrinsic (the CPU's FMA instruction, or
the exact software fma where a CPU has none). NumPy has no fused multiply-add; torch's CPU loops use one (its
``linspace`` is ``start + step·i`` fused), so results that must equal torch's bit for bit need it."""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def _fma(typingctx, a, b, c):  # noqa: ANN001, ANN202 - numba's intrinsic protocol
    if not (a == b == c and isinstance(a, types.Float)):
        return None

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202
        ty = ir.DoubleType() if a.bitwidth == 64 else ir.FloatType()
        fn = builder.module.declare_intrinsic("llvm.fma", [ty], ir.FunctionType(ty, [ty, ty, ty]))
        return builder.call(fn, args)

    return a(a, a, a), codegen


@njit(cache=True)
def _fma_arrays(a, b, c, out):  # noqa: ANN001, ANN202
    for i in range(out.size):
        out[i] = _fma(a[i], b[i], c[i])


def fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``a * b + c`` with one rounding, for 1-D arrays of one float dtype (float32 or float64)."""
    out = np.empty_like(a)
    _fma_arrays(a, b, c, out)
    return out
