"""Register-blocked convolution micro-kernels, written in LLVM IR and compiled by llvmlite (Numba's backend).

Why not Numba: the micro-kernel must keep a 4 × 3-vector block of output sums in registers while it runs
over the whole reduction (channels × taps), loading each input vector once for four output channels. Numba's
loops keep the sums in memory (a load and a store per multiply-add, and no reuse of the loaded input across
output channels), and its vectoriser did not make register blocks out of scalar code. In IR the block is
twelve SSA vectors and the loop is ``llvm.fma`` on them, which outruns OpenBLAS's whole GEMM on the small-M conv
shapes (figures in benchmarks/results/NOTES.md).

The output-block kernel (``output_block_kernel(dtype)`` gives it; called as ``tile(mr, K, A, lda, X, offs, C,
ldc)``) computes, for r < mr (1 to 4) and q < NR:

    C[r·ldc + q] = Σ_{k < K} A[r·lda + k] · X[offs[k] + q]

NR is three vectors: their width is the ISA's (``isa()``): 512-bit on a CPU with AVX-512 (16 float32 or 8
float64 lanes), else 256-bit (AVX2's 8 and 4; a CPU without AVX2 gets the same code lowered by LLVM for its own
vector width). ``set_isa("avx2")`` (or ``MINITORCH_ISA=avx2`` before the first conv) forces the narrower code on
an AVX-512 CPU, compiled without AVX-512 as an AVX2-only CPU would run it, so every path can be tested and timed
on one machine. With X a zero-padded input plane stack, offs[k] the flat offset of tap k
(channel c, kernel row i, column j: c·Hp·Wp + i·Wp + j) and A the weights, it is a stride-1 convolution
computed directly on the padded plane's row pitch (``numba_kernels.conv_direct.conv_tiles``): no columns. The
products are summed in k order with one rounding each (fused multiply-add), so the results equal a GEMM's to rounding,
not bit for bit.

A second kernel, the weight-gradient one (``weight_grad_kernel(dtype)`` gives it; called as ``dots(rows, taps, Q,
G, ldg, X, offs, C, ldc)``), gives dW: for r < rows (1 to 3) and t < taps (1 to 4),
C[r·ldc + t] = Σ_{q < Q} G[r·ldg + q] · X[offs[t] + q], twelve vector sums over q (Q a multiple of the lanes)
added up across their lanes at the end.

Compiled once per process, dtype and ISA on first use (the first compile also loads LLVM's native target),
for the host CPU; ``output_block_kernel(dtype)`` is None where llvmlite cannot compile it, and callers
then keep to im2col + GEMM.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Callable
from typing import Any

import numpy as np

MR, VECTORS = 4, 3  # the register block: 4 output rows × 3 vectors (12 accumulators of AVX2's 16 registers)
_TYPES = {np.dtype(np.float32): ("float", 32), np.dtype(np.float64): ("double", 64)}
ISA_BITS = {"avx2": 256, "avx512": 512}  # vector width of each ISA's kernels, narrowest first
_built: dict[Any, Any] = {}  # (dtype, isa) -> (tile, dots, vector lanes): ctypes functions, or (None, None, 0)
_engines: list[Any] = []  # the execution engines: the compiled code lives as long as they do
_forced: list[str | None] = [os.environ.get("MINITORCH_ISA") or None]


@functools.cache
def _host_features() -> dict[str, bool]:
    """The host CPU's features as LLVM names them ({} where llvmlite cannot tell); asked once, as every kernel
    call looks up its ISA (``isa()``) and the query costs as much as a small layer's kernel. Read-only."""
    try:
        import llvmlite.binding as llvm

        return dict(llvm.get_host_cpu_features())
    except Exception:  # noqa: BLE001 - no llvmlite or no feature query: the 256-bit code, lowered by LLVM
        return {}


def available_isas() -> list[str]:
    """The ISAs whose kernels this CPU can run, narrowest first (\"avx2\" always: on a CPU without AVX2 its
    256-bit code is lowered by LLVM to what the CPU has)."""
    return ["avx2", "avx512"] if _host_features().get("avx512f") else ["avx2"]


def set_isa(name: str | None) -> None:
    """Force the kernels' ISA (\"avx2\" or \"avx512\"); None returns to the widest the host runs."""
    if name is not None and name not in available_isas():
        raise ValueError(f"ISA {name!r} cannot run on this CPU: it runs {available_isas()}")
    _forced[0] = name


def isa() -> str:
    """The ISA the kernels are compiled for now: the forced one, else the widest the host runs."""
    forced, isas = _forced[0], available_isas()
    if forced is not None and forced not in isas:
        raise ValueError(f"MINITORCH_ISA={forced!r} cannot run on this CPU: it runs {isas}")
    return forced or isas[-1]


def _intrinsic(name: str, ty: str, lanes: int) -> str:
    """The name of LLVM's intrinsic ``name`` on vectors of ``lanes`` ``ty``s, e.g. ``@llvm.fma.v8f32``."""
    return f"@llvm.{name}.v{lanes}f{32 if ty == 'float' else 64}"


def _block(rows: int, ty: str, lanes: int) -> list[str]:
    """IR of ``@rows{rows}``: the kernel for exactly ``rows`` output rows (see the module docstring)."""
    vec, fma = f"<{lanes} x {ty}>", _intrinsic("fma", ty, lanes)
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
    ir = [f"declare {vec} {_intrinsic('fma', ty, lanes)}({vec}, {vec}, {vec})"]
    for rows in range(1, MR + 1):
        ir += _block(rows, ty, lanes)
    args = "i64 %K, ptr %A, i64 %lda, ptr %X, ptr %offs, ptr %C, i64 %ldc"
    ir += [f"define void @tile(i64 %mr, {args}) {{", "entry:",
           f"  switch i64 %mr, label %r{MR} [ " + " ".join(f"i64 {r}, label %r{r}" for r in range(1, MR)) + " ]"]
    for rows in range(1, MR + 1):
        ir += [f"r{rows}:", f"  call void @rows{rows}({args})", "  ret void"]
    return "\n".join(ir + ["}"])


DOT_ROWS, DOT_TAPS = 3, 4  # the dot kernel's block: 3 rows of g × 4 taps (12 vector sums)


def _dot_block(rows: int, taps: int, ty: str, lanes: int) -> list[str]:
    """IR of ``@dot{rows}_{taps}``: C[r·ldc + t] = Σ_{q < Q} G[r·ldg + q] · X[offs[t] + q] (Q a multiple of lanes)."""
    vec, fma, red = f"<{lanes} x {ty}>", _intrinsic("fma", ty, lanes), _intrinsic("vector.reduce.fadd", ty, lanes)
    ir = [f"define internal void @dot{rows}_{taps}(i64 %Q, ptr %G, i64 %ldg, ptr %X, ptr %offs, ptr %C, i64 %ldc) "
          "alwaysinline {", "entry:"]
    for t in range(taps):
        ir += [f"  %pt{t} = getelementptr i64, ptr %offs, i64 {t}", f"  %o{t} = load i64, ptr %pt{t}, align 8"]
    ir += ["  br label %loop", "loop:", "  %q = phi i64 [0, %entry], [%q1, %loop]"]
    for r in range(rows):
        for t in range(taps):
            ir.append(f"  %s{r}_{t} = phi {vec} [zeroinitializer, %entry], [%n{r}_{t}, %loop]")
    for r in range(rows):
        ir += [f"  %go{r} = mul i64 {r}, %ldg", f"  %gq{r} = add i64 %go{r}, %q",
               f"  %pg{r} = getelementptr {ty}, ptr %G, i64 %gq{r}", f"  %g{r} = load {vec}, ptr %pg{r}, align 4"]
    for t in range(taps):
        ir += [f"  %xq{t} = add i64 %o{t}, %q", f"  %px{t} = getelementptr {ty}, ptr %X, i64 %xq{t}",
               f"  %x{t} = load {vec}, ptr %px{t}, align 4"]
        for r in range(rows):
            ir.append(f"  %n{r}_{t} = call {vec} {fma}({vec} %g{r}, {vec} %x{t}, {vec} %s{r}_{t})")
    ir += [f"  %q1 = add i64 %q, {lanes}", "  %more = icmp slt i64 %q1, %Q",
           "  br i1 %more, label %loop, label %done", "done:"]
    for r in range(rows):
        ir.append(f"  %co{r} = mul i64 {r}, %ldc")
        for t in range(taps):  # the lanes' sums added as a tree (reassoc): one rounding order, fixed
            ir += [f"  %v{r}_{t} = call reassoc {ty} {red}({ty} -0.0, {vec} %n{r}_{t})",
                   f"  %ct{r}_{t} = add i64 %co{r}, {t}", f"  %pc{r}_{t} = getelementptr {ty}, ptr %C, i64 %ct{r}_{t}",
                   f"  store {ty} %v{r}_{t}, ptr %pc{r}_{t}, align 4"]
    return ir + ["  ret void", "}"]


def _dot_module(ty: str, lanes: int) -> list[str]:
    """IR of ``@dots``: a switch on (rows, taps) over the twelve blocks."""
    ir = [f"declare {ty} {_intrinsic('vector.reduce.fadd', ty, lanes)}({ty}, <{lanes} x {ty}>)"]
    cases = [(r, t) for r in range(1, DOT_ROWS + 1) for t in range(1, DOT_TAPS + 1)]
    for r, t in cases:
        ir += _dot_block(r, t, ty, lanes)
    args = "i64 %Q, ptr %G, i64 %ldg, ptr %X, ptr %offs, ptr %C, i64 %ldc"
    ir += [f"define void @dots(i64 %rows, i64 %taps, {args}) {{", "entry:",
           "  %r4 = mul i64 %rows, 4", "  %key = add i64 %r4, %taps",
           f"  switch i64 %key, label %c{DOT_ROWS}_{DOT_TAPS} [ "
           + " ".join(f"i64 {4 * r + t}, label %c{r}_{t}" for r, t in cases[:-1]) + " ]"]
    for r, t in cases:
        ir += [f"c{r}_{t}:", f"  call void @dot{r}_{t}({args})", "  ret void"]
    return ir + ["}"]


def _target(name: str) -> tuple[Any, Any]:
    """(llvmlite's binding, a target machine for the host CPU restricted to ISA ``name``)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    features = _host_features()
    if name != "avx512":  # compiled as an AVX2-only CPU runs it: no EVEX encodings, 16 vector registers
        features = {k: on and not k.startswith(("avx512", "avx10", "evex512", "amx")) for k, on in features.items()}
    flags = ",".join(("+" if on else "-") + k for k, on in features.items())
    return llvm, llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=flags, opt=3)


def _ir(dtype: Any, name: str) -> str:
    """The IR of ``tile`` and ``dots`` for ``dtype`` with ISA ``name``'s vectors."""
    ty, bits = _TYPES[np.dtype(dtype)]
    lanes = ISA_BITS[name] // bits
    return _module(ty, lanes) + "\n" + "\n".join(_dot_module(ty, lanes))


def assembly(dtype: Any, name: str) -> str:
    """The machine code of ``tile`` and ``dots`` for ``dtype`` and ISA ``name``, as text (for reading, and for
    the tests that check a forced narrower ISA really is compiled without the wider one's instructions)."""
    llvm, machine = _target(name)
    return machine.emit_assembly(llvm.parse_assembly(_ir(dtype, name)))


def jit(name: str, ir: Callable[[], str], symbols: tuple[str, ...]) -> tuple[int, ...] | None:
    """The addresses of ``symbols`` in the LLVM IR that ``ir()`` writes, compiled for ISA ``name`` at speed level 3
    (the engine, and so the code, kept for the process), or None on any failure (old llvmlite, no native target)."""
    try:
        llvm, machine = _target(name)
        module = llvm.parse_assembly(ir())
        module.verify()
        passes = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options(speed_level=3))
        passes.getModulePassManager().run(module, passes)
        engine = llvm.create_mcjit_compiler(module, machine)
        engine.finalize_object()
        addresses = tuple(engine.get_function_address(s) for s in symbols)
    except Exception:  # noqa: BLE001 - any failure: the callers keep their fallbacks
        return None
    _engines.append(engine)
    return addresses


def _compile(dtype: Any, name: str) -> tuple[Any, Any]:
    """The compiled ``tile`` and ``dots`` for ``dtype`` and ISA ``name`` as ctypes functions, or (None, None)
    where llvmlite cannot build them."""
    addresses = jit(name, lambda: _ir(dtype, name), ("tile", "dots"))
    if addresses is None:  # callers use im2col + GEMM
        return None, None
    tile_at, dots_at = addresses
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    return (ctypes.CFUNCTYPE(None, i64, i64, ptr, i64, ptr, ptr, ptr, i64)(tile_at),
            ctypes.CFUNCTYPE(None, i64, i64, i64, ptr, i64, ptr, ptr, ptr, i64)(dots_at))


def _kernels(dtype: Any) -> tuple[Any, Any, int]:
    """(tile, dots, vector lanes) for ``dtype`` on the current ISA, compiled on first use; (None, None, 0) where
    they cannot be."""
    dtype = np.dtype(dtype)
    if dtype not in _TYPES:
        return None, None, 0
    key = (dtype, isa())
    if key not in _built:
        tile_fn, dots_fn = _compile(dtype, key[1])
        _built[key] = (tile_fn, dots_fn, ISA_BITS[key[1]] // _TYPES[dtype][1] if tile_fn is not None else 0)
    return _built[key]


def output_block_kernel(dtype: Any) -> tuple[Any, int]:
    """(the compiled output-block kernel ``tile`` for ``dtype`` or None, its NR: lanes per row); float32 and
    float64 only."""
    fn, _, lanes = _kernels(dtype)
    return fn, VECTORS * lanes


def weight_grad_kernel(dtype: Any) -> tuple[Any, int]:
    """(the compiled weight-gradient kernel ``dots`` for ``dtype`` or None, its vector lanes: Q must be a
    multiple of them)."""
    _, fn, lanes = _kernels(dtype)
    return fn, lanes
