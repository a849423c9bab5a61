"""``Adagrad`` (lr_decay, initial_accumulator_value), as ``torch.optim.Adagrad`` (single-tensor, dense)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``) and t the step count::

        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g²                                   (sum, starting at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    As torch's, the state (step 0 and the filled sum) exists from construction, for every parameter.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize,
                                      **implementation_flags(foreach=foreach, differentiable=differentiable,
                                                             fused=fused)))
        for group in self.param_groups:
            for p in group["params"]:
                self._state(p, group)

    def _state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        """The parameter's state, made (step 0, sum filled) when it has none yet: at construction, or for a
        group added later by ``add_param_group``."""
        state = self.state[p]
        if not state:
            xp = backend.array_module(p._data)
            state["step"] = Tensor._wrap(np.zeros((), dtype=_step_dtype()))
            state["sum"] = Tensor._wrap(xp.full_like(p._data, group["initial_accumulator_value"]))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lr_decay, eps, weight_decay = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
            for p in self._with_grad(group):
                state = self._state(p, group)
                xp = backend.array_module(p._data)
                grad = -p.grad._data if group["maximize"] else p.grad._data
                state["step"]._data += 1
                step = float(state["step"]._data)
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                state_sum += grad * grad
                std = xp.sqrt(state_sum)
                std += eps
                p._data -= clr * (grad / std)
                p._version += 1
        return loss
