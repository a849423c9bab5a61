"""Train a minitorch_cnn model and its torch twin side by side and watch them stay together."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import minitorch_cnn as mt

from .transfer import Comparison, compare_state, forward_backward, rel_err

# (optimizer module, parameters) -> optimizer; called once with mt.optim and once with torch.optim, so one
# lambda such as ``lambda optim, params: optim.SGD(params, lr=0.01, momentum=0.9)`` builds both.
OptimizerFactory = Callable[[Any, Any], Any]


@dataclass
class Trajectory:
    """Losses of both sides per step, the worst parameter/buffer error after each step, and the final state."""

    losses_ours: list[float] = field(default_factory=list)
    losses_torch: list[float] = field(default_factory=list)
    worst_per_step: list[float] = field(default_factory=list)
    final: Comparison = field(default_factory=Comparison)

    @property
    def loss_error(self) -> float:
        return rel_err(np.array(self.losses_ours), np.array(self.losses_torch))


def train_side_by_side(
    ours: Any,
    twin: Any,
    batches: Iterable[tuple[np.ndarray, np.ndarray]],
    make_optimizer: OptimizerFactory,
    loss: str | None = None,
) -> Trajectory:
    """One optimizer step per (x, target) batch on each side, from whatever weights the two models hold now.

    The models should start equal (see ``copy_weights``) and be deterministic (dropout off); they are trained
    in whatever mode they are in (BatchNorm in training mode uses batch statistics on both sides).
    """
    opt_ours, opt_torch = make_optimizer(mt.optim, ours.parameters()), make_optimizer(torch.optim, twin.parameters())
    traj = Trajectory()
    for x, target in batches:
        run = forward_backward(ours, twin, x, target, loss)
        opt_ours.step()
        opt_torch.step()
        loss_o, loss_t = run["loss"]
        traj.losses_ours.append(float(loss_o.item()))
        traj.losses_torch.append(float(loss_t.item()))
        traj.final = compare_state(ours, twin)
        traj.worst_per_step.append(traj.final.worst())
    return traj
