"""The study commands of ``minitorch-cnn``: ``parity`` (a model against its torch twin, layer by layer),
``graph`` (the autograd graph of one training step) and ``summary`` (the layer table).

``graph`` and ``summary`` need only the framework. ``parity`` needs torch and the ``reference`` package (the
torch twins, the parity report and its tolerances, the real-data readers), an optional import: the framework never
imports ``reference`` (see its ``__init__``), and this module reaches it only inside ``run_parity`` (and the
``_batch`` it calls), never at import. It is installed beside the framework with ``pip install -e '.[dev]'``; when
it or torch is missing, ``parity`` says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .argtypes import int_at_least


def add_parsers(sub: Any) -> None:
    """Add ``parity``, ``graph`` and ``summary`` to the CLI's subparsers."""
    p = sub.add_parser(
        "parity",
        help="compare one training step with the torch twin, layer by layer; exit status 1 past tolerance",
        description="Copy the torch twin's weights into the model, run one forward/loss/backward on both from "
        "the same batch, and print per layer the relative error of the output, of dL/d(output) and of "
        "dL/d(input), then every parameter gradient and buffer. Forward rows are checked in execution order, "
        "gradient rows in backward order (closest to the loss first); the first row past tolerance is marked.",
    )
    p.add_argument("model", help="model name (see `minitorch-cnn models`)")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    p.add_argument("--batch", type=int_at_least(1), default=2, help="batch size (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seeds the twin's init and the random batch")
    p.add_argument("--tol", type=float, default=None, help="default: 1e-9 for float64, 1e-4 for float32")
    p.add_argument("--eval", action="store_true", help="compare in eval mode (default: training mode)")
    p.add_argument("--data-root", default=None,
                   help="torchvision-layout data folder: use real MNIST / CIFAR-10 images instead of random ones")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    g = sub.add_parser("graph", help="print the autograd graph of one forward + loss as a tree (or DOT / PNG)")
    g.add_argument("model", help="model name (see `minitorch-cnn models`)")
    g.add_argument("--batch", type=int_at_least(1), default=1)
    g.add_argument("--dot", default=None, help="also write Graphviz DOT text to this file")
    g.add_argument("--png", default=None, help="also draw the graph to this image (needs Graphviz's `dot`)")

    s = sub.add_parser("summary", help="print the layer table: output shapes, parameters, mult-adds")
    s.add_argument("model", help="model name (see `minitorch-cnn models`)")
    s.add_argument("--batch", type=int_at_least(1), default=1)


def _deterministic_kwargs(factory: Any) -> dict:
    """``dropout=0`` for constructors that take it: two libraries cannot draw the same dropout masks."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return {}
    return {"dropout": 0.0} if "dropout" in params else {}


def _batch(shape: tuple[int, ...], n: int, seed: int, data_root: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """(x, y, description): real images when ``data_root`` holds the dataset matching ``shape``, else N(0, 1)."""
    if data_root is not None:
        from reference.data import load_cifar10, load_mnist, resize_nearest  # optional: see the module docstring

        root = Path(data_root)
        if shape[0] == 1 and (root / "MNIST" / "raw").is_dir():
            x, y = load_mnist(root, n)
            if shape[1:] == x.shape[2:]:
                return x, y, "MNIST images"
        cifar = next((r for r in (root, root / "cifar10-subset") if (r / "cifar-10-batches-py").is_dir()), None)
        if shape[0] == 3 and cifar is not None:
            x, y = load_cifar10(cifar, n)
            return (x if shape[1] == 32 else resize_nearest(x, shape[1])), y, "CIFAR-10 images"
        print(f"no data for input shape {shape} under {root}: using random inputs", file=sys.stderr)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape)), rng.integers(0, 10, n), "random N(0, 1) inputs"


def run_parity(args: argparse.Namespace) -> int:
    try:
        import torch

        from reference import get_twin
        from reference.parity import parity_report
    except ImportError as exc:
        print(f"minitorch-cnn parity needs torch and the reference package (pip install -e '.[dev]'): {exc}",
              file=sys.stderr)
        return 2
    from .. import backend, models

    if args.model not in models.MODELS:
        print(f"unknown model {args.model!r}; choose one of: {', '.join(models.MODELS)}", file=sys.stderr)
        return 2
    kwargs = _deterministic_kwargs(models.MODELS[args.model])
    torch.manual_seed(args.seed)
    backend.manual_seed(args.seed)
    twin = get_twin(args.model, **kwargs)
    ours = models.get_model(args.model, **kwargs)
    x, y, what = _batch(tuple(ours.input_shape), args.batch, args.seed, args.data_root)
    report = parity_report(
        ours, twin, x, y, dtype=args.dtype, tol=args.tol,
        train=not args.eval, title=f"minitorch-cnn parity {args.model}: {what}, batch {tuple(x.shape)}, "
        f"{'eval' if args.eval else 'training'} mode",
    )
    if args.json:
        print(report.to_json())
    else:
        report.show()
    return 0 if report.ok else 1


def _build(name: str) -> Any:
    from .. import models

    if name not in models.MODELS:
        raise SystemExit(f"unknown model {name!r}; choose one of: {', '.join(models.MODELS)}")
    return models.get_model(name)


def run_graph(args: argparse.Namespace) -> int:
    from ..nn import functional as F
    from ..ops.factories import randn, zeros
    from ..study import viz

    model = _build(args.model)
    x = randn(args.batch, *model.input_shape)
    out = model(x)
    loss_fn = F.nll_loss if getattr(model, "returns_log_probs", False) else F.cross_entropy
    g = viz.graph(loss_fn(out, zeros(args.batch, dtype="int64")), params=dict(model.named_parameters()))
    print(g.text())
    print(f"{len(g.nodes)} nodes, {len(g.edges)} edges", file=sys.stderr)
    if args.dot:
        Path(args.dot).write_text(g.dot())
    if args.png:
        try:
            g.render(args.png)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
    return 0


def run_summary(args: argparse.Namespace) -> int:
    from ..study.summary import summary

    model = _build(args.model)
    summary(model, (args.batch, *model.input_shape))
    return 0


COMMANDS = {"parity": run_parity, "graph": run_graph, "summary": run_summary}
