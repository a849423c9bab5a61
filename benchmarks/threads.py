"""The thread policy's options, each in a fresh process: the training step's time, and its CPU time thread by thread.

    python -m benchmarks.threads                                  # every option, LeNet-5 and the CIFAR CNN
    python -m benchmarks.threads --models lenet5 --steps 10 --rounds 1

Options (n threads; the environment sets the thread-count variables to n, as ``benchmarks.run`` does):

- ``policy``: the package as imported (``minitorch_cnn.kernels.threads``): NumPy's OpenBLAS one thread, our pool and
  Numba n, Linear's big GEMMs split over the pool;
- ``openblas_n``: the same, but OpenBLAS n threads for the GEMMs made outside the pool's shares (Linear's), as the
  package ran before the policy;
- ``openblas_n_timeout``: ``openblas_n`` with ``OPENBLAS_THREAD_TIMEOUT=4`` in the environment before NumPy loads
  (what the old benchmark harness set, and no user knows to set);
- ``one_thread``: ``mt.set_num_threads(1)``.

CPU time per step is summed per thread: the calling thread, our pool's threads, and the others (OpenBLAS's
workers, Numba's). CPU time on a thread with no work of its own is spinning; unlike wall time, a busy machine
inflates it little. Results: benchmarks/results/threads.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from .harness import command, cpu_facts, thread_env, write_results

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = ("policy", "openblas_n", "openblas_n_timeout", "one_thread")
MODELS = {"lenet5": (64, (1, 28, 28)), "cifar_cnn": (64, (3, 32, 32)), "resnet_small16": (64, (3, 32, 32)),
          "resnet18": (64, (3, 32, 32)), "alexnet_bn": (16, (3, 227, 227))}


def _cpu_ms() -> dict[int, float]:
    """CPU milliseconds (user + system) of each thread of this process, by native thread id."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) * 1e3 / tick
    return out


def child(option: str, name: str, threads: int, steps: int, warmup: int) -> dict:
    """One option's figures, in this (fresh) process."""
    import numpy as np

    import minitorch_cnn as mt
    from minitorch_cnn.kernels import blas, gemm

    if option in ("openblas_n", "openblas_n_timeout"):
        blas.thread_switch()[0](threads)  # OpenBLAS n threads outside the pool's shares
        gemm.SPLIT_MIN_MACS = 1 << 62  # Linear's GEMMs to OpenBLAS whole, as before the policy
    if option == "one_thread":
        mt.set_num_threads(1)
    batch, shape = MODELS[name]
    mt.manual_seed(0)
    model = mt.models.get_model(name)
    rng = np.random.default_rng(0)
    x = mt.tensor(rng.standard_normal((batch, *shape)).astype(np.float32))
    y = mt.tensor(rng.integers(0, 10, batch))
    opt = mt.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step() -> None:
        opt.zero_grad()
        mt.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    main = threading.get_native_id()
    pool = {t.native_id for t in threading.enumerate() if t.name == "minitorch-batch"}
    before, times = _cpu_ms(), []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    after = _cpu_ms()
    cpu = {"main": 0.0, "pool": 0.0, "other": 0.0}
    for tid, ms in after.items():
        cpu["main" if tid == main else "pool" if tid in pool else "other"] += (ms - before.get(tid, 0.0)) / steps
    median = statistics.median(times)
    return {"step_ms": 1e3 * median, "worst": max(times) / median, "cpu_ms": cpu}


def _run_child(option: str, name: str, threads: int, steps: int, warmup: int) -> dict:
    env = {**os.environ, **thread_env(threads)}
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    if option == "openblas_n_timeout":
        env["OPENBLAS_THREAD_TIMEOUT"] = "4"
    cmd = [sys.executable, "-m", "benchmarks.threads", "--child", option, "--models", name, "--threads",
           str(threads), "--steps", str(steps), "--warmup", str(warmup)]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmarks.threads {option} {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=["lenet5", "cifar_cnn"], choices=list(MODELS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per process")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="processes per option, options alternating")
    parser.add_argument("--child", choices=OPTIONS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.models[0], args.threads, args.steps, args.warmup)))
        return
    load = os.getloadavg()[0]
    rows = []
    for name in args.models:
        runs: dict[str, list[dict]] = {o: [] for o in OPTIONS}
        for _ in range(args.rounds):
            for option in OPTIONS:
                runs[option].append(_run_child(option, name, args.threads, args.steps, args.warmup))
        for option, done in runs.items():
            row = {"model": name, "option": option,
                   "step_ms": statistics.median(r["step_ms"] for r in done),
                   "worst": max(r["worst"] for r in done),
                   "cpu_ms": {k: statistics.median(r["cpu_ms"][k] for r in done) for k in ("main", "pool", "other")},
                   "processes": done}
            rows.append(row)
            print(row, flush=True)
    info = {"command": command(), **cpu_facts(), "cpu_count": os.cpu_count(), "threads": args.threads,
            "load_before": load, "load_after": os.getloadavg()[0]}
    lines = [
        "# The thread policy's options, each in a fresh process", "",
        f"`{info['command']}` — {info.get('cpu_model', '?')} ({', '.join(info.get('isa', []))}), "
        f"{info['cpu_count']} cores, {args.threads} threads; 1-minute load average {load:.1f} before, "
        f"{info['load_after']:.1f} after (wall times on a busy machine are noisy; CPU time per thread much less).", "",
        "| model | option | step median (ms) | worst / median | CPU ms per step: calling thread | our pool "
        "| other threads (OpenBLAS, Numba) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c = r["cpu_ms"]
        lines.append(f"| {r['model']} | {r['option']} | {r['step_ms']:.1f} | {r['worst']:.2f} | {c['main']:.1f} "
                     f"| {c['pool']:.1f} | {c['other']:.1f} |")
    table = "\n".join(lines)
    print(table)
    write_results("threads", {"machine": info, "rows": rows}, table)


if __name__ == "__main__":
    main()
