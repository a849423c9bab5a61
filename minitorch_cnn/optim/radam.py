"""``RAdam`` (rectified Adam, Liu et al. 2019), as ``torch.optim.RAdam`` (single-tensor, foreach=False)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..kernels.numpy_kernels import lerp_
from ._checks import check_adam_like
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class RAdam(Optimizer):
    """RAdam, torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``) and t the step count::

        p = p * (1 - lr * weight_decay)   if decoupled_weight_decay,  else  g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g²;  m̂ = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    p = p - m̂ * lr * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r
        otherwise:  p = p - m̂ * lr                          (the variance is not yet tractable: SGD with momentum)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_adam_like(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, decoupled_weight_decay=decoupled_weight_decay,
                                      **implementation_flags(foreach=foreach, capturable=capturable,
                                                             differentiable=differentiable)))

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
                    state["exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p._data))
                grad = -p.grad._data if group["maximize"] else p.grad._data
                state["step"]._data += 1
                step = float(state["step"]._data)
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p._data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p._data
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                corrected = exp_avg / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    root = xp.sqrt(exp_avg_sq)
                    root += eps
                    p._data -= corrected * lr * (bias_correction2**0.5 / root) * rect
                else:
                    p._data -= corrected * lr
                p._version += 1
        return loss
