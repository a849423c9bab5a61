"""``minitorch-cnn``: train, evaluate (and the study tools) from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import parity_cmd
from . import train as training
from .argtypes import device, float_in, int_at_least


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="model name, e.g. lenet5, mnist_net, cifar_cnn, resnet18 (see `minitorch-cnn models`)")
    p.add_argument("--dataset", default="mnist", choices=sorted(training.DATASETS))
    p.add_argument(
        "--data-root", default=None, help="torchvision-layout data folder (default: the MNIST sample in the package)"
    )
    p.add_argument("--batch-size", type=int_at_least(1), default=64)
    p.add_argument("--device", type=device, default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-batches", type=int_at_least(1), default=None,
                   help="cut every epoch short after this many batches")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minitorch-cnn", description=__doc__)
    parser.add_argument(
        "--threads", type=int, default=None,
        help="CPU threads (mt.set_num_threads; default: OMP_NUM_THREADS, else the usable cores)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model")
    _add_common(t)
    t.add_argument("--epochs", type=int_at_least(0), default=1, help="the total, counting resumed epochs")
    t.add_argument("--lr", type=float_in(0.0), default=None,
                   help="default: 0.01 for sgd, 1e-3 for adam/adamw; with --resume it replaces the checkpoint's")
    t.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "adamw"])
    t.add_argument("--momentum", type=float_in(0.0), default=0.9)
    t.add_argument("--weight-decay", type=float_in(0.0), default=None, help="default: 0, or 1e-2 for adamw")
    t.add_argument("--scheduler", default="none", choices=["none", "step", "cosine", "onecycle", "plateau"])
    t.add_argument("--val-split", type=float_in(0.0, 1.0, high_open=True), default=0.1,
                   help="share of the training images held out for validation, in [0, 1)")
    t.add_argument("--on-nonfinite", default="stop", choices=["stop", "skip"],
                   help="a NaN/inf loss: stop the run (exit status 1) or skip that step's update")
    t.add_argument("--augment", action="store_true", help="random crop (and flip on CIFAR-10)")
    t.add_argument("--checkpoint-dir", default=None, help="default: runs/MODEL-DATASET")
    t.add_argument("--resume", action="store_true", help="continue from CHECKPOINT_DIR/last.npz")
    t.add_argument("--save-format", default="npz", choices=["npz", "pt"],
                   help="best weights as best.npz, or as best.pt: a state_dict torch.load reads as it is")
    t.add_argument("--no-progress", action="store_true")
    t.add_argument("--no-plot", action="store_true")
    t.add_argument("--nproc", type=int, default=1,
                   help="data-parallel ranks started with mpiexec (needs the dist extra); --batch-size is per rank")

    e = sub.add_parser("evaluate", help="evaluate saved weights on the test set")
    _add_common(e)
    e.add_argument("--weights", required=True, help="our .npz checkpoint or a .pt/.pth state_dict (ours or torch's)")

    sub.add_parser("models", help="list the models")
    parity_cmd.add_parsers(sub)  # parity, graph, summary: the study tools
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a user error (bad option values, a checkpoint that does not fit) prints one line,
    ``minitorch-cnn: error: ...``, and returns 2 (argparse's own usage errors exit 2 as well)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.threads is not None:
        from ..kernels import threads

        if args.threads < 1:
            parser.error(f"--threads must be a positive integer, got {args.threads}")
        threads.set_num_threads(args.threads)
    try:
        return _run(args, argv)
    except (training.ConfigError, FileNotFoundError) as exc:
        print(f"minitorch-cnn: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    if args.command in parity_cmd.COMMANDS:
        return parity_cmd.COMMANDS[args.command](args)
    if args.command == "models":
        from .. import models

        print("\n".join(sorted(models.MODELS)))
        return 0
    if args.command == "train":
        from .. import distributed as dist

        if args.nproc > 1 and not dist.launch.under_mpiexec():  # start the ranks; each runs this command
            return dist.launch.spawn(args.nproc, ["-m", "minitorch_cnn.apps.cli", *argv])
        cfg = training.TrainConfig(
            model=args.model, dataset=args.dataset, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
            optimizer=args.optimizer, momentum=args.momentum, weight_decay=args.weight_decay,
            scheduler=args.scheduler, device=args.device, data_root=args.data_root, seed=args.seed,
            val_split=args.val_split, on_nonfinite=args.on_nonfinite,
            augment=args.augment, checkpoint_dir=args.checkpoint_dir, resume=args.resume,
            dtype=args.dtype, progress=not args.no_progress, plot=not args.no_plot, max_batches=args.max_batches,
            save_format=args.save_format,
        )
        if cfg.data_root is None:
            print("no --data-root: training on the MNIST sample shipped inside the package", file=sys.stderr)
        history = training.train(cfg)
        if "stopped" in history:
            where = history["stopped"]
            print(f"minitorch-cnn: training stopped in epoch {where['epoch']} (see above); history.json is in "
                  f"{cfg.run_dir()}", file=sys.stderr)
            return 1
        if not dist.is_initialized() or dist.get_rank() == 0:
            print(f"checkpoints, history.json and curves.png are in {cfg.run_dir()}")
        return 0
    from ..utils.data import DataLoader
    from .checkpoint import load_state_file

    cfg = training.TrainConfig(
        model=args.model, dataset=args.dataset, batch_size=args.batch_size, device=args.device,
        data_root=args.data_root, seed=args.seed, dtype=args.dtype, max_batches=args.max_batches, val_split=0.0,
    )
    model = training.build_model(cfg)
    model.load_state_dict(load_state_file(args.weights))
    _, _, test, classes = training.build_datasets(cfg, model.input_shape)
    result = training.evaluate(model, DataLoader(test, batch_size=256), cfg, len(classes))
    print(training.per_class_table(result, classes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
