"""The compiled half of ``fused_multiply_add``: LLVM's ``llvm.fma`` intrinsic (the CPU's FMA instruction, or the
exact software fma where a CPU has none) in a Numba loop, cached on disk. Imported on first use only, so importing
the package never loads Numba."""

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
def fma_arrays(a, b, c, out):  # noqa: ANN001, ANN202
    for i in range(out.size):
        out[i] = _fma(a[i], b[i], c[i])


@njit(cache=True)
def arange_lanes(start, step, lanes, single, out):  # noqa: ANN001, ANN202
    """torch's CPU arange into ``out``: pairs of ``lanes``-wide vectors of fma(j, step, base), base = fma(step, i0,
    start) rounded to the output dtype (``single``: float32); the rest fma(step, i, start). All in float64."""
    n = out.size
    whole = n - n % (2 * lanes)
    for i0 in range(0, whole, lanes):
        base = _fma(step, np.float64(i0), start)
        if single:
            base = np.float64(np.float32(base))
        for j in range(lanes):
            out[i0 + j] = _fma(np.float64(j), step, base)
    for i in range(whole, n):
        out[i] = _fma(step, np.float64(i), start)
