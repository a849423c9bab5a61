"""Per-sample normalisations: ``layer_norm``, ``group_norm``, ``instance_norm`` (torch.nn.functional's).

Unlike batch norm, the statistics are taken within each sample, over a set of axes A:

    forward:   μ = mean_A(x),  σ² = mean_A((x - μ)²)  (biased),  x̂ = (x - μ) / √(σ² + eps),  y = x̂·w + b
    backward:  dL/dx = (1/√(σ² + eps)) · (ĝ - mean_A(ĝ) - x̂·mean_A(ĝ·x̂)),  ĝ = g·w
               dL/dw = Σ g·x̂,  dL/db = Σ g  (over every axis w broadcasts along)

layer_norm (every transformer block calls it twice) is one node, ``LayerNorm``, whose forward and backward are
the formulas above on (rows, D) arrays, in place where they can be (the composition of nine ops it replaced ran 6-7x
torch's time); its second order is the same backward in differentiable ops. group_norm and instance_norm are
compositions of the elementwise and reduction ops, so the backward above is what autograd derives.

    layer_norm:    A = the last len(normalized_shape) axes; w, b of shape normalized_shape
    group_norm:    x (N, C, *) seen as (N, G, C/G·*), A = the last axis; w, b per channel (C,)
    instance_norm: x (N, C, *), A = the spatial axes; w, b per channel; optional running statistics updated
                   with the batch average of the instances' mean and unbiased variance, as torch's
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor, no_grad


def _normalize(x: Tensor, axes: tuple, eps: float) -> Tensor:
    """x̂ = (x - μ) / √(σ² + eps) with μ, σ² the mean and biased variance over ``axes``."""
    centered = x - x.mean(dim=axes, keepdim=True)
    var = (centered * centered).mean(dim=axes, keepdim=True)
    return centered / (var + eps).sqrt()


class LayerNorm(Function):
    """y = x̂·w + b, x̂ normalised over x's last axes (``shape``, D values: rows (M, D)); w, b of ``shape`` or None."""

    torch_name = "NativeLayerNormBackward0"

    def forward(self, x: Any, weight: Any, bias: Any, shape: tuple, eps: float) -> Any:
        xp = backend.array_module(x)
        size = math.prod(shape)
        rows = x.reshape(math.prod(x.shape[:x.ndim - len(shape)]), size)  # (M, D)
        xhat = rows - rows.mean(axis=1, keepdims=True)
        rstd = 1 / xp.sqrt(xp.mean(xhat * xhat, axis=1, keepdims=True) + eps)  # (M, 1)
        xhat *= rstd
        self.x, self.xhat, self.rstd, self.weight, self.shape, self.eps = x, xhat, rstd, weight, shape, eps
        y = xhat * weight.reshape(size) if weight is not None else xhat.copy()
        if bias is not None:
            y += bias.reshape(size)
        return y.reshape(x.shape)

    def backward(self, g: Any) -> tuple:
        need_x, need_w, need_b = self.needs_input_grad[:3]
        xhat = self.xhat  # (M, D)
        rows = g.reshape(xhat.shape)
        dx = dw = db = None
        if need_x:
            gh = rows * self.weight.reshape(-1) if self.weight is not None else rows
            dx = gh - gh.mean(axis=1, keepdims=True)
            dx -= xhat * (gh * xhat).mean(axis=1, keepdims=True)
            dx *= self.rstd
            dx = dx.reshape(self.x.shape)
        if need_w:
            dw = (rows * xhat).sum(axis=0).reshape(self.shape)
        if need_b:
            db = rows.sum(axis=0).reshape(self.shape)
        return dx, dw, db, None, None

    def backward_graph(self, g: Tensor) -> tuple:
        need_x, need_w, need_b = self.needs_input_grad[:3]
        size = math.prod(self.shape)
        rows, d = self.input_tensor(0, self.x).reshape(self.xhat.shape), g.reshape(self.xhat.shape)
        centered = rows - rows.mean(dim=1, keepdim=True)
        sd = ((centered * centered).mean(dim=1, keepdim=True) + self.eps).sqrt()
        xhat = centered / sd
        dx = dw = db = None
        if need_x:
            gh = d * self.input_tensor(1, self.weight).reshape(size) if self.weight is not None else d
            dx = (gh - gh.mean(dim=1, keepdim=True) - xhat * (gh * xhat).mean(dim=1, keepdim=True)) / sd
            dx = dx.reshape(tuple(self.x.shape))
        if need_w:
            dw = (d * xhat).sum(dim=0).reshape(self.shape)
        if need_b:
            db = d.sum(dim=0).reshape(self.shape)
        return dx, dw, db, None, None


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None, shape: tuple) -> Tensor:
    """y·w + b with w, b reshaped to ``shape`` so they broadcast along the right axes."""
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_param(op: str, name: str, t: Any, shape: tuple) -> None:
    if t is not None and (not isinstance(t, Tensor) or tuple(t.shape) != shape):
        got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
        raise RuntimeError(f"{op}: expected {name} of shape {shape}, got {got}")


def layer_norm(
    input: Tensor,  # noqa: A002 - torch's name
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """``F.layer_norm``: input (*, *normalized_shape) normalised over its last len(normalized_shape) axes."""
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}")
    _check_param("layer_norm", "weight", weight, shape)
    _check_param("layer_norm", "bias", bias, shape)
    return LayerNorm.apply(input, weight, bias, shape, eps)


def group_norm(
    input: Tensor,  # noqa: A002 - torch's name
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """``F.group_norm``: input (N, C, *) with its C channels in ``num_groups`` groups, each normalised per sample."""
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected an input of at least 2 dims (N, C, *), got {tuple(input.shape)}")
    N, C = input.shape[:2]
    if num_groups < 1 or C % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input ({C}) to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups={num_groups}")
    _check_param("group_norm", "weight", weight, (C,))
    _check_param("group_norm", "bias", bias, (C,))
    if input.numel() == 0:
        return _affine(input * 1, weight, bias, (1, C) + (1,) * (input.ndim - 2))
    grouped = input.reshape(N, num_groups, -1)
    y = _normalize(grouped, (2,), eps).reshape(tuple(input.shape))
    return _affine(y, weight, bias, (1, C) + (1,) * (input.ndim - 2))


def instance_norm(
    input: Tensor,  # noqa: A002 - torch's name
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """``F.instance_norm``: input (N, C, *) normalised per sample and channel over the spatial axes.

    With ``use_input_stats`` the instance statistics are used, and running_mean/running_var (C,), when given,
    move toward the batch averages of the instances' mean and unbiased variance (in place, as torch). Without,
    the running statistics normalise.
    """
    if input.ndim < 3:
        raise RuntimeError(f"instance_norm: expected an input (N, C, *) with spatial axes, got {tuple(input.shape)}")
    C = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean), ("running_var", running_var)):
        _check_param("instance_norm", name, t, (C,))
    shape = (1, C) + (1,) * (input.ndim - 2)
    axes = tuple(range(2, input.ndim))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: use_input_stats=False needs running_mean and running_var")
        y = (input - running_mean.reshape(shape)) / (running_var.reshape(shape) + eps).sqrt()
        return _affine(y, weight, bias, shape)
    n = math.prod(input.shape[2:])
    if n <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(input.shape)}")
    if running_mean is not None or running_var is not None:
        with no_grad():
            mean = input.mean(dim=axes)  # (N, C)
            centered = input - mean.reshape(*mean.shape, *(1,) * len(axes))
            var = (centered * centered).sum(dim=axes) / (n - 1)  # unbiased, as torch's running update
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean.mean(dim=0) * momentum)
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(var.mean(dim=0) * momentum)
    return _affine(_normalize(input, axes, eps), weight, bias, shape)
