"""``SGD`` with momentum, dampening, Nesterov, weight decay and maximize, as ``torch.optim.SGD`` (foreach=False)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import Tensor
from .optimizer import Optimizer, ParamsT, implementation_flags


class SGD(Optimizer):
    """Stochastic gradient descent, torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        b = g (first step: a copy, no dampening)  |  b = momentum * b + (1 - dampening) * g
        g = g + momentum * b if nesterov else b
        p = p - lr * g
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            maximize=maximize, **implementation_flags(foreach=foreach, differentiable=differentiable, fused=fused),
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in self._with_grad(group):
                grad = -p.grad._data if group["maximize"] else p.grad._data
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._wrap(grad.copy())
                    else:
                        buf._data *= momentum
                        # torch scales by (1 - dampening) even when it is 1; skipping that exact no-op saves a copy
                        buf._data += grad if dampening == 0 else (1 - dampening) * grad
                    grad = grad + momentum * buf._data if nesterov else buf._data
                p._data -= lr * grad
                p._version += 1
        return loss
