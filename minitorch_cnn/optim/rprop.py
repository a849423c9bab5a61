"""``Rprop`` (resilient backpropagation, Riedmiller & Braun 1993), as ``torch.optim.Rprop`` (single-tensor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class Rprop(Optimizer):
    """Rprop, torch's update to the letter: only the gradient's sign is used, each element with its own step size.

    Per element, with g its gradient (negated when ``maximize``) and g' the previous one kept (``prev``)::

        g * g' > 0:  s = min(s * eta_plus, step_size_max)
        g * g' < 0:  s = max(s * eta_minus, step_size_min);  g = 0   (no move, and no sign change next step)
        g * g' = 0:  s = clamp(s, step_size_min, step_size_max)
        p = p - sign(g) * s;   g' = g

    Step sizes start at ``lr``.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize,
                                      **implementation_flags(foreach=foreach, differentiable=differentiable,
                                                             capturable=capturable)))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            size_min, size_max = group["step_sizes"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = backend.array_module(p._data)
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=_step_dtype()))
                    state["prev"] = Tensor._wrap(xp.zeros_like(p._data))
                    state["step_size"] = Tensor._wrap(xp.full_like(p._data, group["lr"]))
                grad = -p.grad._data if group["maximize"] else p.grad._data.copy()
                state["step"]._data += 1
                prev, step_size = state["prev"]._data, state["step_size"]._data
                agreement = grad * prev
                factor = xp.ones_like(grad)
                factor[agreement > 0] = etaplus
                flipped = agreement < 0
                factor[flipped] = etaminus
                step_size *= factor
                xp.clip(step_size, size_min, size_max, out=step_size)
                grad[flipped] = 0
                p._data -= xp.sign(grad) * step_size
                prev[...] = grad
                p._version += 1
        return loss
