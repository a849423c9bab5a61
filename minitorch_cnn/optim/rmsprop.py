"""``RMSprop`` (centered, momentum), as ``torch.optim.RMSprop`` (single-tensor, foreach=False)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..kernels.numpy_kernels import lerp_
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class RMSprop(Optimizer):
    """RMSprop (Hinton), torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g²                      (square_avg)
        centered:  ḡ = lerp(ḡ, g, 1 - alpha);  d = sqrt(v - ḡ²) + eps      (grad_avg)
        else:      d = sqrt(v) + eps
        momentum > 0:  b = momentum * b + g / d;  p = p - lr * b      (momentum_buffer)
        else:          p = p - lr * g / d
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize,
                                      **implementation_flags(capturable=capturable, foreach=foreach,
                                                             differentiable=differentiable)))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = backend.array_module(p._data)
                if not state:
                    state["step"] = Tensor._wrap(np.zeros((), dtype=_step_dtype()))
                    state["square_avg"] = Tensor._wrap(xp.zeros_like(p._data))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._wrap(xp.zeros_like(p._data))
                    if centered:
                        state["grad_avg"] = Tensor._wrap(xp.zeros_like(p._data))
                grad = -p.grad._data if group["maximize"] else p.grad._data
                state["step"]._data += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if centered:
                    grad_avg = state["grad_avg"]._data
                    lerp_(grad_avg, grad, 1 - alpha)
                    avg = xp.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    avg = xp.sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += grad / avg
                    p._data -= lr * buf
                else:
                    p._data -= lr * (grad / avg)
                p._version += 1
        return loss
