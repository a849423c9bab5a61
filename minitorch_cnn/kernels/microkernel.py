"""A register-blocked convolution micro-kernel, written in LLVM IR and compiled by llvmlite (Numba's backend).

Why not Numba: the micro-kernel must keep a 4 × 3-vector block of output sums in registers while it runs
over the whole reduction (channels × taps), loading each input vector once for four output channels. Numba's
loops keep the sums in memory (a load and a store per multiply-add, and no reuse of the loaded input across
output channels), and its vectoriser did not make register blocks out of scalar code. In IR the block is
twelve SSA vectors and the loop is ``llvm.fma`` on them: 88 GFLOP/s on one core of the 2-core VM with its
operands in cache, where OpenBLAS's whole GEMM ran the small-M conv shapes at 45-60.

The kernel (``tile(mr, K, A, lda, X, offs, C, ldc)``) computes, for r < mr (1 to 4) and q < NR:

    C[r·ldc + q] = Σ_{k < K} A[r·lda + k] · X[offs[k] + q]

NR is three vectors: 24 float32 or 12 float64 lanes (AVX2's 8 and 4; other CPUs get the same code lowered
by LLVM for their vector width). With X a zero-padded input plane stack, offs[k] the flat offset of tap k
(channel c, kernel row i, column j: c·Hp·Wp + i·Wp + j) and A the weights, it is a stride-1 convolution
computed directly on the padded plane's row pitch (``numba_kernels._conv_tiles``): no columns. The products
are summed in k order with one rounding each (fused multiply-add), so the results equal a GEMM's to rounding,
not bit for bit.

Compiled once per process on first use (~50 ms), for the host CPU; ``tile(dtype)`` is None where llvmlite
cannot compile it, and callers then keep to im2col + GEMM.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

MR, VECTORS = 4, 3  # the register block: 4 output rows × 3 vectors (12 accumulators of AVX2's 16 registers)
_LANES = {np.dtype(np.float32): ("float", 8), np.dtype(np.float64): ("double", 4)}
_built: dict[Any, Any] = {}  # dtype -> (ctypes function or None, NR)
_keep: list[Any] = []  # the execution engines: the compiled code lives as long as they do


def _block(rows: int, ty: str, lanes: int) -> list[str]:
    """IR of ``@rows{rows}``: the kernel for exactly ``rows`` output rows (see the module docstring)."""
    vec, fma = f"<{lanes} x {ty}>", f"@llvm.fma.v{lanes}f{32 if ty == 'float' else 64}"
    ir = [f"define internal void @rows{rows}(i64 %K, ptr %A, i64 %lda, ptr %X, ptr %offs, ptr %C, i64 %ldc) "
          "alwaysinline {", "entry:", "  br label %loop", "loop:", "  %k = phi i64 [0, %entry], [%k1, %loop]"]
    for r in range(rows):
        for v in range(VECTORS):
            ir.append(f"  %c{r}_{v} = phi {vec} [zeroinitializer, %entry], [%n{r}_{v}, %loop]")
    ir += ["  %po = getelementptr i64, ptr %offs, i64 %k", "  %o = load i64, ptr %po, align 8"]
    for v in range(VECTORS):  # the input vectors of tap k, shared by all rows
        ir += [f"  %xo{v} = add i64 %o, {v * lanes}", f"  %px{v} = getelementptr {ty}, ptr %X, i64 %xo{v}",
               f"  %x{v} = load {vec}, ptr %px{v}, align 4"]
    for r in range(rows):  # one weight per row, broadcast, times the three input vectors
        ir += [f"  %ro{r} = mul i64 {r}, %lda", f"  %ao{r} = add i64 %ro{r}, %k",
               f"  %pa{r} = getelementptr {ty}, ptr %A, i64 %ao{r}", f"  %a{r} = load {ty}, ptr %pa{r}, align 4",
               f"  %ai{r} = insertelement {vec} poison, {ty} %a{r}, i64 0",
               f"  %as{r} = shufflevector {vec} %ai{r}, {vec} poison, <{lanes} x i32> zeroinitializer"]
        for v in range(VECTORS):
            ir.append(f"  %n{r}_{v} = call {vec} {fma}({vec} %as{r}, {vec} %x{v}, {vec} %c{r}_{v})")
    ir += ["  %k1 = add i64 %k, 1", "  %more = icmp slt i64 %k1, %K", "  br i1 %more, label %loop, label %done",
           "done:"]
    for r in range(rows):
        ir.append(f"  %co{r} = mul i64 {r}, %ldc")
        for v in range(VECTORS):
            ir += [f"  %cq{r}_{v} = add i64 %co{r}, {v * lanes}",
                   f"  %pc{r}_{v} = getelementptr {ty}, ptr %C, i64 %cq{r}_{v}",
                   f"  store {vec} %n{r}_{v}, ptr %pc{r}_{v}, align 4"]
    return ir + ["  ret void", "}"]


def _module(ty: str, lanes: int) -> str:
    """IR of ``@tile``: a switch on mr over the four row counts (K ≥ 1 is the caller's to ensure)."""
    vec = f"<{lanes} x {ty}>"
    ir = [f"declare {vec} @llvm.fma.v{lanes}f{32 if ty == 'float' else 64}({vec}, {vec}, {vec})"]
    for rows in range(1, MR + 1):
        ir += _block(rows, ty, lanes)
    args = "i64 %K, ptr %A, i64 %lda, ptr %X, ptr %offs, ptr %C, i64 %ldc"
    ir += [f"define void @tile(i64 %mr, {args}) {{", "entry:",
           f"  switch i64 %mr, label %r{MR} [ " + " ".join(f"i64 {r}, label %r{r}" for r in range(1, MR)) + " ]"]
    for rows in range(1, MR + 1):
        ir += [f"r{rows}:", f"  call void @rows{rows}({args})", "  ret void"]
    return "\n".join(ir + ["}"])


def _compile(dtype: Any) -> Any:
    """The compiled ``tile`` for ``dtype`` as a ctypes function, or None where llvmlite cannot build it."""
    ty, lanes = _LANES[dtype]
    try:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        machine = llvm.Target.from_default_triple().create_target_machine(
            cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3)
        module = llvm.parse_assembly(_module(ty, lanes))
        module.verify()
        passes = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
        passes.getModulePassManager().run(module, passes)
        engine = llvm.create_mcjit_compiler(module, machine)
        engine.finalize_object()
        address = engine.get_function_address("tile")
    except Exception:  # noqa: BLE001 - any failure (old llvmlite, no native target): callers use im2col + GEMM
        return None
    _keep.append(engine)
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    return ctypes.CFUNCTYPE(None, i64, i64, ptr, i64, ptr, ptr, ptr, i64)(address)


def tile(dtype: Any) -> tuple[Any, int]:
    """(the micro-kernel for ``dtype`` or None, its NR: lanes per row). float32 and float64 only."""
    dtype = np.dtype(dtype)
    if dtype not in _LANES:
        return None, 0
    if dtype not in _built:
        _built[dtype] = (_compile(dtype), VECTORS * _LANES[dtype][1])
    return _built[dtype]
