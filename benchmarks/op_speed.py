"""A survey of common ops, ours against torch, float32, forward and forward + backward, 1 thread.

    python -m benchmarks.op_speed                 # every op; table + results/op_speed.{json,md}
    python -m benchmarks.op_speed --ops erf gelu  # a few of them (printed, results not written)

Each op runs in a fresh process (``--one NAME``), so no op's compiled kernels, caches or allocator state colour
another's. In that process both sides are written once against the same API (``lib`` is ``torch`` or
``minitorch_cnn``), get the same float32 inputs and the same random upstream gradient (``y.backward(g)``), and
are timed in turns (torch, ours, torch, ...) on the CPU clock of the process (``time.process_time``), each
sample long enough to read (calls repeated to at least ``MIN_SAMPLE_S``), the figure the median of ``--repeats``
samples. Shapes are those of the scripts that call the op (a transformer's activations, a CNN's feature maps, a
detector's boxes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from .harness import pin_threads, thread_env

if __name__ == "__main__":
    pin_threads(1)

import numpy as np  # noqa: E402

MIN_SAMPLE_S = 0.004
ACT = (64, 128, 512)  # a transformer's activations: batch 64, 128 tokens, width 512 (4.2 M values)
FMAP = (32, 64, 56, 56)  # a CNN's feature map
VOL = (4, 32, 16, 32, 32)  # a 3-d CNN's volume


def _x(rng: np.random.Generator, shape: tuple, low: float | None = None, high: float | None = None) -> np.ndarray:
    if low is None:
        return rng.standard_normal(shape).astype(np.float32)
    return rng.uniform(low, high, shape).astype(np.float32)


def _boxes(rng: np.random.Generator, n: int, size: float) -> np.ndarray:
    xy = rng.uniform(0, size * 0.8, (n, 2))
    wh = rng.uniform(size * 0.05, size * 0.3, (n, 2))
    return np.concatenate([xy, np.minimum(xy + wh, size)], axis=1).astype(np.float32)


# Each case: (name, build) where build(lib, rng) returns (forward, leaves): forward() gives the output (or a tuple
# whose first item is differentiated), leaves the tensors requiring grad (none: timed forward only).
Case = Callable[[Any, np.random.Generator], tuple[Callable[[], Any], list]]


def _unary(fn: Callable[[Any, Any], Any], shape: tuple = ACT, low: float | None = None,
           high: float | None = None, grad: bool = True) -> Case:
    def build(lib: Any, rng: np.random.Generator) -> tuple:
        x = lib.tensor(_x(rng, shape, low, high), requires_grad=grad)
        return (lambda: fn(lib, x)), [x] if grad else []
    return build


def _binary(fn: Callable[[Any, Any, Any], Any], shape: tuple = ACT, low: float = 0.5, high: float = 3.0,
            grad: bool = True) -> Case:
    def build(lib: Any, rng: np.random.Generator) -> tuple:
        a = lib.tensor(_x(rng, shape) * 4, requires_grad=grad)
        b = lib.tensor(_x(rng, shape, low, high), requires_grad=grad)
        return (lambda: fn(lib, a, b)), [a, b] if grad else []
    return build


def _indexing(kind: str) -> Case:
    def build(lib: Any, rng: np.random.Generator) -> tuple:
        src = lib.tensor(_x(rng, (8192, 512)), requires_grad=True)
        if kind == "index_select":
            idx = lib.tensor(rng.integers(0, 8192, 16384))
            return (lambda: lib.index_select(src, 0, idx)), [src]
        idx = lib.tensor(rng.integers(0, 512, (8192, 128)))
        if kind == "gather":
            return (lambda: lib.gather(src, 1, idx)), [src]
        upd = lib.tensor(_x(rng, (8192, 128)), requires_grad=True)
        return (lambda: lib.scatter_add(src, 1, idx, upd)), [src, upd]
    return build


def _joined(kind: str) -> Case:
    def build(lib: Any, rng: np.random.Generator) -> tuple:
        parts = [lib.tensor(_x(rng, (64, 128, 128)), requires_grad=True) for _ in range(4)]
        join = lib.cat if kind == "cat" else lib.stack
        return (lambda: join(parts, 1)), parts
    return build


def _embedding(lib: Any, rng: np.random.Generator) -> tuple:
    w = lib.tensor(_x(rng, (30000, 512)), requires_grad=True)
    idx = lib.tensor(rng.integers(0, 30000, (64, 128)))
    return (lambda: lib.nn.functional.embedding(idx, w)), [w]


def _layer_norm(lib: Any, rng: np.random.Generator) -> tuple:
    x = lib.tensor(_x(rng, ACT), requires_grad=True)
    w = lib.tensor(_x(rng, (512,)), requires_grad=True)
    b = lib.tensor(_x(rng, (512,)), requires_grad=True)
    return (lambda: lib.nn.functional.layer_norm(x, (512,), w, b)), [x, w, b]


def _cross_entropy(lib: Any, rng: np.random.Generator) -> tuple:
    x = lib.tensor(_x(rng, (4096, 1000)), requires_grad=True)
    t = lib.tensor(rng.integers(0, 1000, 4096))
    return (lambda: lib.nn.functional.cross_entropy(x, t)), [x]


def _pool(fn: Callable[[Any, Any], Any], shape: tuple) -> Case:
    return _unary(lambda lib, x: fn(lib.nn.functional, x), shape)


def _grid_sample(lib: Any, rng: np.random.Generator) -> tuple:
    x = lib.tensor(_x(rng, (16, 32, 64, 64)), requires_grad=True)
    grid = lib.tensor(_x(rng, (16, 64, 64, 2), -1.0, 1.0), requires_grad=True)
    return (lambda: lib.nn.functional.grid_sample(x, grid, align_corners=False)), [x, grid]


def _attention(lib: Any, rng: np.random.Generator) -> tuple:
    q, k, v = (lib.tensor(_x(rng, (16, 8, 128, 64)), requires_grad=True) for _ in range(3))
    return (lambda: lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)), [q, k, v]


def _conv3d(lib: Any, rng: np.random.Generator) -> tuple:
    x = lib.tensor(_x(rng, VOL), requires_grad=True)
    w = lib.tensor(_x(rng, (32, 32, 3, 3, 3)) * 0.05, requires_grad=True)
    return (lambda: lib.nn.functional.conv3d(x, w, padding=1)), [x, w]


def _roi_pool(lib: Any, rng: np.random.Generator) -> tuple:
    ops = _vision_ops(lib)
    x = lib.tensor(_x(rng, (2, 256, 50, 50)), requires_grad=True)
    rois = _boxes(rng, 512, 800.0)
    rois = lib.tensor(np.concatenate([rng.integers(0, 2, (512, 1)).astype(np.float32), rois], axis=1))
    return (lambda: ops.roi_pool(x, rois, (7, 7), 1 / 16)), [x]


def _nms(lib: Any, rng: np.random.Generator) -> tuple:
    ops = _vision_ops(lib)
    boxes, scores = lib.tensor(_boxes(rng, 4000, 800.0)), lib.tensor(_x(rng, (4000,), 0.0, 1.0))
    return (lambda: ops.nms(boxes, scores, 0.5)), []


def _vision_ops(lib: Any) -> Any:
    if lib.__name__ == "torch":
        import torchvision

        return torchvision.ops
    from minitorch_cnn.vision import ops

    return ops


CASES: dict[str, Case] = {
    "exp": _unary(lambda lib, x: lib.exp(x)),
    "log": _unary(lambda lib, x: lib.log(x), low=0.1, high=4.0),
    "erf": _unary(lambda lib, x: lib.erf(x)),
    "gelu": _unary(lambda lib, x: lib.nn.functional.gelu(x)),
    "gelu_tanh": _unary(lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh")),
    "sigmoid": _unary(lambda lib, x: lib.sigmoid(x)),
    "tanh": _unary(lambda lib, x: lib.tanh(x)),
    "silu": _unary(lambda lib, x: lib.nn.functional.silu(x)),
    "relu": _unary(lambda lib, x: lib.relu(x)),
    "pow_2.5": _unary(lambda lib, x: lib.pow(x, 2.5), low=0.1, high=4.0),
    "div": _binary(lambda lib, a, b: a / b),
    "remainder_scalar": _unary(lambda lib, x: lib.remainder(x, 0.7)),
    "remainder": _binary(lambda lib, a, b: lib.remainder(a, b)),
    "fmod": _binary(lambda lib, a, b: lib.fmod(a, b)),
    "floor_divide": _binary(lambda lib, a, b: lib.floor_divide(a, b), grad=False),
    "sum_dim": _unary(lambda lib, x: x.sum(-1)),
    "mean_dim": _unary(lambda lib, x: x.mean(1)),
    "max_dim": _unary(lambda lib, x: x.max(-1)),
    "var_dim": _unary(lambda lib, x: x.var(-1)),
    "norm": _unary(lambda lib, x: lib.linalg.vector_norm(x, dim=-1)),
    "sort": _unary(lambda lib, x: lib.sort(x, -1), (4096, 512)),
    "topk": _unary(lambda lib, x: lib.topk(x, 10, -1), (4096, 1000)),
    "argmax": _unary(lambda lib, x: lib.argmax(x, -1), (4096, 1000), grad=False),
    "cumsum": _unary(lambda lib, x: lib.cumsum(x, -1)),
    "index_select": _indexing("index_select"),
    "gather": _indexing("gather"),
    "scatter_add": _indexing("scatter_add"),
    "cat": _joined("cat"),
    "stack": _joined("stack"),
    "softmax": _unary(lambda lib, x: lib.softmax(x, -1)),
    "log_softmax": _unary(lambda lib, x: lib.log_softmax(x, -1)),
    "cross_entropy": _cross_entropy,
    "layer_norm": _layer_norm,
    "embedding": _embedding,
    "max_pool1d": _pool(lambda F, x: F.max_pool1d(x, 3, 2, 1), (64, 128, 512)),
    "avg_pool1d": _pool(lambda F, x: F.avg_pool1d(x, 3, 2, 1), (64, 128, 512)),
    "max_pool2d": _pool(lambda F, x: F.max_pool2d(x, 3, 2, 1), FMAP),
    "avg_pool2d": _pool(lambda F, x: F.avg_pool2d(x, 2), FMAP),
    "adaptive_avg_pool2d": _pool(lambda F, x: F.adaptive_avg_pool2d(x, 1), FMAP),
    "max_pool3d": _pool(lambda F, x: F.max_pool3d(x, 3, 1, 1), VOL),
    "max_pool3d_s2": _pool(lambda F, x: F.max_pool3d(x, 2), VOL),
    "avg_pool3d": _pool(lambda F, x: F.avg_pool3d(x, 2), VOL),
    "interpolate_bilinear": _pool(lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear"), (16, 64, 56, 56)),
    "interpolate_nearest": _pool(lambda F, x: F.interpolate(x, scale_factor=2, mode="nearest"), (16, 64, 56, 56)),
    "grid_sample": _grid_sample,
    "attention": _attention,
    "conv3d": _conv3d,
    "roi_pool": _roi_pool,
    "nms": _nms,
}


def _calls_per_sample(fn: Callable[[], Any]) -> int:
    t0 = time.process_time()
    fn()
    once = max(time.process_time() - t0, 1e-6)
    return max(1, int(MIN_SAMPLE_S / once + 0.999))


def _timed(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median CPU seconds a call of each, one sample of each in turn after a round untimed."""
    for fn in fns.values():
        fn()
    calls = {k: _calls_per_sample(fn) for k, fn in fns.items()}
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.process_time()
            for _ in range(calls[name]):
                fn()
            times[name].append((time.process_time() - t0) / calls[name])
    return {k: statistics.median(v) for k, v in times.items()}


def _step(lib: Any, build: Case, seed: int) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    """The forward and (where there is something to differentiate) forward + backward calls of one side."""
    rng = np.random.default_rng(seed)
    forward, leaves = build(lib, rng)

    def first() -> Any:
        y = forward()
        return y[0] if isinstance(y, tuple) else y

    if not leaves:
        return forward, None
    g = lib.tensor(rng.standard_normal(tuple(first().shape)).astype(np.float32))

    def both() -> None:
        for leaf in leaves:
            leaf.grad = None
        first().backward(g)

    return forward, both


def run_one(name: str, repeats: int) -> dict:
    import torch

    import minitorch_cnn as mt

    from .harness import apply_threads

    apply_threads(1)
    sides = {"torch": _step(torch, CASES[name], 0), "ours": _step(mt, CASES[name], 0)}
    fwd = _timed({k: v[0] for k, v in sides.items()}, repeats)
    row = {"op": name, "fwd_torch": fwd["torch"], "fwd_ours": fwd["ours"]}
    if sides["ours"][1] is not None:
        both = _timed({k: v[1] for k, v in sides.items()}, repeats)
        row.update(both_torch=both["torch"], both_ours=both["ours"])
    return row


def _cell(row: dict, key: str, before: dict | None) -> str:
    if f"{key}_ours" not in row:
        return "| – | – | –" + (" | –" if before is not None else "")
    ours, theirs = row[f"{key}_ours"], row[f"{key}_torch"]
    cells = f"| {ours * 1e3:.3f} | {theirs * 1e3:.3f} | {ours / theirs:.2f}"
    if before is not None:
        old = before.get(row["op"], {})
        cells += f" | {old[f'{key}_ours'] / old[f'{key}_torch']:.2f}" if f"{key}_ours" in old else " | –"
    return cells


def table(rows: list[dict], info: dict, before: dict | None = None) -> str:
    """The markdown table; ``before`` (op -> row of an earlier run) adds that run's ratios beside each."""
    was = " | {} ours/torch before" if before is not None else "{}"
    head = (f"| op | fwd ours ms | fwd torch ms | fwd ours/torch{was.format('fwd')} | fwd+bwd ours ms "
            f"| fwd+bwd torch ms | fwd+bwd ours/torch{was.format('fwd+bwd')} |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    lines += [f"| {r['op']} {_cell(r, 'fwd', before)} {_cell(r, 'both', before)} |" for r in rows]
    lines.append("")
    lines.append(f"`{info['command']}` on {info.get('cpu_model', '?')} ({', '.join(info.get('isa', []))}), "
                 f"{info['cpu_count']} cores, 1 thread each side; CPU time of the op's own process, median of "
                 f"{info['repeats']} samples taken in turns; float32; NumPy {info['numpy']}, Numba "
                 f"{info.get('numba', '-')}, torch {info['torch']}.")
    if before is not None:
        lines.append(f"\"before\": {info['before_note']}")
    return "\n".join(lines)


def _measure(name: str, repeats: int) -> dict | None:
    out = subprocess.run([sys.executable, "-m", "benchmarks.op_speed", "--one", name, "--repeats", str(repeats)],
                         env={**os.environ, **thread_env(1)}, capture_output=True, text=True)
    if out.returncode:
        print(f"{name} failed:\n{out.stderr}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--ops", nargs="*", choices=sorted(CASES), help="only these (results not written)")
    parser.add_argument("--update", action="store_true",
                        help="with --ops: re-measure those and replace their rows in results/op_speed.*")
    parser.add_argument("--before", help="a JSON of an earlier run (results/op_speed.json's form) to set its "
                                         "ratios beside these, and a note saying what it measured")
    parser.add_argument("--before-note", default="")
    parser.add_argument("--one", choices=sorted(CASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.repeats)))
        return
    from .harness import RESULTS, machine, write_results

    rows = []
    for name in args.ops or CASES:
        row = _measure(name, args.repeats)
        if row is not None:
            rows.append(row)
            print(f"| {name} {_cell(row, 'fwd', None)} {_cell(row, 'both', None)} |", flush=True)
    info = {**machine("cpu", 1), "repeats": args.repeats, "before_note": args.before_note}
    if args.update:
        payload = json.loads((RESULTS / "op_speed.json").read_text())
        fresh = {r["op"]: r for r in rows}
        rows = [fresh.get(r["op"], r) for r in payload["rows"]]
        earlier = payload["machine"].get("updated", [])
        info = {**payload["machine"], "updated": [*earlier, {"command": info["command"], "ops": sorted(fresh)}]}
    before = None
    if args.before:
        before = {r["op"]: r for r in json.loads(open(args.before).read())["rows"]}
        info["before_note"] = args.before_note
    text = table(rows, info, before)
    for update in info.get("updated", []):
        text += f"\n\nRows of {', '.join(update['ops'])} re-measured by `{update['command']}`."
    print(text)
    if args.update or not args.ops:
        write_results("op_speed", {"machine": info, "rows": rows, "before": args.before}, text)


if __name__ == "__main__":
    main()
