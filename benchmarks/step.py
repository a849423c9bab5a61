"""One framework's training step and inference, timed in an interpreter of its own, as a user's script runs them.

    python -m benchmarks.step ours lenet5 64 --repeats 10 --warmup 3
    python -m benchmarks.step torch lenet5 64 --repeats 10 --warmup 3

``benchmarks.run`` starts one of these per framework and round. Nothing here sets threads, BLAS or allocator
options: the environment is the caller's (``run`` sets only the thread count), each library does on import what it
does for any user, and the process imports one framework only: torch's side uses the torch twins of
``reference/models.py``, loaded without the ``reference`` package (which imports ours); ours, the package. Same
step on both sides: forward, cross-entropy, backward, SGD with momentum 0.9 and weight decay 5e-4, on one fixed
batch (NumPy's generator, seed 0) and each framework's default initialisation under seed 0. Prints one JSON line:
the seconds of every timed training step, then of every timed inference call (eval mode, no grad), the thread
count the framework reports and the vector ISA its kernels dispatch to.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 5e-4


def _ours(name: str, x: np.ndarray, y: np.ndarray) -> tuple[Callable[[], Any], Callable[[], Any], int]:
    import minitorch_cnn as mt

    mt.manual_seed(0)
    model = mt.models.get_model(name)
    opt = mt.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    loss = mt.nn.functional.nll_loss if getattr(model, "returns_log_probs", False) else mt.nn.functional.cross_entropy
    mx, my = mt.tensor(x), mt.tensor(y)

    def train() -> None:
        opt.zero_grad()
        loss(model(mx), my).backward()
        opt.step()

    def infer() -> None:
        model.eval()
        with mt.no_grad():
            model(mx)

    return train, infer, mt.get_num_threads()


def _twins() -> Any:
    """``reference/models.py`` loaded on its own: the ``reference`` package's ``__init__`` imports minitorch_cnn,
    whose policies (threads, malloc) must not reach torch's process."""
    spec = importlib.util.spec_from_file_location("reference_models", ROOT / "reference" / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _torch(name: str, x: np.ndarray, y: np.ndarray) -> tuple[Callable[[], Any], Callable[[], Any], int]:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = _twins().get_twin(name)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def train() -> None:
        opt.zero_grad()
        F.cross_entropy(model(tx), ty).backward()
        opt.step()

    def infer() -> None:
        model.eval()
        with torch.no_grad():
            model(tx)

    return train, infer, torch.get_num_threads()


def _timed(fn: Callable[[], Any], repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _isa(side: str) -> str:
    """The vector ISA the side's kernels dispatch to in this process (an emulation shows here): our micro-kernels'
    (``mt.backends.isa()``), torch's ATen capability."""
    if side == "ours":
        import minitorch_cnn as mt

        return mt.backends.isa()
    import torch

    return torch.backends.cpu.get_cpu_capability()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("side", choices=["ours", "torch"])
    parser.add_argument("model")
    parser.add_argument("batch", type=int)
    parser.add_argument("--input-shape", type=int, nargs=3, required=True, metavar=("C", "H", "W"))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, *args.input_shape)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)
    train, infer, threads = (_ours if args.side == "ours" else _torch)(args.model, x, y)
    train_s = _timed(train, args.repeats, args.warmup)
    infer_s = _timed(infer, args.repeats, args.warmup)
    print(json.dumps({"side": args.side, "threads": threads, "isa": _isa(args.side), "train_s": train_s,
                      "infer_s": infer_s}))


if __name__ == "__main__":
    main()
