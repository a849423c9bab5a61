"""Batch normalisation over the channel axis (axis 1) of (N, C) or (N, C, *) inputs, torch's rules.

Training normalises with the batch mean and the biased batch variance and updates the running
statistics in place with the unbiased one; evaluation normalises with the running statistics.
Per-channel sums of float32 data are accumulated in float64, as torch's CPU kernel does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, kernels
from ..autograd import Function, Tensor
from ._util import check_same_device


class BatchNorm(Function):
    """y = x̂ · w + b,  x̂ = (x - μ) / √(σ² + eps), per channel c (axis 1).

    x: (N, C, *); weight, bias: (C,) or None; running_mean, running_var: raw (C,) arrays or None,
    updated in place when training. The loops over each channel's values are kernels
    (``batch_norm_forward``/``batch_norm_backward``, x seen as (N, C, L)); this node holds torch's rules.
    """

    fresh_grads = True  # backward allocates every array it returns

    def forward(
        self, x: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any,
        training: bool, momentum: float, eps: float,
    ) -> Any:
        x3 = x.reshape(x.shape[0], x.shape[1], -1)  # (N, C, L)
        stats = (None, None) if training else (running_mean.astype(np.float64), running_var.astype(np.float64))
        y, mean64, var64 = kernels.get("batch_norm_forward", x)(x3, weight, bias, *stats, eps)
        if training and running_mean is not None:
            # torch: r ← (1-m) r + m μ  and  r_var ← (1-m) r_var + m σ²·n/(n-1)  (the unbiased variance)
            n = x3.shape[0] * x3.shape[2]
            running_mean[...] = (1 - momentum) * running_mean.astype(np.float64) + momentum * mean64
            running_var[...] = (1 - momentum) * running_var.astype(np.float64) + momentum * var64 * n / (n - 1)
        # backward recomputes x̂ from x, μ, σ: no second (N, C, L) array is kept
        self.x3, self.mean, self.var, self.weight, self.eps, self.training = x3, mean64, var64, weight, eps, training
        return y.reshape(x.shape)

    def backward(self, g: Any) -> tuple:
        need_x, need_w, need_b = self.needs_input_grad[:3]
        x3 = self.x3
        dx, sum_g, sum_gx = kernels.get("batch_norm_backward", g)(
            g.reshape(x3.shape), x3, self.mean, self.var, self.weight, self.eps, self.training, need_x
        )
        dt = g.dtype
        gx = dx.reshape(g.shape) if need_x else None
        gw = sum_gx.astype(dt) if need_w else None  # dL/dw = Σ g·x̂
        gb = sum_g.astype(dt) if need_b else None  # dL/db = Σ g
        return gx, gw, gb, None, None

    def backward_graph(self, g: Tensor) -> tuple:
        # The backward formula in differentiable ops (torch's batchnorm_double_backward is its derivative):
        #   training:  dx = w/σ · (g - mean(g) - x̂ · mean(g·x̂)),  x̂ and σ from the batch, recomputed in the graph
        #   eval:      dx = w/σ · g,  x̂ = (x - running_mean)/σ with the running statistics as constants
        #   dw = Σ g·x̂,  db = Σ g  (sums and means per channel, over every axis but 1)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        dt = g.dtype
        shape = tuple(g.shape)
        axes = (0,) + tuple(range(2, len(shape)))
        per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
        x = self.input_tensor(0, self.x3.reshape(shape))
        if self.training:
            centered = x - x.mean(dim=axes, keepdim=True)
            inv_std = ((centered * centered).mean(dim=axes, keepdim=True) + self.eps) ** -0.5
        else:
            centered = x - self.mean.astype(dt).reshape(per_channel)
            inv_std = (1 / backend.array_module(self.var).sqrt(self.var + self.eps)).astype(dt).reshape(per_channel)
        x_hat = centered * inv_std
        w = self.input_tensor(1, self.weight).reshape(per_channel) if self.weight is not None else None
        gx = None
        if need_x:
            inner = g
            if self.training:
                inner = g - g.mean(dim=axes, keepdim=True) - x_hat * (g * x_hat).mean(dim=axes, keepdim=True)
            gx = inner * inv_std if w is None else inner * (inv_std * w)
        gw = (g * x_hat).sum(dim=axes) if need_w else None
        gb = g.sum(dim=axes) if need_b else None
        return gx, gw, gb, None, None


def batch_norm(
    input: Tensor,  # noqa: A002 - torch's name
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch norm of input (N, C) or (N, C, *) per channel; weight, bias, running stats: (C,).

    ``momentum`` must be a float here; the modules turn ``momentum=None`` (a cumulative average)
    into 1/num_batches_tracked before calling, as torch's do.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input (N, C) or (N, C, *), got shape {tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"batch_norm: {name} should have shape ({c},) for input {tuple(input.shape)}, "
                               f"got {tuple(t.shape)}")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var must be given together")
    check_same_device("batch_norm", ("input", input), ("weight", weight), ("bias", bias),
                      ("running_mean", running_mean), ("running_var", running_var))
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"batch_norm: mixed dtype: input is {input.dtype} but {name} is {t.dtype} (all inputs "
                               "must share the same dtype, as in torch)")
    if input.numel() == 0:
        # torch: an empty batch gives an empty output and leaves the running statistics as they are
        if weight is None and bias is None:
            return input * 1
        lift = (1, c) + (1,) * (input.ndim - 2)
        out = input * weight.reshape(lift) if weight is not None else input * 1
        return out + bias.reshape(lift) if bias is not None else out
    if training:
        if input.numel() // max(c, 1) == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}"
            )
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
        if running_mean is not None and momentum is None:
            raise TypeError("batch_norm: momentum must be a float (the modules handle momentum=None)")
    else:
        if eps < 0.0:
            raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
        if running_mean is None:
            raise RuntimeError("batch_norm: running_mean and running_var are required when training=False")
    rm = None if running_mean is None else running_mean._data
    rv = None if running_var is None else running_var._data
    out = BatchNorm.apply(input, weight, bias, rm, rv, bool(training), momentum, float(eps))
    if training and running_mean is not None:
        running_mean._version += 1
        running_var._version += 1
    return out
