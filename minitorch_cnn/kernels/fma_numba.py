"""The compiled half of ``fused_multiply_add``: LLVM's ``llvm.fma`` intrinsic (the CPU's FMA instruction, or the
exact software fma where a CPU has none) in a Numba loop, cached on disk. Imported on first use only, so importing
the package never loads Numba."""

from __future__ import annotations

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
