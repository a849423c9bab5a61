"""The training loop behind ``minitorch-cnn train``: data, model, optimizer, scheduler, checkpoints, logs.

Everything a run needs to continue bit for bit is in ``last.npz``: weights, optimizer and scheduler state,
the global RNG state (it drives shuffling, dropout and augmentation) and the history so far.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend, models, nn, optim
from .. import distributed as dist
from ..autograd import Tensor, no_grad
from ..nn import functional as F
from ..ops.factories import from_numpy
from ..utils.data import DataLoader, DistributedSampler, Subset
from ..vision import datasets, transforms
from .checkpoint import clean_stale_temps, load_checkpoint, save_checkpoint, save_state_pt

# (channels, height/width, mean, std, number of classes) of each dataset
DATASETS: dict[str, tuple] = {
    "mnist": (1, 28, (0.1307,), (0.3081,), 10),
    "fashion-mnist": (1, 28, (0.2860,), (0.3530,), 10),
    "cifar10": (3, 32, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), 10),
}


class ConfigError(ValueError):
    """A user error in the run's options or in what they point at (the CLI prints it as one line, exit status 2)."""


DEFAULT_LR = {"sgd": 0.01, "adam": 1e-3, "adamw": 1e-3}
DEFAULT_WEIGHT_DECAY = {"sgd": 0.0, "adam": 0.0, "adamw": 1e-2}  # torch's AdamW default


@dataclass
class TrainConfig:
    """Every option of ``minitorch-cnn train`` (the CLI flags map one to one)."""

    model: str
    dataset: str = "mnist"
    epochs: int = 1
    batch_size: int = 64
    lr: float | None = None  # None: DEFAULT_LR[optimizer]; an explicit value (0 too) is used as given
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float | None = None  # None: DEFAULT_WEIGHT_DECAY[optimizer]
    scheduler: str = "none"
    device: str = "cpu"
    data_root: str | None = None
    seed: int = 0
    val_split: float = 0.1
    on_nonfinite: str = "stop"  # a NaN/inf loss: "stop" the run, or "skip" that step's update
    augment: bool = False
    checkpoint_dir: str | None = None
    resume: bool = False
    dtype: str = "float32"
    progress: bool = True
    plot: bool = True
    max_batches: int | None = None  # cut every epoch short (smoke tests)
    save_format: str = "npz"  # the best weights: best.npz, or best.pt (a state_dict torch.load reads as it is)
    extra: dict = field(default_factory=dict)

    def run_dir(self) -> Path:
        return Path(self.checkpoint_dir or f"runs/{self.model}-{self.dataset}")

    def check(self) -> None:
        """Refuse values that would train nothing or something else than asked (ConfigError names the option)."""
        counts = {"epochs": (self.epochs, 0), "batch_size": (self.batch_size, 1)}
        if self.max_batches is not None:
            counts["max_batches"] = (self.max_batches, 1)
        for name, (value, least) in counts.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ConfigError(f"{name} must be an int >= {least}, got {value!r}")
        for name in ("lr", "momentum", "weight_decay"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
        if not (0.0 <= self.val_split < 1.0):
            raise ConfigError(f"val_split must be in [0, 1), got {self.val_split!r}")
        choices = {"dataset": sorted(DATASETS), "optimizer": sorted(DEFAULT_LR), "on_nonfinite": ["skip", "stop"],
                   "scheduler": ["cosine", "none", "onecycle", "plateau", "step"], "dtype": ["float32", "float64"]}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        try:
            backend.device(self.device)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"device: {exc}") from None


def _dataset_class(name: str) -> Any:
    return {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}[name]


def build_datasets(cfg: TrainConfig, input_shape: tuple[int, int, int]) -> tuple[Any, Any, Any, list[str]]:
    """(train, val, test, class names) for a model taking ``input_shape`` (C, H, W).

    With no data root, MNIST comes from the sample shipped in the package.
    """
    if cfg.dataset not in DATASETS:
        raise ConfigError(f"unknown dataset {cfg.dataset!r}: expected one of {sorted(DATASETS)}")
    _, size, mean, std, _ = DATASETS[cfg.dataset]
    root = cfg.data_root
    if root is None:
        if cfg.dataset != "mnist":
            raise ConfigError(f"--dataset {cfg.dataset} needs --data-root (only MNIST has a sample inside the package)")
        root = str(datasets.sample_root())
    common = [transforms.ToTensor(), transforms.Normalize(mean, std)]
    # a model built for another input size (AlexNet: 227) gets a Resize in front
    resize = [transforms.Resize(input_shape[-1])] if input_shape[-1] != size else []
    augment = []
    if cfg.augment:
        augment = [transforms.RandomCrop(size, padding=4 if size == 32 else 2)]
        if cfg.dataset == "cifar10":
            augment.append(transforms.RandomHorizontalFlip())
    cls = _dataset_class(cfg.dataset)
    train_full = cls(root, train=True, transform=transforms.Compose(augment + resize + common))
    # validation images come from the same files without augmentation: a shallow copy shares the loaded arrays
    plain_train = copy.copy(train_full)
    plain_train.transform = transforms.Compose(resize + common)
    test = cls(root, train=False, transform=transforms.Compose(resize + common))
    n_val = int(round(len(train_full) * cfg.val_split))
    order = np.random.default_rng(cfg.seed).permutation(len(train_full))
    train = Subset(train_full, order[n_val:].tolist())
    val = Subset(plain_train, order[:n_val].tolist()) if n_val else None
    classes = list(getattr(train_full, "classes", [str(i) for i in range(DATASETS[cfg.dataset][4])]))
    return train, val, test, classes


def build_model(cfg: TrainConfig) -> nn.Module:
    backend.manual_seed(cfg.seed)
    channels, _, _, _, num_classes = DATASETS[cfg.dataset]
    model = models.get_model(cfg.model, num_classes=num_classes)
    if model.input_shape[0] != channels:
        raise ValueError(
            f"model {cfg.model} expects {model.input_shape[0]}-channel images but {cfg.dataset} has {channels}"
        )
    if cfg.dtype == "float64":
        model.double()
    return model.to(cfg.device)


def build_optimizer(cfg: TrainConfig, model: nn.Module) -> optim.Optimizer:
    """The optimizer; unset lr and weight decay take the optimizer's defaults, explicit ones (0 too) are kept."""
    if cfg.optimizer not in DEFAULT_LR:
        raise ConfigError(f"unknown optimizer {cfg.optimizer!r}: expected sgd, adam or adamw")
    lr = DEFAULT_LR[cfg.optimizer] if cfg.lr is None else cfg.lr
    decay = DEFAULT_WEIGHT_DECAY[cfg.optimizer] if cfg.weight_decay is None else cfg.weight_decay
    if cfg.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=lr, momentum=cfg.momentum, weight_decay=decay)
    if cfg.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=lr, weight_decay=decay)
    return optim.AdamW(model.parameters(), lr=lr, weight_decay=decay)


def _checkpoint_optimizer(meta: dict, opt_state: dict | None) -> str | None:
    """The optimizer a checkpoint was written by: from its meta, or (older files) from its param_groups' keys."""
    if meta.get("optimizer"):
        return meta["optimizer"]
    groups = (opt_state or {}).get("param_groups") or [{}]
    return "sgd" if "momentum" in groups[0] else "adam or adamw" if "betas" in groups[0] else None


def _resume(cfg: TrainConfig, path: Path, model: nn.Module, opt: optim.Optimizer, sched: Any, log: Any) -> dict:
    """Load ``path`` into the model, optimizer and scheduler after checking it fits the options; returns its meta.

    An explicit ``cfg.lr`` replaces the checkpoint's (the flag wins, as a torch user expects), with a note.
    """
    clean_stale_temps(path.parent)
    if not path.is_file():
        raise ConfigError(f"--resume: no checkpoint at {path} (train without --resume first, or fix --checkpoint-dir)")
    try:
        state, opt_state, meta = load_checkpoint(path)
    except ValueError as exc:
        raise ConfigError(f"--resume: {exc}") from None
    for name in ("model", "dataset"):
        if meta.get(name) not in (None, getattr(cfg, name)):
            raise ConfigError(f"--resume: {path} was written for {name} {meta[name]!r}, not {getattr(cfg, name)!r}")
    kind = _checkpoint_optimizer(meta, opt_state)
    if opt_state is None or kind is None or cfg.optimizer not in kind.split(" or "):
        raise ConfigError(
            f"--resume: {path} holds the state of optimizer {kind or 'none'}, but --optimizer is {cfg.optimizer}: "
            f"resume with --optimizer {kind.split(' or ')[0] if kind else cfg.optimizer} or start a new run"
        )
    model.load_state_dict(state)
    opt.load_state_dict(opt_state)
    if sched is not None and meta.get("scheduler") is not None:
        sched.load_state_dict(meta["scheduler"])
    if cfg.lr is not None:
        saved = opt.param_groups[0]["lr"]
        for group in opt.param_groups:
            group["lr"] = cfg.lr
            if "initial_lr" in group:
                group["initial_lr"] = cfg.lr
        if sched is not None and hasattr(sched, "base_lrs"):
            sched.base_lrs = [cfg.lr] * len(opt.param_groups)
        if saved != cfg.lr:
            log(f"--resume with --lr {cfg.lr}: the learning rate is now {cfg.lr} (the checkpoint's was {saved})")
    return meta


def _nonfinite(model: nn.Module) -> list[str]:
    """Names of the parameters holding a NaN or an infinity."""
    return [name for name, p in model.named_parameters() if not bool(backend.array_module(p._data).isfinite(
        p._data).all())]


def build_scheduler(cfg: TrainConfig, opt: optim.Optimizer, steps_per_epoch: int) -> Any:
    sched = optim.lr_scheduler
    if cfg.scheduler == "none":
        return None
    if cfg.scheduler == "step":
        return sched.StepLR(opt, step_size=max(cfg.epochs // 3, 1), gamma=0.1)
    if cfg.scheduler == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=cfg.epochs)
    if cfg.scheduler == "onecycle":
        max_lr = opt.param_groups[0]["lr"]
        return sched.OneCycleLR(opt, max_lr=max_lr, epochs=cfg.epochs, steps_per_epoch=steps_per_epoch)
    if cfg.scheduler == "plateau":
        return sched.ReduceLROnPlateau(opt, mode="max", patience=1)
    raise ValueError(f"unknown scheduler {cfg.scheduler!r}: expected none, step, cosine, onecycle or plateau")


def loss_fn(model: nn.Module) -> Any:
    """nll_loss for models whose forward ends in log_softmax (as in their tutorials), else cross_entropy."""
    return F.nll_loss if getattr(model, "returns_log_probs", False) else F.cross_entropy


def _as_labels(y: Tensor) -> np.ndarray:
    return backend.move_to(y._data, "cpu")


@no_grad()
def evaluate(model: nn.Module, loader: DataLoader, cfg: TrainConfig, num_classes: int) -> dict:
    """Loss, accuracy and per-class accuracy over a loader (model in eval mode)."""
    model.eval()
    criterion = loss_fn(model)
    total, loss_sum = 0, 0.0
    correct = np.zeros(num_classes, dtype=np.int64)
    count = np.zeros(num_classes, dtype=np.int64)
    for i, (x, y) in enumerate(loader):
        if cfg.max_batches is not None and i >= cfg.max_batches:
            break
        x, y = _to(x, cfg), y.to(cfg.device)
        out = model(x)
        loss_sum += float(criterion(out, y, reduction="sum").item())
        pred = _as_labels(out.argmax(1))
        labels = _as_labels(y)
        np.add.at(count, labels, 1)
        np.add.at(correct, labels[pred == labels], 1)
        total += len(labels)
    return {
        "loss": loss_sum / max(total, 1),
        "accuracy": float(correct.sum() / max(total, 1)),
        "per_class": (correct / np.maximum(count, 1)).tolist(),
        "count": count.tolist(),
    }


def _to(x: Tensor, cfg: TrainConfig) -> Tensor:
    x = x.to(cfg.device)
    return x.double() if cfg.dtype == "float64" else x


def per_class_table(result: dict, classes: list[str]) -> str:
    """A text table of accuracy per class."""
    width = max(len(c) for c in classes)
    lines = [f"{'class':<{width}}  accuracy  images"]
    for name, acc, n in zip(classes, result["per_class"], result["count"]):
        lines.append(f"{name:<{width}}  {100 * acc:7.2f}%  {n:6d}")
    lines.append(f"{'all':<{width}}  {100 * result['accuracy']:7.2f}%  {sum(result['count']):6d}")
    return "\n".join(lines)


def _quiet(*args: Any, **kwargs: Any) -> None:
    """The log of ranks other than 0."""


def _progress(iterable: Any, cfg: TrainConfig, desc: str, total: int) -> Any:
    if not cfg.progress:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True)


def _join_ranks() -> bool:
    """Whether this run is one rank of a data-parallel job (started by ``mpiexec``, or a process group already
    made by the caller); joins the process group when it has to."""
    if dist.is_initialized():
        return dist.get_world_size() > 1
    if not dist.launch.under_mpiexec():
        return False
    dist.init_process_group("mpi")
    return dist.get_world_size() > 1


def train(cfg: TrainConfig, log: Any = print) -> dict:
    """Run a training job; returns the history (also written to ``history.json`` in the run folder).

    As one rank of a data-parallel job (under ``mpiexec``): the model is wrapped in DistributedDataParallel, each
    rank trains on its DistributedSampler share (``batch_size`` images a step each), and rank 0 alone logs,
    validates, tests and writes checkpoints; the epoch's training figures are summed over the ranks.

    The first non-finite loss is logged with its epoch and step. ``cfg.on_nonfinite="stop"`` ends the run there
    (``history["stopped"]`` says where; the checkpoints keep the last good epoch); "skip" drops that step's update.
    Weights that became non-finite are never written over a checkpoint: the run stops instead. (Under DDP the
    ranks agree on each step's verdict, so they stop or skip together.)
    """
    cfg.check()
    parallel = _join_ranks()
    main_rank = not parallel or dist.get_rank() == 0
    if not main_rank:
        cfg = dataclasses.replace(cfg, progress=False)
        log = _quiet
    run_dir = cfg.run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    model = build_model(cfg)
    train_set, val_set, test_set, classes = build_datasets(cfg, model.input_shape)
    opt = build_optimizer(cfg, model)
    sampler = DistributedSampler(train_set, seed=cfg.seed) if parallel else None
    train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=sampler is None, sampler=sampler)
    val_loader = DataLoader(val_set, batch_size=256) if val_set is not None else None
    test_loader = DataLoader(test_set, batch_size=256)
    steps = len(train_loader) if cfg.max_batches is None else min(len(train_loader), cfg.max_batches)
    sched = build_scheduler(cfg, opt, steps)
    criterion = loss_fn(model)
    history: dict[str, Any] = {"config": asdict(cfg), "epochs": [], "best_val_accuracy": None}
    start_epoch = 0
    if cfg.resume:
        last = run_dir / "last.npz"
        meta = _resume(cfg, last, model, opt, sched, log)
        backend.set_rng_state(meta["rng"])
        history = meta["history"]
        start_epoch = meta["epoch"] + 1
        log(f"resumed from {last} after epoch {start_epoch}")
    best = history["best_val_accuracy"]
    net = nn.parallel.DistributedDataParallel(model) if parallel else model
    reported = False
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        skipped = 0
        if sampler is not None:
            sampler.set_epoch(epoch)
        seen, correct, loss_sum, t0 = 0, 0, 0.0, time.perf_counter()
        bar = _progress(train_loader, cfg, f"epoch {epoch + 1}/{cfg.epochs}", steps)
        for i, (x, y) in enumerate(bar):
            if cfg.max_batches is not None and i >= cfg.max_batches:
                break
            x, y = _to(x, cfg), y.to(cfg.device)
            out = net(x)
            loss = criterion(out, y)
            value = float(loss.item())
            finite = math.isfinite(value)
            if parallel:  # every rank takes the same branch, else DDP's all-reduce in backward() would wait forever
                flag = from_numpy(np.array([0.0 if finite else 1.0]))
                dist.all_reduce(flag)
                finite = not flag._data[0]
            if not finite:
                if not reported:
                    reported = True
                    log(f"non-finite loss {value} at epoch {epoch + 1}, step {i + 1}: "
                        + ("stopping (no checkpoint is written for this epoch)" if cfg.on_nonfinite == "stop"
                           else "skipping the update of every such step"))
                skipped += 1
                if cfg.on_nonfinite == "stop":
                    history["stopped"] = {"epoch": epoch + 1, "step": i + 1, "loss": str(value)}
                    break
                if cfg.scheduler == "onecycle":
                    sched.step()  # the schedule keeps its length: this step's lr is spent without an update
                continue
            opt.zero_grad()
            loss.backward()
            opt.step()
            if cfg.scheduler == "onecycle":
                sched.step()
            n = len(y)
            seen += n
            loss_sum += value * n
            correct += int((_as_labels(out.detach().argmax(1)) == _as_labels(y)).sum())
            if cfg.progress:
                rate = seen / (time.perf_counter() - t0)
                bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{100 * correct / seen:.2f}%", img_s=f"{rate:.0f}")
        bad = _nonfinite(model) if "stopped" not in history else []
        if bad:
            log(f"epoch {epoch + 1}: parameters {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''} are not finite: "
                "stopping without writing them to a checkpoint")
            history["stopped"] = {"epoch": epoch + 1, "step": None, "nonfinite_parameters": bad}
        if "stopped" in history:
            break
        elapsed = time.perf_counter() - t0
        if parallel:  # the epoch's figures over every rank's share
            totals = from_numpy(np.array([seen, correct, loss_sum], dtype=np.float64))  # float64: exact counts
            dist.all_reduce(totals)
            seen, correct, loss_sum = int(totals._data[0]), int(totals._data[1]), float(totals._data[2])
        row: dict[str, Any] = {
            "epoch": epoch + 1,
            "train_loss": loss_sum / max(seen, 1),
            "train_accuracy": correct / max(seen, 1),
            "images_per_s": seen / elapsed,
            "lr": opt.param_groups[0]["lr"],
        }
        if skipped:
            row["skipped_steps"] = skipped
        if val_loader is not None and main_rank:
            val = evaluate(model, val_loader, cfg, len(classes))
            row.update(val_loss=val["loss"], val_accuracy=val["accuracy"])
        if parallel:  # every rank's scheduler steps on rank 0's validation
            rows = [row]
            dist.broadcast_object_list(rows, src=0)
            row = rows[0]
        if cfg.scheduler == "plateau":
            sched.step(row.get("val_accuracy", row["train_accuracy"]))
        elif sched is not None and cfg.scheduler != "onecycle":
            sched.step()
        history["epochs"].append(row)
        score = row.get("val_accuracy", row["train_accuracy"])
        meta = {
            "epoch": epoch,
            "rng": backend.get_rng_state(),
            "scheduler": sched.state_dict() if sched is not None else None,
            "model": cfg.model,
            "dataset": cfg.dataset,
            "optimizer": cfg.optimizer,
        }
        if best is None or score > best:
            best = score
            history["best_val_accuracy"] = best
            if main_rank:
                if cfg.save_format == "pt":
                    save_state_pt(run_dir / "best.pt", model.state_dict())
                else:
                    save_checkpoint(run_dir / "best.npz", model.state_dict(), None, {**meta, "history": history})
        if main_rank:
            save_checkpoint(run_dir / "last.npz", model.state_dict(), opt.state_dict(), {**meta, "history": history})
        msg = f"epoch {epoch + 1}: train loss {row['train_loss']:.4f} acc {100 * row['train_accuracy']:.2f}%"
        if "val_accuracy" in row:
            msg += f" | val loss {row['val_loss']:.4f} acc {100 * row['val_accuracy']:.2f}%"
        log(msg + f" | {row['images_per_s']:.0f} img/s" + (f" | {skipped} steps skipped" if skipped else ""))
    if not main_rank:
        return history
    if "stopped" not in history:
        test = evaluate(model, test_loader, cfg, len(classes))
        history["test"] = test
        log(per_class_table(test, classes))
    (run_dir / "history.json").write_text(json.dumps(history, indent=2))
    if cfg.plot and history["epochs"]:
        from .plots import plot_history

        plot_history(history, run_dir / "curves.png")
    return history
