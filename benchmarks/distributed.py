"""Data-parallel throughput: images/s of 1 rank vs N ranks (MPI, DistributedDataParallel), CIFAR CNN and ResNet-18.

Strong scaling: the global batch is fixed and split over the ranks (64 images a step: 1 rank x 64, 2 ranks x 32),
float32, SGD, random CIFAR-sized data. Each rank runs on its share of the cores (BLAS/Numba threads: cores // N),
as ``minitorch-cnn train --nproc N`` sets. The communication share of a step is measured by timing steps with
the gradient all-reduce and steps under ``no_sync()`` (everything else the same), in turns:
share = 1 - t(no_sync) / t(sync).

    python benchmarks/distributed.py [--models cifar_cnn resnet18] [--nproc 1 2] [--steps 10]

The driver starts ``mpiexec -n N python benchmarks/distributed.py --worker ...`` for each case and writes
``results/distributed.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def worker(model_name: str, global_batch: int, steps: int) -> None:
    """One rank: time ``steps`` synchronised and ``steps`` no_sync steps, in turns; rank 0 prints JSON."""
    import numpy as np

    import minitorch_cnn as mt
    import minitorch_cnn.distributed as dist

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    mt.manual_seed(0)
    model = mt.models.get_model(model_name, num_classes=10)
    ddp = mt.nn.parallel.DistributedDataParallel(model)
    opt = mt.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    batch = global_batch // world
    rng = np.random.default_rng(rank)
    x = mt.tensor(rng.standard_normal((batch, 3, 32, 32)).astype(np.float32))
    y = mt.tensor(rng.integers(0, 10, batch))

    def step() -> None:
        mt.nn.functional.cross_entropy(ddp(x), y).backward()
        opt.step()
        opt.zero_grad()

    def local_step() -> None:
        with ddp.no_sync():
            step()

    times: dict[str, list[float]] = {"sync": [], "no_sync": []}
    for _ in range(2):  # warm-up: compiled kernels, buffers
        step()
        local_step()
    for _ in range(steps):
        for name, fn in (("sync", step), ("no_sync", local_step)):
            dist.barrier()
            t0 = time.perf_counter()
            fn()
            dist.barrier()  # a step ends when the slowest rank's does
            times[name].append(time.perf_counter() - t0)
    if rank == 0:
        sync, local = statistics.median(times["sync"]), statistics.median(times["no_sync"])
        print(json.dumps({"model": model_name, "ranks": world, "batch_per_rank": batch, "step_s": sync,
                          "no_sync_step_s": local, "images_per_s": global_batch / sync,
                          "comm_share": max(0.0, 1 - local / sync), "steps": steps}), flush=True)


def run_case(model: str, nproc: int, batch: int, steps: int) -> dict:
    from minitorch_cnn.distributed import launch

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    share = str(launch.thread_share(nproc))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = share
    cmd = launch.mpiexec_command(nproc, [str(Path(__file__).resolve()), "--worker", model, str(batch), str(steps)])
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{model} on {nproc} ranks failed:\n{done.stderr}")
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["threads_per_rank"] = int(share)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cifar_cnn", "resnet18"])
    parser.add_argument("--nproc", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--batch", type=int, default=64, help="global batch, split over the ranks")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--worker", nargs=3, metavar=("MODEL", "BATCH", "STEPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return
    from benchmarks.harness import machine, write_results

    rows = []
    for model in args.models:
        for n in args.nproc:
            rows.append(run_case(model, n, args.batch, args.steps))
            print(rows[-1], flush=True)
    info = {**machine("cpu"), "load_average": os.getloadavg()}
    lines = [
        f"# Data-parallel throughput (MPI, DistributedDataParallel), global batch {args.batch}, float32", "",
        f"Machine: {info.get('cpu_model', '?')} ({', '.join(info.get('isa', []))}), {info['cpu_count']} CPUs, "
        f"{info['platform']}; Python {info['python']}, "
        f"NumPy {info['numpy']}; 1-minute load average {info['load_average'][0]:.1f} when done (other processes "
        "shared the cores: noisy).", "", f"Command: `{info['command']}`", "",
        "| model | ranks | threads/rank | images/rank/step | step (ms) | no_sync step (ms) | images/s | "
        "vs 1 rank | communication share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        base = next((b for b in rows if b["model"] == r["model"] and b["ranks"] == 1), None)
        speedup = f"{r['images_per_s'] / base['images_per_s']:.2f}x" if base else "-"
        lines.append(f"| {r['model']} | {r['ranks']} | {r['threads_per_rank']} | {r['batch_per_rank']} | "
                     f"{1e3 * r['step_s']:.1f} | {1e3 * r['no_sync_step_s']:.1f} | {r['images_per_s']:.0f} | "
                     f"{speedup} | {100 * r['comm_share']:.0f}% |")
    write_results("distributed", {"machine": info, "rows": rows}, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
