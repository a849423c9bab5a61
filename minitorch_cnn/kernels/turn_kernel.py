"""A V × V block transpose in LLVM IR (compiled by llvmlite, per dtype and ISA like ``microkernel``).

The implicit GEMM (``numba_kernels.conv_implicit``) works on channels-last data: it turns each chunk's input from
(C, H, W) planes to padded (H, W, C) pixels, and its (pixels, O) result rows back to (O, H, W) planes. Element by
element in Numba those turns ran at ~2.5 cycles a value (a gather or a scatter per value), 10-15% of a 64-channel
layer's time (benchmarks/results/NOTES.md). Here a block of V rows of V values is loaded as V vectors, turned by
log2(V) rounds of interleaving (row i of a round's output pairs the halves of rows i/2 and i/2 + V/2 of its input;
after log2(V) rounds the vectors are the block's columns) and stored as V vectors.

``turn_kernel(dtype)`` gives ``(turn, V)``, V = 16 float32 / 8 float64 (one 512-bit vector; at 256 bits LLVM
makes each two). The kernel is called as ``turn(src, idx, lds, base, dst, ldd, bias, has_b)`` and writes, for
r, q < V,

    dst[q·ldd + r] = src[idx[r]·lds + base + q] (+ bias[q] where has_b)

(idx: V int64 row numbers). It copies values: the result is the input's bits, plus the bias. ``(None, V)`` where
llvmlite cannot compile it; callers then keep their scalar loops.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from . import microkernel

_built: dict[Any, Any] = {}  # (dtype, isa) -> (turn or None, V)


def lanes(dtype: Any) -> int:
    """V: the block's side for ``dtype``, the values of one 512-bit vector."""
    return 512 // microkernel._TYPES[np.dtype(dtype)][1]


def _ir(ty: str, v: int) -> str:
    """IR of ``@turn`` (see the module docstring) for ``ty`` blocks of side ``v``."""
    vec, h = f"<{v} x {ty}>", v // 2
    lo = ", ".join(f"i32 {x}" for k in range(h) for x in (k, v + k))
    hi = ", ".join(f"i32 {x}" for k in range(h, v) for x in (k, v + k))
    ir = ["define void @turn(ptr noalias %src, ptr noalias %idx, i64 %lds, i64 %base, ptr noalias %dst, i64 %ldd,",
          "                  ptr noalias %bias, i64 %hb) {", "entry:"]
    for r in range(v):
        ir += [f"  %pi{r} = getelementptr i64, ptr %idx, i64 {r}", f"  %i{r} = load i64, ptr %pi{r}, align 8",
               f"  %m{r} = mul i64 %i{r}, %lds", f"  %o{r} = add i64 %m{r}, %base",
               f"  %ps{r} = getelementptr {ty}, ptr %src, i64 %o{r}", f"  %v0_{r} = load {vec}, ptr %ps{r}, align 4"]
    rounds = v.bit_length() - 1
    for s in range(rounds):
        for i in range(h):
            a, b = f"%v{s}_{i}", f"%v{s}_{i + h}"
            ir += [f"  %v{s + 1}_{2 * i} = shufflevector {vec} {a}, {vec} {b}, <{v} x i32> <{lo}>",
                   f"  %v{s + 1}_{2 * i + 1} = shufflevector {vec} {a}, {vec} {b}, <{v} x i32> <{hi}>"]
    ir += ["  %withb = icmp ne i64 %hb, 0", "  br i1 %withb, label %add, label %store", "add:"]
    for q in range(v):
        ir += [f"  %pb{q} = getelementptr {ty}, ptr %bias, i64 {q}", f"  %b{q} = load {ty}, ptr %pb{q}, align 4",
               f"  %bi{q} = insertelement {vec} poison, {ty} %b{q}, i64 0",
               f"  %bs{q} = shufflevector {vec} %bi{q}, {vec} poison, <{v} x i32> zeroinitializer",
               f"  %s{q} = fadd {vec} %v{rounds}_{q}, %bs{q}"]
    ir += ["  br label %store", "store:"]
    ir += [f"  %f{q} = phi {vec} [%v{rounds}_{q}, %entry], [%s{q}, %add]" for q in range(v)]
    for q in range(v):
        ir += [f"  %d{q} = mul i64 {q}, %ldd", f"  %pd{q} = getelementptr {ty}, ptr %dst, i64 %d{q}",
               f"  store {vec} %f{q}, ptr %pd{q}, align 4"]
    return "\n".join(ir + ["  ret void", "}"])


def _compile(dtype: Any, name: str) -> Any:
    """The compiled ``turn`` for ``dtype`` on ISA ``name`` as a ctypes function, or None."""
    ty = microkernel._TYPES[np.dtype(dtype)][0]
    addresses = microkernel.jit(name, lambda: _ir(ty, lanes(dtype)), ("turn",))
    if addresses is None:  # callers keep their loops
        return None
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    return ctypes.CFUNCTYPE(None, ptr, ptr, i64, i64, ptr, i64, ptr, i64)(addresses[0])


def turn_kernel(dtype: Any) -> tuple[Any, int]:
    """(the compiled block transpose for ``dtype`` on the current ISA, V), or (None, V) where there is none (a
    dtype other than float32 and float64, llvmlite unable to compile it)."""
    dtype = np.dtype(dtype)
    if dtype not in microkernel._TYPES:
        return None, 0
    key = (dtype, microkernel.isa())
    if key not in _built:
        _built[key] = (_compile(dtype, key[1]), lanes(dtype))
    return _built[key]
