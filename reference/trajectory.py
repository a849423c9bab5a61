"""Train a minitorch_cnn model and its torch twin side by side and watch them stay together."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import minitorch_cnn as mt

from .transfer import Comparison, Row, compare_state, forward_backward, max_abs, rel_err, to_numpy

# (optimizer module, parameters) -> optimizer; called once with mt.optim and once with torch.optim, so one
# lambda such as ``lambda optim, params: optim.SGD(params, lr=0.01, momentum=0.9)`` builds both.
OptimizerFactory = Callable[[Any, Any], Any]

# A parameter whose torch gradient stays below this fraction of the model's largest gradient at every step is
# taken as dead (zero gradient in exact arithmetic: a conv bias right before BatchNorm).
DEAD_RATIO = 1e-10


@dataclass
class Trajectory:
    """Per step: the losses of both sides and a comparison of every parameter and buffer after the update.

    ``dead`` names the parameters whose gradient is rounding noise at every step (a conv bias before BatchNorm):
    Adam divides that noise by eps, so the two sides move them apart by noise × lr / eps although they never
    change the function. ``failures`` holds them to the tolerance times the model's largest parameter instead of
    their own size.
    """

    losses_ours: list[float] = field(default_factory=list)
    losses_torch: list[float] = field(default_factory=list)
    states: list[Comparison] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)

    @property
    def final(self) -> Comparison:
        return self.states[-1]

    @property
    def loss_error(self) -> float:
        return rel_err(np.array(self.losses_ours), np.array(self.losses_torch))

    def worst_per_step(self) -> list[float]:
        """The largest relative error among the live tensors after each step."""
        return [max((r.err for r in c.rows if r.name not in self.dead), default=0.0) for c in self.states]

    def failures(self, tol: float) -> list[tuple[int, Row]]:
        """(step, row) for every tensor that broke ``tol`` after some step (dead ones against the model's scale)."""
        bad = []
        for step, cmp in enumerate(self.states):
            scale = max(r.max_torch for r in cmp.rows)
            bad += [(step, r) for r in cmp.above(tol, skip=tuple(self.dead))]
            bad += [(step, r) for r in cmp.rows if r.name in self.dead and not r.err * r.max_torch <= tol * scale]
        return bad


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
    dead: set[str] | None = None
    for x, target in batches:
        run = forward_backward(ours, twin, x, target, loss)
        grads = {n: max_abs(to_numpy(p.grad)) for n, p in twin.named_parameters() if p.grad is not None}
        tiny = {n for n, g in grads.items() if g < DEAD_RATIO * max(grads.values())}
        dead = tiny if dead is None else dead & tiny
        opt_ours.step()
        opt_torch.step()
        loss_o, loss_t = run["loss"]
        traj.losses_ours.append(float(loss_o.item()))
        traj.losses_torch.append(float(loss_t.item()))
        traj.states.append(compare_state(ours, twin))
    traj.dead = dead or set()
    return traj
