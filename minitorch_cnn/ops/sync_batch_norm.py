"""Batch normalisation whose statistics span every rank's batch (``SyncBatchNorm``'s op).

Forward, per channel c over all ranks' values (n of them in all):
    μ = Σ x / n,  σ² = Σ (x - μ)² / n  (two all-reduces: the sums and count, then the squared deviations),
    x̂ = (x - μ) / √(σ² + eps),  y = x̂ · w + b;  running statistics take μ and the unbiased σ²·n/(n-1).
Backward, with the global sums Σg and Σg·x̂ (one all-reduce):
    dx = w / √(σ² + eps) · (g - Σg / n - x̂ · Σg·x̂ / n),
    dw = Σ g·x̂ and db = Σ g over this rank's values only, as torch's: DistributedDataParallel averages them.
So each rank's dx equals the slice of BatchNorm's dx on the whole batch. Sums are taken in float64.
x: (N, C, *); weight, bias: (C,) or None; running_mean, running_var: raw (C,) arrays or None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import distributed as dist
from ..autograd import Function, Tensor
from ..backend import array_module


def _all_sum(arr: Any) -> Any:
    """``arr`` summed over the ranks (a new float64 array)."""
    t = Tensor._wrap(array_module(arr).ascontiguousarray(arr, dtype=np.float64))
    dist.all_reduce(t)
    return t._data


class SyncBatchNorm(Function):
    def forward(self, x: Any, weight: Any, bias: Any, running_mean: Any, running_var: Any, momentum: float,
                eps: float) -> Any:
        xp = array_module(x)
        x3 = x.reshape(x.shape[0], x.shape[1], -1)  # (N, C, L)
        c = x3.shape[1]
        local = xp.concatenate([x3.sum(axis=(0, 2), dtype=np.float64), xp.full(1, x3.shape[0] * x3.shape[2])])
        total = _all_sum(local)
        n = int(total[c])
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got {n} over all ranks "
                             f"(input size {tuple(x.shape)} here)")
        mean = total[:c] / n
        var = _all_sum(((x3 - mean[:, None]) ** 2).sum(axis=(0, 2))) / n
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = (x3 - mean[:, None]) * invstd[:, None]
        y = xhat if weight is None else xhat * weight.astype(np.float64)[:, None]
        if bias is not None:
            y = y + bias.astype(np.float64)[:, None]
        if running_mean is not None:
            running_mean[...] = (1 - momentum) * running_mean.astype(np.float64) + momentum * mean
            running_var[...] = (1 - momentum) * running_var.astype(np.float64) + momentum * var * n / (n - 1)
        self.x3, self.mean, self.invstd, self.weight, self.n = x3, mean, invstd, weight, n
        return y.astype(x.dtype).reshape(x.shape)

    def backward(self, g: Any) -> tuple:
        xp = array_module(g)
        x3, c = self.x3, self.mean.shape[0]
        g3 = g.reshape(x3.shape).astype(np.float64)
        xhat = (x3 - self.mean[:, None]) * self.invstd[:, None]
        sum_g, sum_gx = g3.sum(axis=(0, 2)), (g3 * xhat).sum(axis=(0, 2))
        both = _all_sum(xp.concatenate([sum_g, sum_gx]))
        scale = self.invstd if self.weight is None else self.invstd * self.weight.astype(np.float64)
        dx = scale[:, None] * (g3 - both[:c, None] / self.n - xhat * (both[c:, None] / self.n))
        gw = sum_gx.astype(g.dtype) if self.needs_input_grad[1] else None
        gb = sum_g.astype(g.dtype) if self.needs_input_grad[2] else None
        return dx.astype(g.dtype).reshape(g.shape), gw, gb, None, None


def sync_batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
                    weight: Tensor | None, bias: Tensor | None, momentum: float, eps: float) -> Tensor:
    """Training-mode batch norm of input (N, C, *) with statistics over every rank of the process group."""
    rm = None if running_mean is None else running_mean._data
    rv = None if running_var is None else running_var._data
    out = SyncBatchNorm.apply(input, weight, bias, rm, rv, float(momentum), float(eps))
    if running_mean is not None:
        running_mean._version += 1
        running_var._version += 1
    return out
