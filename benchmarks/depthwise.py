"""Depthwise conv2d (groups == channels), forward + backward with a random upstream gradient, float32, 1 thread:
torch, our depthwise kernels (``conv_depthwise``) and the grouped im2col + GEMM path they replaced, in one process.

    python -m benchmarks.depthwise        # table + results/depthwise.{json,md}

Times are CPU seconds of this process (``time.process_time``) rather than wall time, so that other processes on
a shared machine count less; each is the median of ``--repeats`` calls taken in turns (torch, ours, the GEMM
path, torch, ...), so load hits all three alike.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from .harness import pin_threads

if __name__ == "__main__":
    pin_threads(1)

import numpy as np  # noqa: E402

from .harness import apply_threads, machine, write_results  # noqa: E402

LAYERS = (  # (N, C, H, k, stride): MobileNetV2's / EfficientNet-B0's depthwise layers, and a large batch
    (8, 32, 32, 3, 1), (8, 96, 16, 3, 2), (8, 144, 16, 3, 1), (8, 240, 8, 5, 1), (64, 64, 32, 3, 1),
)


def _steps(N: int, C: int, H: int, k: int, s: int) -> dict[str, Callable[[], Any]]:
    """torch's step, ours, and ours on the GEMM path, on the same float32 arrays."""
    import torch

    import minitorch_cnn as mt
    from minitorch_cnn.kernels.numba_kernels import conv_depthwise
    from minitorch_cnn.ops.conv import conv2d

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, H)).astype(np.float32)
    w = (rng.standard_normal((C, 1, k, k)) / k).astype(np.float32)
    b = rng.standard_normal(C).astype(np.float32)
    oh = (H + 2 * (k // 2) - k) // s + 1
    g = rng.standard_normal((N, C, oh, oh)).astype(np.float32)
    ours = [mt.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    mg, tg = mt.tensor(g), torch.tensor(g)

    def torch_step() -> None:
        torch.nn.functional.conv2d(*theirs, stride=s, padding=k // 2, groups=C).backward(tg)

    def ours_step(rows: bool) -> Callable[[], None]:
        def run() -> None:
            conv_depthwise.USE_DEPTHWISE = rows
            try:
                conv2d(*ours, stride=s, padding=k // 2, groups=C).backward(mg)
            finally:
                conv_depthwise.USE_DEPTHWISE = True
        return run

    return {"torch": torch_step, "ours": ours_step(True), "ours_gemm": ours_step(False)}


def cpu_times(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median CPU seconds of each callable, one call of each in turn after two untimed rounds."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(repeats + 2):
        for name, fn in fns.items():
            t0 = time.process_time()
            fn()
            if r >= 2:
                times[name].append(time.process_time() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    apply_threads(1)
    rows, lines = [], ["| N | C | H | k | s | ours ms | GEMM path ms | torch ms | ours/torch |", "|---" * 9 + "|"]
    for layer in LAYERS:
        t = cpu_times(_steps(*layer), args.repeats)
        rows.append({"layer": layer, **t})
        lines.append("| " + " | ".join(map(str, layer)) + f" | {t['ours'] * 1e3:.2f} | {t['ours_gemm'] * 1e3:.2f} | "
                     f"{t['torch'] * 1e3:.2f} | {t['ours'] / t['torch']:.2f} |")
    table = "\n".join(lines)
    print(table)
    write_results("depthwise", {"machine": machine("cpu", 1), "repeats": args.repeats, "rows": rows}, table)


if __name__ == "__main__":
    main()
