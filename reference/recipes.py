"""The tutorial recipes, trained here and in torch from the same initial weights and the same batches.

    python -m reference.recipes [--data-root ../shared/data] [--recipes lenet_classic cifar_cnn ...] [--quick]

Each recipe copies our freshly initialised weights into the torch twin, then both train on the very same
batches (our DataLoader's order, fed to both), float32, and the test accuracy of each is reported. Dropout
masks are drawn by each library's own generator, so models with dropout agree in accuracy, not bit for bit.
Results: benchmarks/results/recipes.json and .md.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch

import minitorch_cnn as mt
from minitorch_cnn.utils.data import DataLoader
from minitorch_cnn.vision import datasets, transforms

from .models import get_twin
from .transfer import copy_weights

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


@dataclass
class Recipe:
    """One tutorial's training setup; ``tutorial`` is the accuracy its authors reported with torch."""

    model: str
    dataset: str
    optimizer: str
    lr: float
    epochs: int
    batch_size: int
    momentum: float = 0.0
    weight_decay: float = 0.0
    tutorial: str = ""


RECIPES = {
    "lenet_classic": Recipe("lenet", "mnist", "sgd", 0.5, 16, 256, tutorial="98.5 % after 16 epochs (d2l)"),
    "mnist_net": Recipe("mnist_net", "mnist", "sgd", 0.01, 5, 64, momentum=0.5, tutorial="95 % after 5 epochs"),
    "cifar_cnn": Recipe("cifar_cnn", "cifar10", "adam", 1e-3, 10, 10, weight_decay=1e-4, tutorial="full CIFAR-10"),
    "lenet5_cifar": Recipe("lenet5_cifar", "cifar10", "adam", 1e-3, 10, 4, tutorial="full CIFAR-10"),
    "resnet_small32": Recipe("resnet_small32", "cifar10", "adam", 1e-3, 10, 64, tutorial="full CIFAR-10"),
    "resnet_small16": Recipe("resnet_small16", "cifar10", "adam", 1e-3, 10, 64, tutorial="full CIFAR-10"),
}
NORMALIZE = {
    "mnist": ((0.1307,), (0.3081,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}


def _data(recipe: Recipe, root: Path) -> tuple:
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(*NORMALIZE[recipe.dataset])])
    if recipe.dataset == "mnist":
        return datasets.MNIST(root, train=True, transform=tf), datasets.MNIST(root, train=False, transform=tf)
    cifar = root / "cifar10-subset"
    return datasets.CIFAR10(cifar, train=True, transform=tf), datasets.CIFAR10(cifar, train=False, transform=tf)


def _optimizers(recipe: Recipe, ours: mt.nn.Module, twin: torch.nn.Module) -> tuple:
    if recipe.optimizer == "sgd":
        kw = dict(lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)
        return mt.optim.SGD(ours.parameters(), **kw), torch.optim.SGD(twin.parameters(), **kw)
    kw = dict(lr=recipe.lr, weight_decay=recipe.weight_decay)
    return mt.optim.Adam(ours.parameters(), **kw), torch.optim.Adam(twin.parameters(), **kw)


def _accuracy(model_fn, loader) -> float:
    correct = total = 0
    for x, y in loader:
        pred = model_fn(x.numpy())
        correct += int((pred == y.numpy()).sum())
        total += len(y)
    return correct / total


def run(name: str, recipe: Recipe, root: Path, epochs: int | None, seed: int = 0) -> dict:
    """Train ours and the twin side by side; return both test accuracies."""
    mt.manual_seed(seed)
    torch.manual_seed(seed)
    ours, twin = mt.models.get_model(recipe.model), get_twin(recipe.model)
    copy_weights(ours, twin)
    opt_ours, opt_torch = _optimizers(recipe, ours, twin)
    log_probs = getattr(ours, "returns_log_probs", False)
    loss_ours = mt.nn.functional.nll_loss if log_probs else mt.nn.functional.cross_entropy
    loss_torch = torch.nn.functional.nll_loss if log_probs else torch.nn.functional.cross_entropy
    train, test = _data(recipe, root)
    loader = DataLoader(train, batch_size=recipe.batch_size, shuffle=True, generator=seed)
    t0 = time.perf_counter()
    for _ in range(epochs or recipe.epochs):
        ours.train()
        twin.train()
        for x, y in loader:
            opt_ours.zero_grad()
            loss_ours(ours(x), y).backward()
            opt_ours.step()
            opt_torch.zero_grad()
            loss_torch(twin(torch.from_numpy(x.numpy())), torch.from_numpy(y.numpy())).backward()
            opt_torch.step()
    ours.eval()
    twin.eval()
    test_loader = DataLoader(test, batch_size=500)
    with mt.no_grad():
        acc_ours = _accuracy(lambda a: ours(mt.tensor(a)).argmax(1).numpy(), test_loader)
    with torch.no_grad():
        acc_torch = _accuracy(lambda a: twin(torch.from_numpy(a)).argmax(1).numpy(), test_loader)
    return {
        "recipe": name, **recipe.__dict__, "epochs_run": epochs or recipe.epochs, "train_images": len(train),
        "test_images": len(test), "accuracy_ours": acc_ours, "accuracy_torch": acc_torch,
        "seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES))
    parser.add_argument("--epochs", type=int, default=None, help="override every recipe's epoch count")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    rows = []
    for name in args.recipes:
        row = run(name, RECIPES[name], Path(args.data_root), args.epochs)
        print(json.dumps(row), flush=True)
        rows.append(row)
    lines = [
        "| recipe | data (train/test) | optimizer | epochs | ours | torch twin | tutorial (torch, full data) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        opt = f"{r['optimizer']} lr {r['lr']}" + (f" m {r['momentum']}" if r["momentum"] else "")
        opt += f" wd {r['weight_decay']}" if r["weight_decay"] else ""
        lines.append(
            f"| {r['recipe']} | {r['dataset']} {r['train_images']}/{r['test_images']} | {opt} | {r['epochs_run']} | "
            f"{100 * r['accuracy_ours']:.2f} % | {100 * r['accuracy_torch']:.2f} % | {r['tutorial']} |"
        )
    table = "\n".join(lines)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recipes.json").write_text(json.dumps(rows, indent=2))
    (RESULTS / "recipes.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
