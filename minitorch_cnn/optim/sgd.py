"""``SGD`` with momentum, dampening, Nesterov, weight decay and maximize, as ``torch.optim.SGD`` (foreach=False).

Each parameter's update is one kernel (``sgd_step``: the reference's array code, or the Numba path's single
pass over the parameter, its gradient and its buffer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend, kernels
from ..autograd import Tensor
from ..kernels import numpy_kernels
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
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in self._with_grad(group):
                buf, first = None, False
                if momentum != 0:
                    state = self.state[p]
                    held = state.get("momentum_buffer")
                    first = held is None
                    if first:  # the update writes the first step's direction into it
                        held = state["momentum_buffer"] = Tensor._wrap(backend.array_module(p._data).empty_like(
                            p._data))
                    buf = held._data
                update = kernels.get("sgd_step", p._data) if p._data.dtype.itemsize >= 4 else numpy_kernels.sgd_step
                update(p._data, p.grad._data, buf, first, lr, momentum, dampening, weight_decay, nesterov, maximize)
                p._version += 1
        return loss
