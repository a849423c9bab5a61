"""Attention, ours vs torch (float32, CPU): ``F.scaled_dot_product_attention`` and ``nn.TransformerEncoderLayer``,
forward + backward (random upstream gradient), on shapes of the census scripts and of ViT-Ti/ViT-B.

    python -m benchmarks.attention                 # table + results/attention.{json,md}
    python -m benchmarks.attention --no-write

Ours is composed of matmul, softmax, where and dropout (ops/attention.py); torch's CPU path for these calls is its
fused flash-attention kernel (the math path only when a mask or dropout forces it). Both sides: same inputs and
weights, same thread count, warmed up, timed in turns; the figure is the median and the ratio ours/torch from the
same run.
"""

from __future__ import annotations

import argparse
import os
import sys

from .harness import pin_threads

if __name__ == "__main__":
    pin_threads(next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--threads=")), 1))

import numpy as np  # noqa: E402

from .harness import apply_threads, interleaved, machine, write_results  # noqa: E402

# name -> (batch, heads, seq, head_dim)
SHAPES = {
    "lm_tutorial": (20, 2, 35, 16),
    "vit_cifar": (32, 4, 17, 8),
    "vit_ti": (8, 3, 197, 64),
    "vit_b": (2, 12, 197, 64),
}


def _sdpa_sides(shape: tuple, causal: bool) -> dict:
    import torch

    import minitorch_cnn as mt

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(np.float32) for _ in range(4)]

    def side(lib: object) -> object:
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays[:3])
        g = lib.tensor(arrays[3])

        def step() -> None:
            out = lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
            out.backward(g)

        return step

    return {"ours": side(mt), "torch": side(torch)}


def _layer_sides(shape: tuple) -> dict:
    import torch

    import minitorch_cnn as mt

    batch, heads, seq, head_dim = shape
    d = heads * head_dim
    twin = torch.nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
    ours = mt.nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True)
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in twin.state_dict().items()})
    rng = np.random.default_rng(0)
    x, g = (rng.standard_normal((batch, seq, d)).astype(np.float32) for _ in range(2))

    def side(lib: object, model: object) -> object:
        xt, gt = lib.tensor(x, requires_grad=True), lib.tensor(g)

        def step() -> None:
            model(xt).backward(gt)

        return step

    return {"ours": side(mt, ours), "torch": side(torch, twin)}


def measure(repeats: int, warmup: int) -> list[dict]:
    rows = []
    for name, shape in SHAPES.items():
        for what, sides in (("sdpa", lambda s=shape: _sdpa_sides(s, False)),
                            ("sdpa causal", lambda s=shape: _sdpa_sides(s, True)),
                            ("encoder layer", lambda s=shape: _layer_sides(s))):
            res = interleaved(sides(), repeats=repeats, warmup=warmup, sync=lambda: None)
            ours, theirs = res["ours"]["median_s"], res["torch"]["median_s"]
            rows.append({"shape": name, "bhld": list(shape), "op": what, "ours_ms": ours * 1e3,
                         "torch_ms": theirs * 1e3, "ratio": ours / theirs, "runs": repeats})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| shape (B, H, L, E/H) | op (forward + backward) | ours (ms) | torch (ms) | ours / torch |",
             "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['shape']} {tuple(r['bhld'])} | {r['op']} | {r['ours_ms']:.2f} | {r['torch_ms']:.2f} | "
                     f"{r['ratio']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15, help="timed steps per side and row (median taken)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="torch/BLAS threads for both sides (--threads=N)")
    p.add_argument("--no-write", action="store_true", help="print only; keep results/ as it is")
    args = p.parse_args()
    apply_threads(args.threads)
    load_before = os.getloadavg()[0]
    rows = measure(args.repeats, args.warmup)
    md = table(rows)
    info = machine("cpu", args.threads)
    info["load_average_1min"] = [load_before, os.getloadavg()[0]]
    print(md)
    if not args.no_write:
        header = (f"# Attention, float32, cpu\n\nMachine: {info['processor']}, {info['cpu_count']} CPUs, "
                  f"{info['platform']}; Python {info['python']}, NumPy {info['numpy']}, torch {info['torch']}, "
                  f"{info['threads']} thread(s); 1-minute load average {load_before:.1f} → {os.getloadavg()[0]:.1f} "
                  f"(a shared machine: trust the ratio of a quiet run).\n\nCommand: `{info['command']}`\n\n")
        write_results("attention", {"machine": info, "rows": rows}, header + md)


if __name__ == "__main__":
    main()
