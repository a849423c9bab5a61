"""``triu`` / ``tril``: keep the upper / lower triangle of the last two dims, zero the rest.

    triu(x, d)[..., i, j] = x[..., i, j] if j - i >= d else 0;   dx = triu(g, d)
    tril(x, d)[..., i, j] = x[..., i, j] if j - i <= d else 0;   dx = tril(g, d)

The kept region is a constant 0/1 pattern, so the backward applies the same pattern to the gradient (and is itself
differentiable the same way). Where ``x`` holds -inf outside the kept region (the causal-mask idiom
``triu(full((n, n), -inf), diagonal=1)``) the result is an exact 0 there, as torch's, not -inf · 0 = nan.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor


class Triangle(Function):
    def forward(self, x: Any, keep: Any) -> Any:
        self.keep = keep
        return backend.array_module(x).where(keep, x, x.dtype.type(0))

    def backward(self, g: Any) -> Any:
        return backend.array_module(g).where(self.keep, g, g.dtype.type(0))

    def backward_graph(self, g: Tensor) -> Tensor:
        return type(self).apply(g, self.keep)


class Triu(Triangle):
    torch_name = "TriuBackward0"


class Tril(Triangle):
    torch_name = "TrilBackward0"


def _keep(x: Tensor, diagonal: int, upper: bool, op: str) -> Any:
    """The bool pattern (rows, cols) of the kept entries."""
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape {tuple(x.shape)}")
    xp = backend.array_module(x._data)
    rows, cols = x.shape[-2], x.shape[-1]
    offset = xp.arange(cols)[None, :] - xp.arange(rows)[:, None]  # j - i
    return offset >= diagonal if upper else offset <= diagonal


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - torch's name
    """Upper triangle of the last two dims of ``input`` (*, m, n), from diagonal ``diagonal`` up (0: main)."""
    return Triu.apply(input, _keep(input, int(diagonal), True, "triu"))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - torch's name
    """Lower triangle of the last two dims of ``input`` (*, m, n), from diagonal ``diagonal`` down (0: main)."""
    return Tril.apply(input, _keep(input, int(diagonal), False, "tril"))
