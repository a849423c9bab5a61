"""Pairwise p-norm distances between the rows of x (N, M), the upper triangle of cdist(x, x) without its diagonal,
row-major: y_k = ‖x_i - x_j‖_p for i < j, (N(N-1)/2,). One node, torch's backward (``_pdist_backward``), with
d = x_i - x_j and g_k the upstream gradient; x_i receives +∂, x_j receives -∂:

    p = 0:      y = #{d ≠ 0},         ∂ = 0
    p = 1:      y = Σ|d|,             ∂ = g·sign(d)
    p = 2:      y = √Σd²,             ∂ = g·d / y                      (0 where y = 0)
    p = ∞:      y = max|d|,           ∂ = g·sign(d)·[|d| = y]          (every tied element gets it, not a share)
    p < 2:      y = (Σ|d|^p)^{1/p},   ∂ = g·sign(d)·|d|^{p-1} / y^{p-1}  (0 where y = 0, or d = 0 when p < 1)
    else:       y = (Σ|d|^p)^{1/p},   ∂ = g·d·|d|^{p-2} / y^{p-1}      (0 where y = 0)

The backward is also written in differentiable ops (``backward_graph``: the same cases, the scatter by index a
node of its own), so every order of derivative follows, as torch's PdistBackwardBackward.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from . import elementwise as ew
from .indexing import GetItem, IndexScatter


class Pdist(Function):
    def forward(self, x: Any, p: float) -> Any:
        xp = backend.array_module(x)
        n = x.shape[0]
        self.i, self.j = xp.triu_indices(n, 1)
        d = x[self.i] - x[self.j]  # (P, M)
        a = abs(d)
        if p == 0:
            y = (d != 0).sum(axis=1).astype(x.dtype)
        elif p == 1:
            y = a.sum(axis=1)
        elif p == 2:
            y = xp.sqrt((d * d).sum(axis=1))
        elif math.isinf(p):
            y = a.max(axis=1) if d.shape[1] else xp.zeros(d.shape[0], dtype=x.dtype)
        else:
            y = (a ** x.dtype.type(p)).sum(axis=1) ** x.dtype.type(1.0 / p)
        self.x, self.d, self.y, self.p, self.n = x, d, y, p, n
        return y

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        d, y, p = self.d, self.y[:, None], self.p
        t = d.dtype.type
        g = g[:, None]
        zero = y == 0
        if p == 0:
            part = xp.zeros_like(d)
        elif p == 1:
            part = g * xp.sign(d)
        elif p == 2:
            part = xp.where(zero, t(0), g * d / xp.where(zero, t(1), y))
        elif math.isinf(p):
            part = g * xp.sign(d) * (abs(d) == y)
        elif p < 2:
            a = abs(d)
            off = zero | ((d == 0) & (p < 1))
            safe_a = xp.where(off, t(1), a)
            part = xp.where(off, t(0), xp.sign(d) * safe_a ** t(p - 1) * g / xp.where(zero, t(1), y) ** t(p - 1))
        else:
            part = xp.where(zero, t(0), d * abs(d) ** t(p - 2) * g / xp.where(zero, t(1), y) ** t(p - 1))
        dx = xp.zeros((self.n, d.shape[1]), dtype=d.dtype)
        backend.scatter_add(dx, self.i, part)
        backend.scatter_add(dx, self.j, -part)
        return dx


    def backward_graph(self, g: Tensor) -> Tensor:
        xp = backend.array_module(self.d)
        x, p = self.input_tensor(0, self.x), self.p
        d = GetItem.apply(x, (self.i,)) - GetItem.apply(x, (self.j,))  # (P, M), in the graph
        gg = g.unsqueeze(1)
        zero = Tensor._wrap((self.y == 0)[:, None])
        flat = d * 0.0  # piecewise-constant cases: still in x's graph (derivative 0), as torch's
        if p == 0:
            part = flat
        elif p == 1:
            part = gg * Tensor._wrap(xp.sign(self.d)) + flat
        elif math.isinf(p):
            part = gg * Tensor._wrap(xp.sign(self.d) * (abs(self.d) == self.y[:, None])) + flat
        elif p == 2:
            y = ew.where(zero, 1.0, (d * d).sum(dim=1, keepdim=True)).sqrt()
            part = ew.where(zero, 0.0, gg * d / y)
        else:
            off = Tensor._wrap((self.y[:, None] == 0) | (self.d == 0))  # the part is 0 there (torch's cases)
            a = ew.where(off, 1.0, d.abs())
            y = ew.where(zero, 1.0, ew.where(off, 0.0, a ** p).sum(dim=1, keepdim=True)) ** (1.0 / p)
            part = ew.where(off, 0.0, Tensor._wrap(xp.sign(self.d)) * a ** (p - 1) * gg / y ** (p - 1))
        shape = (self.n, self.d.shape[1])
        return IndexScatter.apply(part, (self.i,), shape, False) - IndexScatter.apply(part, (self.j,), shape, False)


def pdist(input: Tensor, p: float = 2) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.pdist``: input (N, M) floating -> (N(N-1)/2,)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return Pdist.apply(input, float(p))
