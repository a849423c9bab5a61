"""The GEMM calls of ResNet-18's wide 3×3 layers at one thread, each timed alone: GFLOP/s per call, OpenBLAS's and
the packed panels' (``numba_kernels.gemm_packed``).

    python -m benchmarks.gemm_shapes [--repeats=N]

For each layer (batch 64, one share of the whole batch, the chunk size ``conv_schedule`` picks) it lists the
GEMMs a chunk may make (forward, dx, dW, each in both orientations: weights or pixels as the long side) and times
one chunk's call, CPU time of the calling thread, medians: NumPy's own OpenBLAS (``blas.gemm``), the panels
packing both operands, and the panels with the weights packed beforehand (as ``conv_packed`` does once a share;
dW has no weights operand). The layer's whole forward and backward (ours, CPU time) is timed too, so that what
is not GEMM shows: layer − Σ calls × chunks.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from .harness import pin_threads

if __name__ == "__main__":
    pin_threads(1)

import numpy as np  # noqa: E402

LAYERS = ((128, 16, 128, 1), (256, 8, 256, 1), (512, 4, 512, 1), (128, 16, 256, 2), (256, 8, 512, 2))
BATCH = 64


def chunk_samples(c: int, h: int, co: int, s: int) -> int:
    """Samples per chunk the schedule takes for the backward of this 3×3 pad-1 layer at one thread."""
    from minitorch_cnn.kernels import conv_schedule

    oh = h // s
    L, K = oh * oh, 9 * c
    budget = 4 * BATCH * (c * h * h + co * L)
    return conv_schedule._samples_per_chunk(BATCH, K * L * 4, budget, co * K * 4, np)


def calls(c: int, h: int, co: int, s: int) -> list[tuple[str, str, str, int, int, int, str]]:
    """(name, trans_a, trans_b, M, N, K, weights operand "A"/"B"/"") of each GEMM a chunk may make:
    C (M, N) = op(A) (M, K) @ op(B) (K, N)."""
    oh = h // s
    m = chunk_samples(c, h, co, s) * oh * oh
    K = 9 * c
    return [
        ("fwd W@cols", "N", "N", co, m, K, "A"), ("fwd rows@Wt", "N", "T", m, co, K, "B"),
        ("dx Wt@g", "T", "N", K, m, co, "A"), ("dx gt@W", "T", "N", m, K, co, "B"),
        ("dW g@rows", "N", "N", co, K, m, ""), ("dW rowsT@g", "T", "T", K, co, m, ""),
    ]


def timed(fn: Callable[[], Any], repeats: int) -> float:
    """Median CPU seconds of the calling thread per call of ``fn`` (one warm-up call first)."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return float(np.median(times))


def blas_call(ta: str, tb: str, M: int, N: int, K: int, dtype: Any = np.float32) -> Callable[[], Any]:
    """A closure running that GEMM once with OpenBLAS on random operands."""
    from minitorch_cnn.kernels import blas

    rng = np.random.default_rng(0)
    a = rng.standard_normal((K, M) if ta == "T" else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if tb == "T" else (K, N)).astype(dtype)
    c = np.empty((M, N), dtype)
    gemm = blas.gemm(dtype)
    t = {"N": blas.NO_TRANS, "T": blas.TRANS}
    return lambda: gemm(blas.ROW_MAJOR, t[ta], t[tb], M, N, K, 1.0, a.ctypes.data, a.shape[1], b.ctypes.data,
                        b.shape[1], 0.0, c.ctypes.data, N)


def panel_call(ta: str, tb: str, M: int, N: int, K: int, prepacked: str, dtype: Any = np.float32) -> Any:
    """A closure running that GEMM once on the packed panels (``prepacked`` "A"/"B": that operand packed
    beforehand), or None where there is no panel kernel (an ISA without it)."""
    from minitorch_cnn.kernels import gemm_kernel
    from minitorch_cnn.kernels.numba_kernels import gemm_packed

    kernel, mr, nr = gemm_kernel.panel_kernel(dtype)
    if kernel is None:
        return None
    rng = np.random.default_rng(0)
    a = rng.standard_normal((K, M) if ta == "T" else (M, K)).astype(dtype).reshape(-1)
    b = rng.standard_normal((N, K) if tb == "T" else (K, N)).astype(dtype).reshape(-1)
    lda, ldb = (M if ta == "T" else K), (K if tb == "T" else N)
    c = np.empty(M * N, dtype)
    if prepacked == "A":
        packed = np.empty(-(-M // mr) * mr * K, dtype)
        gemm_packed.pack_a_all(a, ta == "T", lda, M, K, packed, mr)
        a = packed
    if prepacked == "B":
        packed = np.empty(-(-N // nr) * nr * K, dtype)
        gemm_packed.pack_b_all(b, tb == "T", ldb, K, N, packed, nr)
        b = packed
    return lambda: gemm_packed.packed_gemm(kernel, mr, nr, ta == "T", tb == "T", M, N, K, a, lda, prepacked == "A",
                                           b, ldb, prepacked == "B", c, N, False)


def layer_step(c: int, h: int, co: int, s: int) -> Callable[[], Any]:
    """Ours: forward + backward of the layer with a random upstream gradient."""
    import minitorch_cnn as mt

    rng = np.random.default_rng(0)
    x = mt.tensor(rng.standard_normal((BATCH, c, h, h)).astype(np.float32), requires_grad=True)
    w = mt.tensor((rng.standard_normal((co, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32), requires_grad=True)
    g = mt.tensor(rng.standard_normal((BATCH, co, h // s, h // s)).astype(np.float32))
    return lambda: mt.nn.functional.conv2d(x, w, stride=s, padding=1).backward(g)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    from .harness import apply_threads

    apply_threads(1)
    for c, h, co, s in LAYERS:
        n = chunk_samples(c, h, co, s)
        chunks = -(-BATCH // n)
        layer = timed(layer_step(c, h, co, s), max(3, args.repeats // 2))
        print(f"{c}->{co} 3x3 s{s} {h}x{h}: {n} samples a chunk, {chunks} chunks; layer fwd+bwd {layer * 1e3:.1f} ms")
        for name, ta, tb, M, N, K, weights in calls(c, h, co, s):
            flops = 2 * M * N * K / 1e9
            t = timed(blas_call(ta, tb, M, N, K), args.repeats)
            line = (f"  {name:12s} ({M:5d}, {K:5d}) @ ({K:5d}, {N:5d}) {ta}{tb}: OpenBLAS {t * 1e3:7.3f} ms a chunk, "
                    f"{t * chunks * 1e3:6.1f} ms a layer, {flops / t:6.1f} GFLOP/s")
            for label, pre in (("panels", ""), (f"{weights} packed", weights))[: 2 if weights else 1]:
                fn = panel_call(ta, tb, M, N, K, pre)
                if fn is not None:
                    line += f"; {label} {flops / timed(fn, args.repeats):6.1f}"
            print(line)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
