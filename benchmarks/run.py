"""Time minitorch_cnn against torch as users get them: training steps, inference, peak memory; single layers.

    python -m benchmarks.run                                   # CPU, 2 threads, every model
    python -m benchmarks.run --models lenet5 cifar_cnn --repeats 5 --rounds 1    # a quick run
    python -m benchmarks.run --threads=1                       # one thread each side (results/cpu_1thread.*)
    python -m benchmarks.run --interleaved                     # also the in-process table (see below)
    python -m benchmarks.run --device cuda                     # the GPU (CuPy vs torch CUDA), in one process
    python -m benchmarks.run --emulate-isa avx2                # as on an AVX2-only CPU (results/cpu_avx2.*)

On the CPU each framework runs in a fresh interpreter of its own (``benchmarks.step``), as a user's script does:
the environment is untouched but for the thread count (``harness.thread_env``), and nothing is set that the
package does not set itself. Rounds alternate the sides (ours, torch, ours, torch, ...); each process warms up,
then times every step. The figures are medians over all timed steps of all rounds, the ratio ours/torch, and the
worst step over the median (after the warm-up). Peak memory is measured in fresh processes too.
Second, and labelled as such: ``--interleaved`` times the same steps with both frameworks in this one process,
in turns (ours, torch, ours, ...; each turn one untimed call, then ``harness.TURN`` timed ones); the single layers
are always timed that way. On CUDA the steps are timed in one process, both sides in true float32 (torch's
TF32 off, as CuPy's default cuBLAS), every timed call ending in a device synchronisation, and torch twice in the
same turns: with ``cudnn.benchmark`` off (its default) and on (autotuned during the warm-up).
Results: benchmarks/results/{cpu,cuda}.json, .md and .png (``cpu_Nthread`` for N threads other than 2).
``--emulate-isa avx2`` sets ``harness.ISA_EMULATION``'s variables in this process and every child, so that both
frameworks run what an AVX2-only CPU gets; its results go to files of their own (``cpu_avx2``, ``cpu_1thread_avx2``),
headed "AVX2-only emulated on <CPU>".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from .harness import emulate_isa, emulation_arg, pin_threads

if __name__ == "__main__":
    _threads = next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--threads=")), 2)
    pin_threads(_threads)  # for the tables timed in this process; the fresh ones get the same variables
    emulate_isa(emulation_arg(sys.argv))

import numpy as np  # noqa: E402

from .harness import (  # noqa: E402
    RESULTS,
    apply_threads,
    emulation_env,
    interleaved,
    machine,
    thread_env,
    write_results,
)

ROOT = Path(__file__).resolve().parents[1]

# (registry name, batch size on cpu, batch size on cuda, input (C, H, W))
MODELS = [
    ("lenet5", 64, 256, (1, 28, 28)),
    ("cifar_cnn", 64, 256, (3, 32, 32)),
    ("resnet_small16", 64, 256, (3, 32, 32)),
    ("resnet18", 64, 128, (3, 32, 32)),
    ("alexnet_bn", 16, 64, (3, 227, 227)),
]


def fresh_side(side: str, name: str, batch: int, shape: tuple, threads: int, repeats: int, warmup: int,
               kernels: str | None, isa: str | None = None) -> dict:
    """``benchmarks.step``'s result for one side, run in a fresh interpreter with the thread count's environment
    (and ``MINITORCH_KERNELS``, the package's own switch, when ``kernels`` is given; ``isa``'s emulation)."""
    env = {**os.environ, **thread_env(threads), **emulation_env(isa)}
    if kernels and side == "ours":
        env["MINITORCH_KERNELS"] = kernels
    cmd = [sys.executable, "-m", "benchmarks.step", side, name, str(batch), "--input-shape", *map(str, shape),
           "--repeats", str(repeats), "--warmup", str(warmup)]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmarks.step {side} {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_fresh(name: str, batch: int, shape: tuple, threads: int, repeats: int, warmup: int, rounds: int,
                kernels: str | None, isa: str | None = None) -> dict:
    """Medians of every timed step over ``rounds`` fresh processes per side (sides alternating), ours/torch,
    the worst step over the median, each process's median; the step times themselves under ``steps_ms``."""
    runs: dict[str, list[dict]] = {"ours": [], "torch": []}
    for _ in range(rounds):
        for side, done in runs.items():
            done.append(fresh_side(side, name, batch, shape, threads, repeats, warmup, kernels, isa))
    row: dict = {"model": name, "batch": batch, "steps_ms": {}}
    for kind in ("train", "infer"):
        median = {}
        for side, done in runs.items():
            steps = [t for r in done for t in r[f"{kind}_s"]]
            median[side] = statistics.median(steps)
            row[f"{kind}_{side}_ms"] = 1e3 * median[side]
            row[f"{kind}_{side}_worst"] = max(steps) / median[side]
            row[f"{kind}_{side}_process_ms"] = [1e3 * statistics.median(r[f"{kind}_s"]) for r in done]
            row["steps_ms"].setdefault(side, {})[kind] = [[round(1e3 * t, 3) for t in r[f"{kind}_s"]] for r in done]
        row[f"{kind}_ratio"] = median["ours"] / median["torch"]
    row["threads_reported"] = {side: done[0]["threads"] for side, done in runs.items()}
    row["isa_reported"] = {side: done[0]["isa"] for side, done in runs.items()}
    return row


def _pair(name: str, batch: int, device: str, seed: int = 0) -> tuple:
    """Our model and its torch twin with the same weights, one batch of inputs and labels for both."""
    import torch

    import minitorch_cnn as mt
    from reference.models import get_twin
    from reference.transfer import copy_weights

    mt.manual_seed(seed)
    ours = mt.models.get_model(name)
    twin = get_twin(name)
    copy_weights(ours, twin)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *ours.input_shape)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    tdev = "cuda" if device == "cuda" else "cpu"
    ours.to(device)
    twin.to(tdev)
    mx, my = mt.tensor(x).to(device), mt.tensor(y).to(device)
    tx, ty = torch.from_numpy(x).to(tdev), torch.from_numpy(y).to(tdev)
    return ours, twin, (mx, my), (tx, ty)


def _loss(model, mod):
    return mod.nll_loss if getattr(model, "returns_log_probs", False) else mod.cross_entropy


def _with_cudnn_benchmark(fn):
    """``fn`` run with torch.backends.cudnn.benchmark on (autotuned algorithms), then the flag restored."""
    import torch

    def run():
        torch.backends.cudnn.benchmark = True
        try:
            fn()
        finally:
            torch.backends.cudnn.benchmark = False

    return run


def _torch_sides(torch_fn, device: str) -> dict:
    """torch's callables to time: as is, and on CUDA also with cudnn.benchmark on."""
    sides = {"torch": torch_fn}
    if device == "cuda":
        sides["torch_cudnn_bench"] = _with_cudnn_benchmark(torch_fn)
    return sides


def _ratios(prefix: str, res: dict) -> dict:
    """Milliseconds of each side and ours/torch ratios, from ``interleaved``'s result."""
    row = {f"{prefix}_ours_ms": 1e3 * res["ours"]["median_s"], f"{prefix}_torch_ms": 1e3 * res["torch"]["median_s"],
           f"{prefix}_ratio": res["ours"]["median_s"] / res["torch"]["median_s"]}
    if "torch_cudnn_bench" in res:
        row[f"{prefix}_torch_bench_ms"] = 1e3 * res["torch_cudnn_bench"]["median_s"]
        row[f"{prefix}_ratio_bench"] = res["ours"]["median_s"] / res["torch_cudnn_bench"]["median_s"]
    return row


def bench_model(name: str, batch: int, device: str, repeats: int, warmup: int, sync) -> dict:
    import torch
    import torch.nn.functional as TF

    import minitorch_cnn as mt

    ours, twin, (mx, my), (tx, ty) = _pair(name, batch, device)
    o_opt = mt.optim.SGD(ours.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    t_opt = torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    o_loss, t_loss = _loss(ours, mt.nn.functional), _loss(ours, TF)

    def ours_step():
        o_opt.zero_grad()
        o_loss(ours(mx), my).backward()
        o_opt.step()

    def torch_step():
        t_opt.zero_grad()
        t_loss(twin(tx), ty).backward()
        t_opt.step()

    train = interleaved({"ours": ours_step, **_torch_sides(torch_step, device)}, repeats, warmup, sync)
    ours.eval()
    twin.eval()

    def ours_infer():
        with mt.no_grad():
            ours(mx)

    def torch_infer():
        with torch.no_grad():
            twin(tx)

    infer = interleaved({"ours": ours_infer, **_torch_sides(torch_infer, device)}, repeats, warmup, sync)
    return {"model": name, "batch": batch, **_ratios("train", train), **_ratios("infer", infer)}


_MEMORY_CHILD = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from benchmarks.run import _pair, _loss
import minitorch_cnn as mt, torch, torch.nn.functional as TF
ours, twin, (mx, my), (tx, ty) = _pair({name!r}, {batch}, "cpu")
side = {side!r}
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))
def step():
    if side == "ours":
        _loss(ours, mt.nn.functional)(ours(mx), my).backward()
    else:
        _loss(ours, TF)(twin(tx), ty).backward()
step()  # warm-up: one-time costs (loading Numba's compiled kernels) are not the step's memory
for p in ours.parameters():
    p.grad = None
twin.zero_grad(set_to_none=True)
mt.kernels.workspace.empty_cache()  # our reusable scratch buffers count in the step's peak
import ctypes, gc
gc.collect()
ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap pages go back to the OS: neither side starts with a cache
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size, so imports and set-up do not count
base = status("VmRSS")
for _ in range(2):
    step()
print(status("VmHWM") - base)
"""


def peak_memory(name: str, batch: int, threads: int, isa: str | None = None) -> dict:
    """Peak resident memory a forward+backward adds over the set-up, each side in a fresh process.

    The peak is Linux's VmHWM, reset after a warm-up step (``/proc/self/clear_refs``): the lifetime peak
    (``ru_maxrss``) is usually set by importing torch and building both models, which hid the step.
    """
    root = str(ROOT)
    env = {**os.environ, **thread_env(threads), **emulation_env(isa)}
    out = {}
    for side in ("ours", "torch"):
        code = _MEMORY_CHILD.format(root=root, name=name, batch=batch, side=side)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        out[side] = int(res.stdout.strip().splitlines()[-1]) / 2**20
    return {"peak_ours_mib": out["ours"], "peak_torch_mib": out["torch"], "memory_ratio": out["ours"] / out["torch"]}


def bench_layers(device: str, repeats: int, warmup: int, sync) -> list[dict]:
    """Forward+backward of single layers: conv 3×3, max-pool 2×2, BatchNorm2d on (64, 64, 32, 32)."""
    import torch

    import minitorch_cnn as mt

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64, 32, 32)).astype(np.float32)
    tdev = "cuda" if device == "cuda" else "cpu"
    cases = {
        "conv3x3 64→64": (mt.nn.Conv2d(64, 64, 3, padding=1), torch.nn.Conv2d(64, 64, 3, padding=1)),
        "maxpool 2×2": (mt.nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        "batchnorm2d 64": (mt.nn.BatchNorm2d(64), torch.nn.BatchNorm2d(64)),
        "relu": (mt.nn.ReLU(), torch.nn.ReLU()),
    }
    rows = []
    for label, (ours, theirs) in cases.items():
        ours.to(device)
        theirs.to(tdev)
        if list(theirs.parameters()):
            ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in theirs.state_dict().items()})
        mx = mt.tensor(x).to(device).requires_grad_()
        tx = torch.from_numpy(x).to(tdev).requires_grad_()
        out_shape = theirs(tx).shape
        g = rng.standard_normal(tuple(out_shape)).astype(np.float32)
        mg, tg = mt.tensor(g).to(device), torch.from_numpy(g).to(tdev)
        res = interleaved(
            {
                "ours_fwd": lambda o=ours, a=mx: o(a),
                "torch_fwd": lambda t=theirs, a=tx: t(a),
                "ours_fb": lambda o=ours, a=mx, g=mg: o(a).backward(g),
                "torch_fb": lambda t=theirs, a=tx, g=tg: t(a).backward(g),
            },
            repeats, warmup, sync,
        )
        rows.append({
            "layer": label,
            "fwd_ours_ms": 1e3 * res["ours_fwd"]["median_s"], "fwd_torch_ms": 1e3 * res["torch_fwd"]["median_s"],
            "fwd_ratio": res["ours_fwd"]["median_s"] / res["torch_fwd"]["median_s"],
            "fwdbwd_ours_ms": 1e3 * res["ours_fb"]["median_s"], "fwdbwd_torch_ms": 1e3 * res["torch_fb"]["median_s"],
            "fwdbwd_ratio": res["ours_fb"]["median_s"] / res["torch_fb"]["median_s"],
        })
    return rows


def _header(info: dict) -> list[str]:
    cpu = f"{info.get('cpu_model', '?')} ({', '.join(info.get('isa', [])) or 'no AVX2'}), {info['cpu_count']} cores"
    return [
        f"# minitorch_cnn vs torch — {info['device']}", "",
        f"`{info['command']}` — {info.get('gpu', cpu)}; {info['threads']} threads each side; "
        f"numpy {info['numpy']}, torch {info['torch']}, numba {info.get('numba', '-')}"
        + (f", cupy {info['cupy']}" if "cupy" in info else "")
        + (f"; {info['precision']}" if "precision" in info else "")
        + (f"; kernels {info['kernels']}" if "kernels" in info else ""), "",
        f"1-minute load average {info['load_before']:.1f} before, {info['load_after']:.1f} after the run "
        f"(on a machine busy with other work both sides slow down, torch's threads more: trust a quiet run).", "",
    ]


def _fresh_rows(models: list[dict]) -> list[str]:
    """The table of what users get: each framework in its own fresh process."""
    lines = [
        "## As users get them: each framework in a fresh process of its own", "",
        "Medians of every step after the warm-up, over all rounds; *worst* is the slowest step over the median.", "",
        "| model | batch | train ours (ms) | train torch (ms) | ratio | worst ours / torch | infer ours (ms) "
        "| infer torch (ms) | ratio | peak mem ours / torch (MiB) | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in models:
        mem = (f"{r['peak_ours_mib']:.0f} / {r['peak_torch_mib']:.0f} | {r['memory_ratio']:.2f}"
               if "memory_ratio" in r else "- | -")
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['train_ours_ms']:.1f} | {r['train_torch_ms']:.1f} | "
            f"**{r['train_ratio']:.2f}** | {r['train_ours_worst']:.2f} / {r['train_torch_worst']:.2f} | "
            f"{r['infer_ours_ms']:.1f} | {r['infer_torch_ms']:.1f} | {r['infer_ratio']:.2f} | {mem} |"
        )
    return lines


def _interleaved_rows(models: list[dict], title: str) -> list[str]:
    lines = [
        title, "",
        "| model | batch | train ours (ms) | train torch (ms) | ratio | infer ours (ms) | infer torch (ms) | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in models:
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['train_ours_ms']:.1f} | {r['train_torch_ms']:.1f} | "
            f"**{r['train_ratio']:.2f}** | {r['infer_ours_ms']:.1f} | {r['infer_torch_ms']:.1f} | "
            f"{r['infer_ratio']:.2f} |"
        )
    return lines


def _table(info: dict, fresh: list[dict], inproc: list[dict], layers: list[dict]) -> str:
    lines = _header(info)
    if info["device"] == "cuda":
        return "\n".join(lines + _gpu_rows(inproc) + _layer_rows(layers))
    if fresh:
        lines += _fresh_rows(fresh)
    if inproc:
        lines += [""] + _interleaved_rows(inproc, "## Second: both frameworks in one process, interleaved "
                                                   "(each side's idle threads can slow the other)")
    return "\n".join(lines + _layer_rows(layers))


def _gpu_rows(models: list[dict]) -> list[str]:
    """The CUDA table: torch with cudnn.benchmark off (default) and on, ratios against each."""
    lines = [
        "| model | batch | train ours (ms) | torch (ms) | ratio | torch, cudnn.benchmark (ms) | ratio "
        "| infer ours (ms) | torch (ms) | ratio | torch, cudnn.benchmark (ms) | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in models:
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['train_ours_ms']:.2f} | {r['train_torch_ms']:.2f} | "
            f"**{r['train_ratio']:.2f}** | {r['train_torch_bench_ms']:.2f} | **{r['train_ratio_bench']:.2f}** | "
            f"{r['infer_ours_ms']:.2f} | {r['infer_torch_ms']:.2f} | {r['infer_ratio']:.2f} | "
            f"{r['infer_torch_bench_ms']:.2f} | {r['infer_ratio_bench']:.2f} |"
        )
    return lines


def _layer_rows(layers: list[dict]) -> list[str]:
    if not layers:
        return []
    lines = [
        "", "## Single layers, both frameworks in one process, interleaved", "",
        "| layer (64, 64, 32, 32) | fwd ours (ms) | fwd torch (ms) | ratio | fwd+bwd ours (ms) "
        "| fwd+bwd torch (ms) | ratio |", "|---|---|---|---|---|---|---|",
    ]
    for r in layers:
        lines.append(
            f"| {r['layer']} | {r['fwd_ours_ms']:.2f} | {r['fwd_torch_ms']:.2f} | {r['fwd_ratio']:.2f} | "
            f"{r['fwdbwd_ours_ms']:.2f} | {r['fwdbwd_torch_ms']:.2f} | **{r['fwdbwd_ratio']:.2f}** |"
        )
    return lines


def _plot(models: list[dict], path, device: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [f"{r['model']}\nbs {r['batch']}" for r in models]
    xs = np.arange(len(models))
    fig, ax = plt.subplots(figsize=(9, 4))
    bars = [("train_ratio", "training step"), ("infer_ratio", "inference")]
    if all("train_ratio_bench" in r for r in models):
        bars[1:1] = [("train_ratio_bench", "training step vs cudnn.benchmark")]
        bars.append(("infer_ratio_bench", "inference vs cudnn.benchmark"))
    width = 0.8 / len(bars)
    for k, (key, label) in enumerate(bars):
        ax.bar(xs + (k - (len(bars) - 1) / 2) * width, [r[key] for r in models], width, label=label)
    ax.axhline(1.0, color="k", lw=1)
    ax.set_xticks(xs, names)
    ax.set_ylabel("time ours / torch (lower is better)")
    ax.set_title(f"minitorch_cnn vs torch on {device}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=2, help="pass as --threads=N (read before NumPy loads)")
    parser.add_argument("--repeats", type=int, default=10, help="timed steps per process (or per side in turns)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per side, alternating (CPU)")
    parser.add_argument("--models", nargs="*", default=[m[0] for m in MODELS], choices=[m[0] for m in MODELS])
    parser.add_argument("--interleaved", action="store_true", help="also time the steps in this one process")
    parser.add_argument("--no-layers", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--kernels", default=None, help="numpy or numba (default: the library's default)")
    parser.add_argument("--emulate-isa", default=None, choices=["avx2"],
                        help="run both frameworks as on a CPU with this ISA only (read before NumPy loads)")
    args = parser.parse_args(argv)
    apply_threads(args.threads)
    import minitorch_cnn as mt

    if args.kernels:
        mt.backends.set_kernels(args.kernels)
    sync = mt.cuda.synchronize if args.device == "cuda" else (lambda: None)
    if args.device == "cuda":
        import torch

        # true float32 on both sides: CuPy's cuBLAS does not use TF32 unless asked (CUPY_TF32)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = False

        def sync():
            mt.cuda.synchronize()
            torch.cuda.synchronize()

    info = machine(args.device, args.threads)
    info["load_before"] = os.getloadavg()[0]
    if args.device == "cuda":
        info["precision"] = "float32 without TF32 on both sides"
    if args.kernels:
        info["kernels"] = args.kernels
    fresh, inproc = [], []
    for name, cpu_batch, gpu_batch, shape in MODELS:
        if name not in args.models:
            continue
        if args.device == "cpu":
            row = bench_fresh(name, cpu_batch, shape, args.threads, args.repeats, args.warmup, args.rounds,
                              args.kernels, args.emulate_isa)
            if not args.no_memory:
                row.update(peak_memory(name, cpu_batch, args.threads, args.emulate_isa))
            fresh.append(row)
            print({k: v for k, v in row.items() if k != "steps_ms"}, flush=True)
        if args.device == "cuda" or args.interleaved:
            batch = gpu_batch if args.device == "cuda" else cpu_batch
            inproc.append(bench_model(name, batch, args.device, args.repeats, args.warmup, sync))
            print(inproc[-1], flush=True)
    layers = [] if args.no_layers else bench_layers(args.device, args.repeats, args.warmup, sync)
    info["load_after"] = os.getloadavg()[0]
    table = _table(info, fresh, inproc, layers)
    print(table)
    name = args.device if args.device == "cuda" or args.threads == 2 else f"cpu_{args.threads}thread"
    name += f"_{args.kernels}" if args.kernels else ""
    name += f"_{args.emulate_isa}" if args.emulate_isa else ""
    write_results(name, {"machine": info, "models": fresh, "interleaved": inproc, "layers": layers}, table)
    if fresh or inproc:
        _plot(fresh or inproc, RESULTS / f"{name}.png", args.device)


if __name__ == "__main__":
    main()
