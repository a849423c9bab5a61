"""One transposed conv layer, forward + backward, ours vs torch: a DCGAN generator's upsampling step,
(32, 128, 8, 8) -> (32, 64, 16, 16) float32, 4×4, stride 2, padding 1.

    python -m benchmarks.conv_transpose_layer         # table + results/conv_transpose_layer.{json,md}

Ours runs conv2d's kernels (its dx path forwards, its forward and dW paths backwards: ops/conv_transpose.py);
torch runs its own CPU transposed convolution. Same thread count on both sides (2 by default), timed in turns
after a warm-up (``harness.interleaved``); the ratio ours/torch comes from the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from .harness import pin_threads

if __name__ == "__main__":
    pin_threads(next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--threads=")), 2))

import numpy as np  # noqa: E402

from .harness import apply_threads, interleaved, machine, write_results  # noqa: E402


def _steps(shape: tuple, out_channels: int, k: int, stride: int, pad: int, paths: list[str]) -> dict:
    import torch
    import torch.nn.functional as F

    import minitorch_cnn as mt
    from minitorch_cnn.kernels import use_kernels
    from minitorch_cnn.ops.conv_transpose import conv_transpose2d

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((shape[1], out_channels, k, k)) / np.sqrt(shape[1] * k * k)).astype(np.float32)
    b = rng.standard_normal(out_channels).astype(np.float32)
    out_hw = tuple((n - 1) * stride - 2 * pad + k for n in shape[2:])
    g = rng.standard_normal((shape[0], out_channels, *out_hw)).astype(np.float32)
    ours = [mt.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    tg, mg = torch.tensor(g), mt.tensor(g)

    def ours_step(path: str) -> Callable:
        def run() -> None:
            for t in ours:
                t.grad = None
            with use_kernels(path):
                conv_transpose2d(*ours, stride=stride, padding=pad).backward(mg)

        return run

    def torch_step() -> None:
        for t in theirs:
            t.grad = None
        F.conv_transpose2d(*theirs, stride=stride, padding=pad).backward(tg)

    def parity(path: str) -> dict:
        ours_step(path)()
        torch_step()
        with use_kernels(path):
            y = conv_transpose2d(*ours, stride=stride, padding=pad)
        ty = F.conv_transpose2d(*theirs, stride=stride, padding=pad).detach().numpy()
        pairs = [("y", y._data, ty)] + [(n, a.grad._data, t.grad.numpy()) for n, a, t in
                                        zip(("dx", "dw", "db"), ours, theirs)]
        return {n: float(np.abs(a - t).max() / np.abs(t).max()) for n, a, t in pairs}

    fns = {"torch forward+backward": torch_step}
    fns.update({f"ours[{p}] forward+backward": ours_step(p) for p in paths})
    return {"fns": fns, "parity": parity}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    apply_threads(args.threads)
    from minitorch_cnn.kernels import dispatch

    paths = dispatch.available("cpu")
    shape, out_channels, k, stride, pad = (32, 128, 8, 8), 64, 4, 2, 1
    load_before = os.getloadavg()[0]
    steps = _steps(shape, out_channels, k, stride, pad, paths)
    times = interleaved(steps["fns"], args.repeats, args.warmup, lambda: None)
    ratio = {p: times[f"ours[{p}] forward+backward"]["median_s"] / times["torch forward+backward"]["median_s"]
             for p in paths}
    load = (load_before, os.getloadavg()[0])
    payload = {
        "benchmark": "conv_transpose_layer",
        "load_average_1min": load,
        "layer": {"input": shape, "out_channels": out_channels, "kernel": k, "stride": stride, "padding": pad,
                  "dtype": "float32"},
        "machine": machine("cpu"),
        "times": times,
        "ratio_ours_over_torch": ratio,
        "parity_rel_err": {p: steps["parity"](p) for p in paths},
    }
    lines = [f"# conv_transpose2d {shape} -> {out_channels} channels, float32, {k}×{k} stride {stride} pad {pad} "
             f"({args.threads} threads, median of {args.repeats})", "", "| run | median ms | min ms |", "|---|---|---|"]
    lines += [f"| {n} | {t['median_s'] * 1e3:.1f} | {t['min_s'] * 1e3:.1f} |" for n, t in times.items()]
    lines += ["", "ours / torch (medians): " + ", ".join(f"{p} {r:.2f}×" for p, r in ratio.items())]
    for p, errs in payload["parity_rel_err"].items():
        lines += ["", f"parity, {p} kernels (max|ours - torch| / max|torch|): "
                  + ", ".join(f"{n} {e:.1e}" for n, e in errs.items())]
    m = payload["machine"]
    lines += ["", f"`{m['command']}` on {m.get('cpu_model', '?')} ({m['cpu_count']} cores, 1-min load average "
              f"{load[0]:.1f} before, {load[1]:.1f} after), numpy {m['numpy']}, torch {m['torch']}"]
    table = "\n".join(lines)
    write_results("conv_transpose_layer", payload, table)
    print(table)


if __name__ == "__main__":
    main()
