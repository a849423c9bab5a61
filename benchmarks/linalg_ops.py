"""The linear-algebra ops added in session 12, ours against torch: forward + backward (random upstream gradients),
float64, one thread, CPU time (``time.process_time``), ours and torch timed in turns in one process, medians.

    python -m benchmarks.linalg_ops [--repeats 7]

The LU factorisation here is NumPy code with one Python step per column (batched over the matrices), where torch
calls LAPACK's getrf: its ratio grows with n.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from benchmarks.harness import apply_threads, machine, pin_threads, write_results

CASES = [("lu_factor", (64, 64, 64)), ("lu_factor", (4, 256, 256)), ("solve_triangular", (64, 64, 64)),
         ("svd", (64, 32, 16)), ("eigh", (64, 32, 32)), ("pinv", (64, 32, 16)), ("lstsq", (64, 32, 16))]


def _call(lib: Any, name: str, a: Any) -> Any:
    la = lib.linalg
    if name == "lu_factor":
        return la.lu_factor(a).LU
    if name == "solve_triangular":
        return la.solve_triangular(a, a, upper=False)
    if name == "svd":
        u, s, vh = la.svd(a, full_matrices=False)
        return (u.sum() + s.sum() + vh.sum()) * 1.0
    if name == "eigh":
        w, v = la.eigh(a)
        return w.sum() + v.sum()
    if name == "lstsq":
        return la.lstsq(a, a[..., :1]).solution
    return la.pinv(a)


def _step(lib: Any, name: str, data: Any) -> Any:
    a = lib.tensor(data, requires_grad=True)
    out = _call(lib, name, a)
    out.backward(lib.ones_like(out))
    return a.grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    pin_threads(1)
    import numpy as np
    import torch

    import minitorch_cnn as mt

    apply_threads(1)
    rng = np.random.default_rng(0)
    rows = []
    for name, shape in CASES:
        data = rng.standard_normal(shape) + (3 * np.eye(shape[-1]) if shape[-1] == shape[-2] else 0)
        times: dict[str, list[float]] = {"ours": [], "torch": []}
        for lib in (mt, torch):
            _step(lib, name, data)  # warm-up
        for _ in range(args.repeats):
            for key, lib in (("ours", mt), ("torch", torch)):
                t0 = time.process_time()
                _step(lib, name, data)
                times[key].append(time.process_time() - t0)
        ours, theirs = statistics.median(times["ours"]), statistics.median(times["torch"])
        rows.append({"op": name, "shape": list(shape), "ours_ms": 1e3 * ours, "torch_ms": 1e3 * theirs,
                     "ratio": ours / theirs})
    head = "| op (fwd + bwd, float64) | shape | ours ms | torch ms | ours/torch |\n|---|---|---|---|---|\n"
    table = head + "\n".join(
        f"| {r['op']} | {tuple(r['shape'])} | {r['ours_ms']:.2f} | {r['torch_ms']:.2f} | {r['ratio']:.2f} |"
        for r in rows)
    write_results("linalg_ops", {"machine": machine("cpu", threads=1), "rows": rows}, table)
    print(table)


if __name__ == "__main__":
    main()
