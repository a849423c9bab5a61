"""Many optimizer steps side by side: same initial weights, same real batches, same order, dropout off.

SGD (momentum 0.9, weight decay 5e-4) and Adam, BatchNorm in training mode, float64. After every step every
parameter and running statistic must stay within 1e-8 relative of torch's; at the end, eval-mode outputs too.
Conv biases right before BatchNorm get only rounding noise as gradient, which Adam divides by eps: they are held
to 1e-8 of the model's largest parameter instead of their own size (``Trajectory.failures``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from minitorch_cnn.models import get_model
from reference import compare_models, copy_weights, get_twin, train_side_by_side
from reference.data import dither, load_cifar10, load_mnist, resize_nearest
from tests._parity import data_root

OPTIMIZERS = {
    "sgd": lambda optim, params: optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=5e-4),
    "adam": lambda optim, params: optim.Adam(params, lr=1e-3),
}
# name -> (kwargs with dropout off, data, batch size, steps). ResNet-18 and AlexNet take seconds a step in float64
# on one core, so they run fewer steps to keep the file within its time budget.
CASES = {
    "lenet": ({}, "mnist", 16, 20),
    "lenet5": ({}, "mnist", 16, 20),
    "lenet5_cifar": ({}, "cifar", 16, 20),
    "mnist_net": ({"dropout": 0.0}, "mnist", 16, 20),
    "cifar_cnn": ({}, "cifar", 8, 20),
    "resnet_small16": ({}, "cifar", 4, 20),
    "resnet_small32": ({}, "cifar", 4, 20),
    "resnet18": ({}, "cifar", 2, 3),
    "alexnet_bn": ({"dropout": 0.0}, "cifar227", 1, 2),
}


def batches(kind: str, size: int, steps: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Consecutive real batches; MNIST with a sub-grey-level dither that breaks its exact max-pool ties."""
    root = data_root()
    if kind == "mnist":
        x, y = load_mnist(root, size * steps)
        x = dither(x)
    else:
        x, y = load_cifar10(root / "cifar10-subset", size * steps)
        x = resize_nearest(x, 227) if kind == "cifar227" else x
    return [(x[i : i + size], y[i : i + size]) for i in range(0, size * steps, size)]


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("name", list(CASES))
def test_training_stays_with_torch(name: str, opt: str) -> None:
    kwargs, kind, size, steps = CASES[name]
    data = batches(kind, size, steps + 1)
    torch.manual_seed(0)
    twin = get_twin(name, **kwargs).double()
    ours = get_model(name, **kwargs).double()
    copy_weights(twin, ours)
    traj = train_side_by_side(ours, twin, data[:steps], OPTIMIZERS[opt])
    assert all(n.endswith(".bias") for n in traj.dead), traj.dead  # only conv biases before BN may be dead
    assert not traj.failures(1e-8), f"{name}/{opt} worst per step {traj.worst_per_step()}\n{traj.final}"
    assert traj.loss_error <= 1e-9, (traj.losses_ours, traj.losses_torch)
    ours.eval()
    twin.eval()
    final = compare_models(ours, twin, *data[steps])
    assert not final.failures(1e-8), f"{name}/{opt} eval after training:\n{final}"
