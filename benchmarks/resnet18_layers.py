"""ResNet-18's convolutions (the CIFAR 32×32 variant of the benchmark, batch 64) one at a time, forward + backward
with a random upstream gradient, float32, ours and torch in one process, timed in turns (``harness.interleaved``).

    python -m benchmarks.resnet18_layers               # 2 threads each side: results/resnet18_layers.{json,md}
    python -m benchmarks.resnet18_layers --threads=1   # results/resnet18_layers_1thread.*
    python -m benchmarks.resnet18_layers --emulate-isa avx2   # as on an AVX2-only CPU: resnet18_layers_avx2.*

Where a step's time goes layer by layer: the "count" column says how often the layer occurs in the network, so
count × ms adds up to the convolutions' share of a training step.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from .harness import emulate_isa, emulation_arg, pin_threads

if __name__ == "__main__":
    pin_threads(next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--threads=")), 2))
    emulate_isa(emulation_arg(sys.argv))  # both frameworks as on an AVX2-only CPU (harness.ISA_EMULATION)

import numpy as np  # noqa: E402

from .harness import apply_threads, interleaved, machine, write_results  # noqa: E402

LAYERS = (  # (C in, plane, C out, kernel, stride, padding, occurrences in ResNet-18)
    (3, 32, 64, 3, 1, 1, 1), (64, 32, 64, 3, 1, 1, 4), (64, 32, 128, 3, 2, 1, 1), (64, 32, 128, 1, 2, 0, 1),
    (128, 16, 128, 3, 1, 1, 3), (128, 16, 256, 3, 2, 1, 1), (128, 16, 256, 1, 2, 0, 1),
    (256, 8, 256, 3, 1, 1, 3), (256, 8, 512, 3, 2, 1, 1), (256, 8, 512, 1, 2, 0, 1), (512, 4, 512, 3, 1, 1, 3),
)
BATCH = 64


def _steps(c: int, h: int, co: int, k: int, s: int, p: int) -> dict[str, Callable[[], Any]]:
    """Ours and torch's forward + backward of one conv on the same float32 arrays."""
    import torch

    import minitorch_cnn as mt

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, c, h, h)).astype(np.float32)
    w = (rng.standard_normal((co, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    oh = (h + 2 * p - k) // s + 1
    g = rng.standard_normal((BATCH, co, oh, oh)).astype(np.float32)
    ours, theirs = [mt.tensor(a, requires_grad=True) for a in (x, w)], [torch.tensor(a, requires_grad=True)
                                                                         for a in (x, w)]
    mg, tg = mt.tensor(g), torch.tensor(g)
    return {"ours": lambda: mt.nn.functional.conv2d(*ours, stride=s, padding=p).backward(mg),
            "torch": lambda: torch.nn.functional.conv2d(*theirs, stride=s, padding=p).backward(tg)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="pass as --threads=N (read before NumPy loads)")
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--emulate-isa", default=None, choices=["avx2"],
                        help="run both frameworks as on a CPU with this ISA only (read before NumPy loads)")
    args = parser.parse_args()
    apply_threads(args.threads)
    rows = []
    lines = [f"ResNet-18's convolutions, batch {BATCH}, fwd+bwd, {args.threads} thread(s) each side, interleaved",
             "", "| layer | count | ours (ms) | torch (ms) | ratio | count × (ours − torch) ms |", "|---" * 6 + "|"]
    for c, h, co, k, s, p, count in LAYERS:
        t = interleaved(_steps(c, h, co, k, s, p), args.repeats, 1, lambda: None)
        ours, theirs = t["ours"]["median_s"] * 1e3, t["torch"]["median_s"] * 1e3
        rows.append({"layer": [c, h, co, k, s, p], "count": count, "ours_ms": ours, "torch_ms": theirs})
        lines.append(f"| {c}→{co} {k}×{k} s{s} {h}×{h} | {count} | {ours:.1f} | {theirs:.1f} | "
                     f"**{ours / theirs:.2f}** | {count * (ours - theirs):+.0f} |")
    table = "\n".join(lines)
    print(table)
    name = "resnet18_layers" + ("" if args.threads == 2 else f"_{args.threads}thread")
    name += f"_{args.emulate_isa}" if args.emulate_isa else ""
    facts = machine("cpu", args.threads)
    isa = ", ".join(facts.get("isa", [])) or "ISA unknown"
    write_results(name, {"machine": facts, "repeats": args.repeats, "rows": rows},
                  f"`{facts['command']}` — {facts['processor']} ({isa}), {facts['cpu_count']} cores\n\n{table}")


if __name__ == "__main__":
    main()
