"""Per-op overhead: forward + backward of ``y = a * b + c`` on 1-element and (256, 256) float32 tensors, ours vs torch.

    python -m benchmarks.overhead                  # table + results/overhead.{json,md}
    python -m benchmarks.overhead --profile        # also cProfile our 1-element step (top functions)

The 1-element case measures pure framework overhead (Function.apply, Tensor, the backward engine);
the (256, 256) case adds real elementwise work. Both sides run at the same thread count, are warmed
up, and are timed in turns (ours, torch, ours, ...); each timed call runs a block of steps and the
figure is the median per-step time over many calls, and the ratio ours/torch from the same run.
"""

from __future__ import annotations

import argparse
import os
import sys

from .harness import pin_threads

if __name__ == "__main__":
    pin_threads(next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--threads=")), 2))

import numpy as np  # noqa: E402

from .harness import apply_threads, interleaved, machine, write_results  # noqa: E402

SHAPES = [(1,), (256, 256)]


def _steps(shape: tuple, lib: str, forward_only: bool) -> tuple:
    """A callable running one step on fresh leaves a, b, c (same values on both sides)."""
    import torch

    import minitorch_cnn as mt

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) for _ in range(4)]
    if lib == "ours":
        a, b, c = (mt.tensor(x, requires_grad=True) for x in arrays[:3])
        g = mt.tensor(arrays[3])
    else:
        a, b, c = (torch.tensor(x, requires_grad=True) for x in arrays[:3])
        g = torch.tensor(arrays[3])

    def forward() -> None:
        a * b + c

    def step() -> None:
        (a * b + c).backward(g)

    return forward if forward_only else step


def _block(fn, n: int):
    def run() -> None:
        for _ in range(n):
            fn()

    return run


def measure(repeats: int, warmup: int) -> list[dict]:
    rows = []
    for shape in SHAPES:
        n = 200 if shape == (1,) else 10  # steps per timed call, so one call lasts ~milliseconds
        for what, fwd_only in (("forward", True), ("forward+backward", False)):
            fns = {lib: _block(_steps(shape, lib, fwd_only), n) for lib in ("ours", "torch")}
            res = interleaved(fns, repeats=repeats, warmup=warmup, sync=lambda: None)
            ours, theirs = res["ours"]["median_s"] / n, res["torch"]["median_s"] / n
            rows.append({"shape": list(shape), "what": what, "ours_us": ours * 1e6, "torch_us": theirs * 1e6,
                         "ratio": ours / theirs, "steps_per_call": n, "calls": repeats})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| shape | timed | ours (µs/step) | torch (µs/step) | ours / torch |", "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {tuple(r['shape'])} | {r['what']} | {r['ours_us']:.1f} | {r['torch_us']:.1f} | "
                     f"{r['ratio']:.2f} |")
    return "\n".join(lines)


def profile(top: int) -> None:
    """cProfile of 20,000 one-element steps of ours, sorted by own time."""
    import cProfile
    import pstats

    step = _steps((1,), "ours", forward_only=False)
    for _ in range(1000):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(20_000):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=60, help="timed calls per side and case (median taken)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=2, help="torch/BLAS threads for both sides (--threads=N)")
    p.add_argument("--profile", action="store_true", help="also cProfile our 1-element step")
    p.add_argument("--no-write", action="store_true", help="print only; keep results/ as it is")
    args = p.parse_args()
    apply_threads(args.threads)
    load_before = os.getloadavg()[0]
    rows = measure(args.repeats, args.warmup)
    md = table(rows)
    info = machine("cpu", args.threads)
    info["load_average_1min"] = [load_before, os.getloadavg()[0]]  # before, after: other processes on the cores
    print(md)
    if not args.no_write:
        header = (f"# Per-op overhead: `y = a * b + c`, float32\n\nMachine: {info['processor']}, "
                  f"{info['cpu_count']} CPUs, {info['platform']}; Python {info['python']}, NumPy {info['numpy']}, "
                  f"torch {info['torch']}, {info['threads']} threads; 1-minute load average "
                  f"{load_before:.1f} → {os.getloadavg()[0]:.1f} (torch's 2 threads slow down a lot when other "
                  f"processes hold a core: trust the ratio of a quiet run).\n\nCommand: `{info['command']}`\n\n")
        write_results("overhead", {"machine": info, "rows": rows}, header + md)
    if args.profile:
        profile(25)


if __name__ == "__main__":
    main()
