"""A packed-panel GEMM micro-kernel in LLVM IR (compiled by llvmlite, per dtype and ISA like ``microkernel``).

``panel_kernel(dtype)`` gives ``(kernel, MR, NR)``; the kernel is called as ``kernel(kc, A, B, C, ldc, add)`` and
computes, for r < MR and q < NR,

    C[r·ldc + q] = (C[r·ldc + q] if add else 0) + Σ_{k < kc} A[k·MR + r] · B[k·NR + q]

with A a packed micro-panel of MR rows (kc columns, MR values a column) and B one of NR columns (kc rows, NR
values a row). Its gather form (``panel_kernel(dtype, gather=True)``) reads row r of A as a run of kc values from
its own pointer, A being an array of MR addresses: A[r][k] in place of A[k·MR + r], which lets a convolution read
its input in place, one pointer per output pixel (``numba_kernels.conv_implicit``); with ``gather_b=True`` as
well, B is an array of kc addresses, row k the NR values at B[k] (dW's pixels, each at its own place). The
MR × NR sums stay in registers over the whole kc loop (MR × NR/lanes vectors, ``llvm.fma`` with one broadcast A
value times NR/lanes B vectors); each is rounded once per product, in k order. Per ISA (``microkernel.isa()``):
AVX-512 MR 6 × NR 64 float32 (32 float64), 24 of its 32 registers, every form. At 256 bits (AVX2, or
``MINITORCH_ISA=avx2``) the gather form only, MR 6 × NR 16 float32 (8 float64), 12 of AVX2's 16 registers: it
spares the forward and dx their columns and measured faster than im2col + OpenBLAS's Haswell kernel, while the
plain packed form measured no faster than that kernel and the form gathering B's rows too (dW) slower than
OpenBLAS on rows, so ``panel_kernel`` gives None for those two there and callers keep to OpenBLAS (figures in
benchmarks/results/NOTES.md).
``packed_gemm`` runs the blocked loops around it (numba_kernels.gemm_packed).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from . import microkernel

MR = 6  # rows of the register tile (broadcast A values)
VECTORS = {"avx512": 4}  # B vectors per row of the tile, per ISA that has the plain packed kernel
GATHER_VECTORS = {"avx512": 4, "avx2": 2}  # ... that has the gather form (A rows by pointer)
GATHER_B_VECTORS = {"avx512": 4}  # ... that has the form gathering B's rows too (dW's; at 256 bits it lost)
_built: dict[Any, Any] = {}  # (dtype, isa, gather, gather_b) -> (kernel or None, MR, NR)


def _ir(ty: str, lanes: int, nv: int, gather: bool = False, gather_b: bool = False) -> str:
    """IR of ``@panel`` (see the module docstring) for vectors of ``lanes`` ``ty``s, ``nv`` a row; with ``gather``
    A is MR pointers, row r's k-th value at A[r][k] (a run of kc values); with ``gather_b`` B is kc pointers, its
    k-th row the NR values at B[k]."""
    vec, fma = f"<{lanes} x {ty}>", f"@llvm.fma.v{lanes}f{32 if ty == 'float' else 64}"
    nr = nv * lanes
    ir = [f"declare {vec} {fma}({vec}, {vec}, {vec})",
          "define void @panel(i64 %kc, ptr noalias %A, ptr noalias %B, ptr noalias %C, i64 %ldc, i64 %add) {",
          "entry:"]
    if gather:
        ir += [line for r in range(MR) for line in (f"  %pp{r} = getelementptr ptr, ptr %A, i64 {r}",
                                                    f"  %row{r} = load ptr, ptr %pp{r}, align 8")]
    ir += ["  br label %loop", "loop:", "  %k = phi i64 [0, %entry], [%k1, %loop]"]
    for r in range(MR):
        for v in range(nv):
            ir.append(f"  %c{r}_{v} = phi {vec} [zeroinitializer, %entry], [%n{r}_{v}, %loop]")
    ir += [f"  %bo = mul i64 %k, {nr}", f"  %ao = mul i64 %k, {MR}"]
    if gather_b:
        ir += ["  %pbk = getelementptr ptr, ptr %B, i64 %k", "  %brow = load ptr, ptr %pbk, align 8"]
    for v in range(nv):
        ir += ([f"  %pb{v} = getelementptr {ty}, ptr %brow, i64 {v * lanes}"] if gather_b else
               [f"  %bq{v} = add i64 %bo, {v * lanes}", f"  %pb{v} = getelementptr {ty}, ptr %B, i64 %bq{v}"])
        ir += [f"  %b{v} = load {vec}, ptr %pb{v}, align 4"]
    for r in range(MR):
        ir += ([f"  %pa{r} = getelementptr {ty}, ptr %row{r}, i64 %k"] if gather else
               [f"  %ar{r} = add i64 %ao, {r}", f"  %pa{r} = getelementptr {ty}, ptr %A, i64 %ar{r}"])
        ir += [f"  %a{r} = load {ty}, ptr %pa{r}, align 4",
               f"  %ai{r} = insertelement {vec} poison, {ty} %a{r}, i64 0",
               f"  %as{r} = shufflevector {vec} %ai{r}, {vec} poison, <{lanes} x i32> zeroinitializer"]
        for v in range(nv):
            ir.append(f"  %n{r}_{v} = call {vec} {fma}({vec} %as{r}, {vec} %b{v}, {vec} %c{r}_{v})")
    ir += ["  %k1 = add i64 %k, 1", "  %more = icmp slt i64 %k1, %kc", "  br i1 %more, label %loop, label %done",
           "done:", "  %acc = icmp ne i64 %add, 0", "  br i1 %acc, label %sum, label %store", "sum:"]
    for r in range(MR):
        for v in range(nv):
            ir += [f"  %sq{r}_{v} = mul i64 {r}, %ldc", f"  %so{r}_{v} = add i64 %sq{r}_{v}, {v * lanes}",
                   f"  %sp{r}_{v} = getelementptr {ty}, ptr %C, i64 %so{r}_{v}",
                   f"  %old{r}_{v} = load {vec}, ptr %sp{r}_{v}, align 4",
                   f"  %t{r}_{v} = fadd {vec} %old{r}_{v}, %n{r}_{v}"]
    ir += ["  br label %store", "store:"]
    ir += [f"  %f{r}_{v} = phi {vec} [%n{r}_{v}, %done], [%t{r}_{v}, %sum]" for r in range(MR) for v in range(nv)]
    for r in range(MR):
        for v in range(nv):
            ir += [f"  %q{r}_{v} = mul i64 {r}, %ldc", f"  %o{r}_{v} = add i64 %q{r}_{v}, {v * lanes}",
                   f"  %p{r}_{v} = getelementptr {ty}, ptr %C, i64 %o{r}_{v}",
                   f"  store {vec} %f{r}_{v}, ptr %p{r}_{v}, align 4"]
    return "\n".join(ir + ["  ret void", "}"])


def _compile(dtype: Any, name: str, nv: int, gather: bool = False, gather_b: bool = False) -> Any:
    """The compiled ``panel`` (its ``gather`` / ``gather_b`` forms) for ``dtype`` and ISA ``name``, ``nv`` vectors a
    row, as a ctypes function, or None."""
    ty, bits = microkernel._TYPES[np.dtype(dtype)]
    lanes = microkernel.ISA_BITS[name] // bits
    addresses = microkernel.jit(name, lambda: _ir(ty, lanes, nv, gather, gather_b), ("panel",))
    if addresses is None:  # callers keep to BLAS
        return None
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    return ctypes.CFUNCTYPE(None, i64, ptr, ptr, ptr, i64, i64)(addresses[0])


def assembly(dtype: Any, name: str, gather: bool = False, gather_b: bool = False) -> str:
    """The machine code of ``panel`` (its ``gather`` / ``gather_b`` forms) for ``dtype`` and ISA ``name`` as text,
    at the ISA's tile width for that form (for the tests that check a forced narrower ISA really is compiled
    without the wider one's instructions)."""
    ty, bits = microkernel._TYPES[np.dtype(dtype)]
    nv = ((GATHER_B_VECTORS if gather_b else GATHER_VECTORS) if gather else VECTORS)[name]
    llvm, machine = microkernel._target(name)
    return machine.emit_assembly(llvm.parse_assembly(_ir(ty, microkernel.ISA_BITS[name] // bits, nv, gather,
                                                         gather_b)))


def panel_kernel(dtype: Any, gather: bool = False, gather_b: bool = False) -> tuple[Any, int, int]:
    """(the compiled micro-kernel for ``dtype`` on the current ISA, MR, NR), or (None, MR, 0) where there is none
    (an ISA without it, a dtype other than float32 and float64, llvmlite unable to compile it); with ``gather``
    its form whose A is MR row pointers (see the module docstring), with ``gather_b`` whose B is kc row pointers
    as well."""
    dtype, name = np.dtype(dtype), microkernel.isa()
    vectors = (GATHER_B_VECTORS if gather_b else GATHER_VECTORS) if gather else VECTORS
    if dtype not in microkernel._TYPES or name not in vectors:
        return None, MR, 0
    key = (dtype, name, gather, gather_b)
    if key not in _built:
        fn = _compile(dtype, name, vectors[name], gather, gather_b)
        nr = vectors[name] * microkernel.ISA_BITS[name] // microkernel._TYPES[dtype][1]
        _built[key] = (fn, MR, nr if fn is not None else 0)
    return _built[key]
