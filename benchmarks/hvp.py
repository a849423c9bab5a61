"""Hessian-vector products of LeNet-5 and the CIFAR CNN, ours vs torch (float32, CPU or CUDA).

    python -m benchmarks.hvp                       # table + results/hvp.{json,md}
    python -m benchmarks.hvp --check alexnet_bn    # float64 H·v of one zoo model against torch, no timing

An HVP is one forward, a backward with ``create_graph=True`` (gradients as Tensors with a graph: every layer's
``backward_graph``), a dot product with v, and a backward through all of that: H·v = d(∇L·v)/dθ for the
cross-entropy loss L over the parameters θ. Both sides: same weights, batch, v and thread count, warmed up,
timed in turns; the figure is the median and the ratio ours/torch from the same run.
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

MODELS = {"lenet5": (1, 28, 28), "cifar_cnn": (3, 32, 32)}


def _sides(name: str, shape: tuple, batch: int, dtype: str, device: str, kwargs: dict) -> dict:
    """name -> a callable computing H·v once, for ours and torch on the same weights, batch and v."""
    import torch

    import minitorch_cnn as mt
    from minitorch_cnn.models import get_model
    from reference import copy_weights, get_twin

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((batch, *shape)), rng.integers(0, 10, batch)
    twin = get_twin(name, **kwargs).to(getattr(torch, dtype)).to(device)
    ours = get_model(name, **kwargs).to(getattr(mt, dtype)).to(device)
    copy_weights(twin, ours)
    vs = [rng.standard_normal(tuple(p.shape)) for p in twin.parameters()]

    def side(lib: object, model: object) -> tuple:
        dt = getattr(lib, dtype)
        xt, yt = lib.tensor(x, dtype=dt, device=device), lib.tensor(y, device=device)
        vt = [lib.tensor(v, dtype=dt, device=device) for v in vs]
        params = list(model.parameters())

        def hvp() -> list:
            loss = lib.nn.functional.cross_entropy(model(xt), yt)
            grads = lib.autograd.grad(loss, params, create_graph=True)
            dot = sum((g * v).sum() for g, v in zip(grads, vt))
            return lib.autograd.grad(dot, params)

        return hvp

    return {"ours": side(mt, ours), "torch": side(torch, twin)}


def check(name: str) -> None:
    """float64 H·v of ``name`` (dropout 0, batch 2) against torch: the worst relative error over the parameters."""
    from minitorch_cnn.models import MODELS as ZOO

    shape = (3, 227, 227) if name == "alexnet_bn" else (1, 28, 28) if "mnist" in name or name in ("lenet", "lenet5") \
        else (3, 32, 32)
    kwargs = {"dropout": 0.0} if name in ("alexnet_bn", "mnist_net") else {}
    if name not in ZOO:
        raise SystemExit(f"unknown model {name!r}: one of {sorted(ZOO)}")
    sides = _sides(name, shape, 2, "float64", "cpu", kwargs)
    ours, theirs = ([t.detach().cpu().numpy() for t in sides[k]()] for k in ("ours", "torch"))
    largest = max(float(np.abs(b).max()) for b in theirs)
    worst = 0.0
    for a, b in zip(ours, theirs):
        scale = float(np.abs(b).max())
        worst = max(worst, float(np.abs(a - b).max()) / (scale if scale > 1e-9 * largest else largest))
    print(f"{name}: float64 H·v, worst relative error over {len(ours)} parameters {worst:.3g}")
    if worst > 1e-9:
        raise SystemExit(1)


def measure(batch: int, repeats: int, warmup: int, device: str) -> list[dict]:
    import torch

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    rows = []
    for name, shape in MODELS.items():
        res = interleaved(_sides(name, shape, batch, "float32", device, {}), repeats=repeats, warmup=warmup,
                          sync=sync)
        ours, theirs = res["ours"]["median_s"], res["torch"]["median_s"]
        rows.append({"model": name, "batch": batch, "ours_ms": ours * 1e3, "torch_ms": theirs * 1e3,
                     "ratio": ours / theirs, "runs": repeats})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| model | batch | ours (ms/HVP) | torch (ms/HVP) | ours / torch |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['batch']} | {r['ours_ms']:.1f} | {r['torch_ms']:.1f} | {r['ratio']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=15, help="timed HVPs per side and model (median taken)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2, help="torch/BLAS threads for both sides (--threads=N)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--check", metavar="MODEL", help="only check one zoo model's float64 H·v against torch")
    p.add_argument("--no-write", action="store_true", help="print only; keep results/ as it is")
    args = p.parse_args()
    apply_threads(args.threads)
    if args.check:
        check(args.check)
        return
    load_before = os.getloadavg()[0]
    rows = measure(args.batch, args.repeats, args.warmup, args.device)
    md = table(rows)
    info = machine(args.device)
    info["load_average_1min"] = [load_before, os.getloadavg()[0]]
    print(md)
    if not args.no_write:
        name = "hvp" if args.device == "cpu" else "hvp_cuda"
        header = (f"# Hessian-vector products, float32, {args.device}\n\nMachine: {info['processor']}, "
                  f"{info['cpu_count']} CPUs, {info['platform']}; Python {info['python']}, NumPy {info['numpy']}, "
                  f"torch {info['torch']}, {info['threads']} threads; 1-minute load average "
                  f"{load_before:.1f} → {os.getloadavg()[0]:.1f} (a shared machine: trust the ratio of a quiet "
                  f"run).\n\nCommand: `{info['command']}`\n\n")
        write_results(name, {"machine": info, "rows": rows}, header + md)


if __name__ == "__main__":
    main()
