"""``ASGD`` (averaged SGD, Polyak & Juditsky 1992), as ``torch.optim.ASGD`` (single-tensor, foreach=False)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class ASGD(Optimizer):
    """ASGD, torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``) and t the step count; ``eta`` and ``mu`` are
    0-d tensors of the scalar dtype (float32 unless the default dtype is float64), as torch keeps them::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta);  p = p - eta * g
        ax = ax + (p - ax) * mu             (ax = p while mu == 1): the running average of the iterates
        eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize, **implementation_flags(
                                          foreach=foreach, differentiable=differentiable, capturable=capturable)))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0, weight_decay = (group["lr"], group["lambd"], group["alpha"], group["t0"],
                                                  group["weight_decay"])
            for p in self._with_grad(group):
                state = self.state[p]
                xp = backend.array_module(p._data)
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=_step_dtype()))
                    state["eta"] = Tensor._wrap(np.array(lr, dtype=_step_dtype()))
                    state["mu"] = Tensor._wrap(np.ones((), dtype=_step_dtype()))
                    state["ax"] = Tensor._wrap(xp.zeros_like(p._data))
                grad = -p.grad._data if group["maximize"] else p.grad._data
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                eta = float(state["eta"]._data)
                p._data *= 1 - lambd * eta
                p._data -= eta * grad
                mu = float(state["mu"]._data)
                ax = state["ax"]._data
                if mu != 1:
                    ax += (p._data - ax) * mu
                else:
                    ax[...] = p._data
                step = float(state["step"]._data)
                # torch.as_tensor of each new value: rounded to the default dtype, then copied into the state's
                rounded = backend.get_default_dtype().type
                state["eta"]._data.fill(float(rounded(lr / ((1 + lambd * lr * step) ** alpha))))
                state["mu"]._data.fill(float(rounded(1 / max(1, step - t0))))
                p._version += 1
        return loss
