"""One conv layer, forward + backward: (64, 64, 32, 32) float32, 3×3, padding 1, ours vs torch.

    python -m benchmarks.conv_layer                   # table + results/conv_layer.{json,md}
    python -m benchmarks.conv_layer --alternatives    # also the im2col layouts we chose between

Both sides run at the same thread count (2 by default), are warmed up and timed in turns (torch, then
ours under each available CPU kernel path, ...); figures are medians of ``--repeats`` runs and the ratios
ours/torch come from the same run. The 1-minute load average is recorded: with other processes on the
cores, 2-thread OpenBLAS GEMMs slow down far more than torch's, so compare figures taken on a quiet machine.
``--alternatives`` times three ways to lay out the im2col GEMM, written as bare NumPy with their buffers
reused, so only the layout differs:
- channel-major (conv2d's layout): cols (C·k·k, N·OH·OW), one GEMM W @ cols for the whole batch;
- per-sample: cols (N, C·k·k, OH·OW), a batched matmul W @ cols[n] writing (N, O, OH·OW) directly;
- channels-last: cols (N·OH·OW, k·k·C), cols @ Wᵀ giving (N·OH·OW, O), the GEMM shape of NHWC frameworks.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from .harness import pin_threads

if __name__ == "__main__":
    pin_threads(next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--threads=")), 2))

import numpy as np  # noqa: E402

from .harness import apply_threads, interleaved, machine, write_results  # noqa: E402


def _layers(shape: tuple, out_channels: int, k: int, pad: int, paths: list[str]) -> dict:
    """Forward-only and forward+backward callables, torch's and ours under each kernel path, on the same arrays."""
    import torch
    import torch.nn.functional as F

    import minitorch_cnn as mt
    from minitorch_cnn.kernels import use_kernels
    from minitorch_cnn.ops.conv import conv2d

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((out_channels, shape[1], k, k)) / np.sqrt(shape[1] * k * k)).astype(np.float32)
    b = rng.standard_normal(out_channels).astype(np.float32)
    out_hw = shape[2] + 2 * pad - k + 1, shape[3] + 2 * pad - k + 1
    g = rng.standard_normal((shape[0], out_channels, *out_hw)).astype(np.float32)
    ours = [mt.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    tg = torch.tensor(g)

    def ours_forward(path: str) -> Callable:
        def run() -> Any:
            with use_kernels(path):
                return conv2d(*ours, padding=pad)

        return run

    def ours_step(path: str) -> Callable:
        def run() -> None:
            for t in ours:
                t.grad = None
            with use_kernels(path):
                conv2d(*ours, padding=pad).backward(g)

        return run

    def torch_step() -> None:
        for t in theirs:
            t.grad = None
        F.conv2d(*theirs, padding=pad).backward(tg)

    def parity(path: str) -> dict:
        ours_step(path)()
        torch_step()
        y, ty = ours_forward(path)(), F.conv2d(*theirs, padding=pad)
        pairs = [("y", y._data, ty)] + [(n, a.grad._data, t.grad) for n, a, t in zip(("dx", "dw", "db"), ours, theirs)]
        return {n: float(np.abs(a - t.detach().numpy()).max() / np.abs(t.detach().numpy()).max()) for n, a, t in pairs}

    forward = {"torch forward": lambda: F.conv2d(*theirs, padding=pad)}
    step = {"torch forward+backward": torch_step}
    for path in paths:
        forward[f"ours[{path}] forward"] = ours_forward(path)
        step[f"ours[{path}] forward+backward"] = ours_step(path)
    return {"fns": {**forward, **step}, "ours_step": ours_step, "parity": parity}


def _alternatives(shape: tuple, O: int, k: int, p: int) -> dict:
    """Bare forward+backward (y, dx, dW) for each im2col layout, buffers allocated once (stride 1)."""
    N, C, H, W = shape
    L, CKK = H * W, C * k * k
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((O, C, k, k)).astype(np.float32)
    g = rng.standard_normal((N, O, H, W)).astype(np.float32)
    f32 = np.float32

    def channel_major() -> Callable:
        xp, dxp = np.zeros((C, N, H + 2 * p, W + 2 * p), f32), np.zeros((C, N, H + 2 * p, W + 2 * p), f32)
        cols, dcols = np.empty((C, k, k, N, H, W), f32), np.empty((C, k, k, N, H, W), f32)
        y2, g2, w2 = np.empty((O, N * L), f32), np.empty((O, N, H, W), f32), w.reshape(O, CKK)

        def step() -> None:
            xp[:, :, p : p + H, p : p + W] = x.transpose(1, 0, 2, 3)
            for i in range(k):
                for j in range(k):
                    cols[:, i, j] = xp[:, :, i : i + H, j : j + W]
            np.matmul(w2, cols.reshape(CKK, -1), out=y2)
            np.ascontiguousarray(y2.reshape(O, N, H, W).transpose(1, 0, 2, 3))
            g2[...] = g.transpose(1, 0, 2, 3)
            g2.reshape(O, -1) @ cols.reshape(CKK, -1).T
            np.matmul(w2.T, g2.reshape(O, -1), out=dcols.reshape(CKK, -1))
            dxp[...] = 0
            for i in range(k):
                for j in range(k):
                    dxp[:, :, i : i + H, j : j + W] += dcols[:, i, j]
            np.ascontiguousarray(dxp[:, :, p : p + H, p : p + W].transpose(1, 0, 2, 3))

        return step

    def per_sample() -> Callable:
        xp, dxp = np.zeros((N, C, H + 2 * p, W + 2 * p), f32), np.zeros((N, C, H + 2 * p, W + 2 * p), f32)
        cols, dcols = np.empty((N, C, k, k, H, W), f32), np.empty((N, C, k, k, H, W), f32)
        y, dw_n, w2 = np.empty((N, O, L), f32), np.empty((N, O, CKK), f32), w.reshape(O, CKK)

        def step() -> None:
            xp[:, :, p : p + H, p : p + W] = x
            for i in range(k):
                for j in range(k):
                    cols[:, :, i, j] = xp[:, :, i : i + H, j : j + W]
            np.matmul(w2, cols.reshape(N, CKK, L), out=y)
            np.matmul(g.reshape(N, O, L), cols.reshape(N, CKK, L).transpose(0, 2, 1), out=dw_n)
            dw_n.sum(axis=0)
            np.matmul(w2.T, g.reshape(N, O, L), out=dcols.reshape(N, CKK, L))
            dxp[...] = 0
            for i in range(k):
                for j in range(k):
                    dxp[:, :, i : i + H, j : j + W] += dcols[:, :, i, j]
            dxp[:, :, p : p + H, p : p + W].copy()

        return step

    def channels_last() -> Callable:
        xp, dxp = np.zeros((N, H + 2 * p, W + 2 * p, C), f32), np.zeros((N, H + 2 * p, W + 2 * p, C), f32)
        cols, dcols = np.empty((N, H, W, k, k, C), f32), np.empty((N, H, W, k, k, C), f32)
        y2, g2 = np.empty((N * L, O), f32), np.empty((N, H, W, O), f32)
        w2 = np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(O, CKK)

        def step() -> None:
            xp[:, p : p + H, p : p + W] = x.transpose(0, 2, 3, 1)
            for i in range(k):
                for j in range(k):
                    cols[:, :, :, i, j] = xp[:, i : i + H, j : j + W]
            np.matmul(cols.reshape(-1, CKK), w2.T, out=y2)
            np.ascontiguousarray(y2.reshape(N, H, W, O).transpose(0, 3, 1, 2))
            g2[...] = g.transpose(0, 2, 3, 1)
            g2.reshape(-1, O).T @ cols.reshape(-1, CKK)
            np.matmul(g2.reshape(-1, O), w2, out=dcols.reshape(-1, CKK))
            dxp[...] = 0
            for i in range(k):
                for j in range(k):
                    dxp[:, i : i + H, j : j + W] += dcols[:, :, :, i, j]
            np.ascontiguousarray(dxp[:, p : p + H, p : p + W].transpose(0, 3, 1, 2))

        return step

    return {
        "channel-major (C·k·k, N·L), one GEMM [conv2d]": channel_major(),
        "per-sample (N, C·k·k, L), batched GEMM": per_sample(),
        "channels-last (N·L, k·k·C), one GEMM": channels_last(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--channels", type=int, default=64, help="in and out channels")
    ap.add_argument("--size", type=int, default=32, help="height = width")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--alternatives", action="store_true", help="also time the im2col layouts")
    args = ap.parse_args()
    apply_threads(args.threads)

    from minitorch_cnn.kernels import dispatch, workspace

    paths = dispatch.available("cpu")
    shape, k, pad = (args.batch, args.channels, args.size, args.size), 3, 1
    load_before = os.getloadavg()[0]
    layer = _layers(shape, args.channels, k, pad, paths)
    times = interleaved(layer["fns"], args.repeats, args.warmup, lambda: None)
    workspace.set_limit(0)  # the reference's step with every buffer freshly allocated
    fresh = {"ours[numpy] forward+backward, no buffer reuse": layer["ours_step"]("numpy")}
    times.update(interleaved(fresh, max(5, args.repeats // 2), 1, lambda: None))
    workspace.set_limit(1 << 30)
    flops = 2 * args.batch * args.size**2 * args.channels**2 * k * k  # one GEMM's multiply-adds × 2
    for name, t in times.items():
        t["gflops"] = (flops if "forward+" not in name else 3 * flops) / t["median_s"] / 1e9
    ratio = {
        f"{path} {part}": times[f"ours[{path}] {part}"]["median_s"] / times[f"torch {part}"]["median_s"]
        for path in paths
        for part in ("forward", "forward+backward")
    }
    alternatives = {}
    if args.alternatives:
        alternatives = interleaved(_alternatives(shape, args.channels, k, pad), args.repeats, args.warmup, lambda: None)

    load = (load_before, os.getloadavg()[0])  # other processes on the cores make 2-thread BLAS erratic
    payload = {
        "benchmark": "conv_layer",
        "load_average_1min": load,
        "layer": {"input": shape, "out_channels": args.channels, "kernel": k, "padding": pad, "dtype": "float32"},
        "kernel_paths": paths,
        "machine": machine("cpu", args.threads),
        "times": times,
        "ratio_ours_over_torch": ratio,
        "parity_rel_err": {path: layer["parity"](path) for path in paths},
        "alternatives": alternatives,
    }
    lines = [
        f"# conv2d {shape} float32, {k}×{k} pad {pad}, {args.channels} out channels ({args.threads} threads, "
        f"median of {args.repeats}, kernel paths {', '.join(paths)})",
        "",
        "| run | median ms | min ms | GFLOP/s |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {n} | {t['median_s'] * 1e3:.1f} | {t['min_s'] * 1e3:.1f} | {t['gflops']:.0f} |" for n, t in times.items()
    ]
    lines += ["", "ours / torch (medians): " + ", ".join(f"{p} {r:.2f}×" for p, r in ratio.items())]
    for path, errs in payload["parity_rel_err"].items():
        lines += ["", f"parity, {path} kernels (max|ours - torch| / max|torch|): "]
        lines[-1] += ", ".join(f"{n} {e:.1e}" for n, e in errs.items())
    if alternatives:
        lines += ["", "## im2col layouts, bare NumPy forward+backward, buffers reused", "", "| layout | median ms |"]
        lines += ["|---|---|"] + [f"| {n} | {t['median_s'] * 1e3:.1f} |" for n, t in alternatives.items()]
    m = payload["machine"]
    lines += ["", f"`{m['command']}` on {m.get('cpu_model', '?')} ({m['cpu_count']} cores, 1-min load average "
              f"{load[0]:.1f} before, {load[1]:.1f} after), numpy {m['numpy']}, torch {m['torch']}"]  # fmt: skip
    table = "\n".join(lines)
    write_results("conv_layer", payload, table)
    print(table)


if __name__ == "__main__":
    main()
