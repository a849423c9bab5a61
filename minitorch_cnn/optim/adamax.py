"""``Adamax`` (Adam with the infinity norm, Kingma & Ba 2014), as ``torch.optim.Adamax`` (single-tensor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..kernels.numpy_kernels import lerp_
from ._checks import check_adam_like
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class Adamax(Optimizer):
    """Adamax, torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``) and t the step count::

        g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)          (exp_avg, exp_inf)
        p = p - lr / (1 - beta1**t) * m / u
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_adam_like(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, **implementation_flags(
                                          foreach=foreach, differentiable=differentiable, capturable=capturable)))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = backend.array_module(p._data)
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=_step_dtype()))
                    state["exp_avg"] = Tensor._wrap(xp.zeros_like(p._data))
                    state["exp_inf"] = Tensor._wrap(xp.zeros_like(p._data))
                grad = -p.grad._data if group["maximize"] else p.grad._data
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                lerp_(exp_avg, grad, 1 - beta1)
                exp_inf *= beta2
                norm = xp.abs(grad)
                norm += eps
                xp.maximum(exp_inf, norm, out=exp_inf)
                clr = lr / (1 - beta1 ** float(state["step"]._data))
                p._data += -clr * exp_avg / exp_inf
                p._version += 1
        return loss
