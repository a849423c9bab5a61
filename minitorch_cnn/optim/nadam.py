"""``NAdam`` (Nesterov-accelerated Adam, Dozat 2016), as ``torch.optim.NAdam`` (single-tensor, foreach=False)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..kernels.numpy_kernels import lerp_
from ._checks import check_adam_like
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class NAdam(Optimizer):
    """NAdam, torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``) and t the step count::

        p = p * (1 - lr * weight_decay)   if decoupled_weight_decay,  else  g = g + weight_decay * p
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay));  Π = Π * mu_t      (mu_product, a scalar)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g²
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - Π) * g / denom - lr * mu_{t+1} / (1 - Π * mu_{t+1}) * m / denom

    ``mu_product`` is kept as torch keeps it: a 0-d tensor of the scalar dtype (float32 unless the default dtype
    is float64), so its rounding is torch's.
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_adam_like(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, **implementation_flags(
                                          foreach=foreach, capturable=capturable, differentiable=differentiable)))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = backend.array_module(p._data)
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=_step_dtype()))
                    state["mu_product"] = Tensor._wrap(np.ones((), dtype=_step_dtype()))
                    state["exp_avg"] = Tensor._wrap(xp.zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p._data))
                grad = -p.grad._data if group["maximize"] else p.grad._data
                state["step"]._data += 1
                step = float(state["step"]._data)
                bias_correction2 = 1 - beta2**step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p._data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p._data
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                mu_product = state["mu_product"]._data
                mu_product *= mu
                mu_product_now = float(mu_product)
                exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
                lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                denom = xp.sqrt(exp_avg_sq / bias_correction2)
                denom += eps
                p._data += (-lr * (1.0 - mu) / (1.0 - mu_product_now)) * grad / denom
                p._data += ((-lr * mu_next) / (1.0 - mu_product_now * mu_next)) * exp_avg / denom
                p._version += 1
        return loss
