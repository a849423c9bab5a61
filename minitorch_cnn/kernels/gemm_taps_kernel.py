"""The gather micro-kernel with the taps inside: one call sums a tile of output pixels over all of a pixel group's
taps (compiled by llvmlite, per dtype and ISA like ``gemm_kernel``).

``taps_kernel(dtype)`` gives ``(kernel, MR, NR)``; the kernel is called as ``kernel(kc, nt, A, offs, B, C, ldc,
add)`` and computes, for r < MR and q < NR,

    C[r·ldc + q] = (C[r·ldc + q] if add else 0) + Σ_{u < nt} Σ_{k < kc} A[r][offs[2u] + k] · B[offs[2u+1] + k·NR + q]

A being an array of MR row addresses (a group's pixels in the padded input), offs nt pairs of (the tap's offset in
a row, its B panel's offset), both in values. The MR × NR sums stay in registers over all taps (where
``gemm_kernel``'s gather form is called once a tap, loading and storing the tile each time): fused multiply-adds in
k order within a tap, taps in order, as that form rounds them. Tile as ``gemm_kernel``'s gather form per ISA
(AVX-512 6 × 64 float32, AVX2 6 × 16).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from . import microkernel
from .gemm_kernel import GATHER_VECTORS, MR

_built: dict[Any, Any] = {}  # (dtype, isa) -> (kernel or None, MR, NR)
_engines: list[Any] = []  # the execution engines: the compiled code lives as long as they do


def _ir(ty: str, lanes: int, nv: int) -> str:
    """IR of ``@taps`` (see the module docstring) for vectors of ``lanes`` ``ty``s, ``nv`` a row."""
    vec, fma = f"<{lanes} x {ty}>", f"@llvm.fma.v{lanes}f{32 if ty == 'float' else 64}"
    nr = nv * lanes
    tile = [(r, v) for r in range(MR) for v in range(nv)]
    ir = [f"declare {vec} {fma}({vec}, {vec}, {vec})",
          "define void @taps(i64 %kc, i64 %nt, ptr noalias %A, ptr noalias %offs, ptr noalias %B, ptr noalias %C, "
          "i64 %ldc, i64 %add) {", "entry:"]
    ir += [line for r in range(MR) for line in (f"  %pp{r} = getelementptr ptr, ptr %A, i64 {r}",
                                                f"  %row{r} = load ptr, ptr %pp{r}, align 8")]
    ir += ["  br label %tap", "tap:", "  %u = phi i64 [0, %entry], [%u1, %next]"]
    ir += [f"  %t{r}_{v} = phi {vec} [zeroinitializer, %entry], [%n{r}_{v}, %next]" for r, v in tile]
    ir += ["  %ua = shl i64 %u, 1", "  %pao = getelementptr i64, ptr %offs, i64 %ua", "  %ao = load i64, ptr %pao",
           "  %ub = add i64 %ua, 1", "  %pbo = getelementptr i64, ptr %offs, i64 %ub", "  %bo = load i64, ptr %pbo",
           f"  %bt = getelementptr {ty}, ptr %B, i64 %bo"]
    ir += [f"  %rt{r} = getelementptr {ty}, ptr %row{r}, i64 %ao" for r in range(MR)]
    ir += ["  br label %loop", "loop:", "  %k = phi i64 [0, %tap], [%k1, %loop]"]
    ir += [f"  %c{r}_{v} = phi {vec} [%t{r}_{v}, %tap], [%n{r}_{v}, %loop]" for r, v in tile]
    ir += [f"  %bk = mul i64 %k, {nr}"]
    for v in range(nv):
        ir += [f"  %bq{v} = add i64 %bk, {v * lanes}", f"  %pb{v} = getelementptr {ty}, ptr %bt, i64 %bq{v}",
               f"  %b{v} = load {vec}, ptr %pb{v}, align 4"]
    for r in range(MR):
        ir += [f"  %pa{r} = getelementptr {ty}, ptr %rt{r}, i64 %k", f"  %a{r} = load {ty}, ptr %pa{r}, align 4",
               f"  %ai{r} = insertelement {vec} poison, {ty} %a{r}, i64 0",
               f"  %as{r} = shufflevector {vec} %ai{r}, {vec} poison, <{lanes} x i32> zeroinitializer"]
        ir += [f"  %n{r}_{v} = call {vec} {fma}({vec} %as{r}, {vec} %b{v}, {vec} %c{r}_{v})" for v in range(nv)]
    ir += ["  %k1 = add i64 %k, 1", "  %more = icmp slt i64 %k1, %kc", "  br i1 %more, label %loop, label %next",
           "next:", "  %u1 = add i64 %u, 1", "  %moret = icmp slt i64 %u1, %nt",
           "  br i1 %moret, label %tap, label %done",
           "done:", "  %acc = icmp ne i64 %add, 0", "  br i1 %acc, label %sum, label %store", "sum:"]
    for r, v in tile:
        ir += [f"  %sq{r}_{v} = mul i64 {r}, %ldc", f"  %so{r}_{v} = add i64 %sq{r}_{v}, {v * lanes}",
               f"  %sp{r}_{v} = getelementptr {ty}, ptr %C, i64 %so{r}_{v}",
               f"  %old{r}_{v} = load {vec}, ptr %sp{r}_{v}, align 4",
               f"  %s{r}_{v} = fadd {vec} %old{r}_{v}, %n{r}_{v}"]
    ir += ["  br label %store", "store:"]
    ir += [f"  %f{r}_{v} = phi {vec} [%n{r}_{v}, %done], [%s{r}_{v}, %sum]" for r, v in tile]
    for r, v in tile:
        ir += [f"  %q{r}_{v} = mul i64 {r}, %ldc", f"  %o{r}_{v} = add i64 %q{r}_{v}, {v * lanes}",
               f"  %p{r}_{v} = getelementptr {ty}, ptr %C, i64 %o{r}_{v}",
               f"  store {vec} %f{r}_{v}, ptr %p{r}_{v}, align 4"]
    return "\n".join(ir + ["  ret void", "}"])


def _compile(dtype: Any, name: str) -> Any:
    """The compiled ``taps`` for ``dtype`` and ISA ``name`` as a ctypes function, or None."""
    ty, bits = microkernel._TYPES[np.dtype(dtype)]
    try:
        llvm, machine = microkernel._target(name)
        module = llvm.parse_assembly(_ir(ty, microkernel.ISA_BITS[name] // bits, GATHER_VECTORS[name]))
        module.verify()
        passes = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
        passes.getModulePassManager().run(module, passes)
        engine = llvm.create_mcjit_compiler(module, machine)
        engine.finalize_object()
        address = engine.get_function_address("taps")
    except Exception:  # noqa: BLE001 - any failure (old llvmlite, no native target): callers keep the tap-wise form
        return None
    _engines.append(engine)
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    return ctypes.CFUNCTYPE(None, i64, i64, ptr, ptr, ptr, ptr, i64, i64)(address)


def taps_kernel(dtype: Any) -> tuple[Any, int, int]:
    """(the compiled taps kernel for ``dtype`` on the current ISA, MR, NR), or (None, MR, 0) where there is none."""
    dtype, name = np.dtype(dtype), microkernel.isa()
    if dtype not in microkernel._TYPES or name not in GATHER_VECTORS:
        return None, MR, 0
    key = (dtype, name)
    if key not in _built:
        fn = _compile(dtype, name)
        nr = GATHER_VECTORS[name] * microkernel.ISA_BITS[name] // microkernel._TYPES[dtype][1]
        _built[key] = (fn, MR, nr if fn is not None else 0)
    return _built[key]
