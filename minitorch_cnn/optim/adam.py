"""``Adam`` (L2 or decoupled weight decay, AMSGrad, maximize), as torch's single-tensor (foreach=False) Adam.

Each parameter's update is one kernel (``adam_step``: the reference's array code, or the Numba path's single pass
over the parameter, its gradient and its moments)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend, kernels
from ..autograd import Tensor
from ..kernels import numpy_kernels
from .optimizer import Optimizer, ParamsT, _step_dtype, implementation_flags


class Adam(Optimizer):
    """Adam, torch's update to the letter.

    Per parameter, with g its gradient (negated when ``maximize``) and t the step count::

        p = p * (1 - lr * weight_decay)         if decoupled_weight_decay (AdamW)
        g = g + weight_decay * p                otherwise
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                   (amsgrad: v_max replaces v below)
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        p = p - lr / (1 - beta1**t) * m / denom
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
            **implementation_flags(foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused),
        )
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, amsgrad: bool) -> dict[str, Any]:
        """Zero moments on the parameter's device and dtype; ``step`` is a CPU scalar, as in torch."""
        state = self.state[p]
        if not state:
            xp = backend.array_module(p._data)
            state["step"] = Tensor._wrap(np.zeros((), dtype=_step_dtype()))
            state["exp_avg"] = Tensor._wrap(xp.zeros_like(p._data))
            state["exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p._data))
            if amsgrad:
                state["max_exp_avg_sq"] = Tensor._wrap(xp.zeros_like(p._data))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for p in self._with_grad(group):
                state = self._init_state(p, amsgrad)
                state["step"]._data += 1
                update = kernels.get("adam_step", p._data) if p._data.dtype.itemsize >= 4 else numpy_kernels.adam_step
                update(p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                       state["max_exp_avg_sq"]._data if amsgrad else None, float(state["step"]._data), lr, beta1,
                       beta2, eps, weight_decay, group["decoupled_weight_decay"], group["maximize"])
                p._version += 1
        return loss
