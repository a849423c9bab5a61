"""softmax and log_softmax, stable (the max is subtracted first)."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from ._util import dim_aliases


class Softmax(Function):
    # y = e^(x-m) / Σ e^(x-m);  dx = y (g - Σ g y)
    fresh_grads = True  # backward allocates every array it returns

    def forward(self, x: Any, dim: int) -> Any:
        xp = backend.array_module(x)
        dim = dim if x.ndim else None  # a 0-d tensor normalises over itself
        if x.size == 0:  # nothing to normalise (and max() has no identity)
            self.out, self.dim = x.copy(), dim
            return self.out
        # one buffer, in place: each pass streams it once (``out=``: an array even for 0-d x)
        out = xp.subtract(x, x.max(axis=dim, keepdims=True), out=xp.empty_like(x))
        xp.exp(out, out=out)
        out /= out.sum(axis=dim, keepdims=True)
        self.out, self.dim = out, dim
        return out

    def backward(self, g: Any) -> Any:
        xp, y = backend.array_module(g), self.out
        dx = xp.multiply(g, y, out=xp.empty_like(g))
        total = dx.sum(axis=self.dim, keepdims=True)
        xp.subtract(g, total, out=dx)
        dx *= y
        return dx

    def backward_graph(self, g: Tensor) -> Tensor:
        y = self.output_tensor(self.out)
        return y * (g - (g * y).sum(dim=self.dim, keepdim=True))


class LogSoftmax(Function):
    # y = x - m - log Σ e^(x-m);  dx = g - softmax(x) Σ g
    fresh_grads = True  # backward allocates every array it returns

    def forward(self, x: Any, dim: int) -> Any:
        xp = backend.array_module(x)
        dim = dim if x.ndim else None
        if x.size == 0:
            self.out, self.dim = x.copy(), dim
            return self.out
        out = xp.subtract(x, x.max(axis=dim, keepdims=True), out=xp.empty_like(x))
        out -= xp.log(xp.exp(out).sum(axis=dim, keepdims=True))
        self.out, self.dim = out, dim
        return out

    def backward(self, g: Any) -> Any:
        xp = backend.array_module(g)
        dx = xp.exp(self.out, out=xp.empty_like(g))
        dx *= g.sum(axis=self.dim, keepdims=True)
        return xp.subtract(g, dx, out=dx)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g - self.output_tensor(self.out).exp() * g.sum(dim=self.dim, keepdim=True)


def _dim(x: Tensor, dim: int | None) -> int:
    if dim is None:
        # torch's legacy implicit dim: 0 for 0-, 1- and 3-d input, else 1
        return 0 if x.ndim in (0, 1, 3) else 1
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise IndexError(f"softmax: dim {dim} out of range for a tensor of shape {tuple(x.shape)}")
    return dim % max(x.ndim, 1)


def _floating(x: Tensor, op: str) -> Tensor:
    """torch's softmaxes refuse integer input (no implicit promotion): pass ``dtype=`` or cast first."""
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: not implemented for {x.dtype} input: expected a floating dtype (cast with .float())")
    return x


@dim_aliases
def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    return Softmax.apply(_floating(x, "softmax"), _dim(x, dim))


@dim_aliases
def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    return LogSoftmax.apply(_floating(x, "log_softmax"), _dim(x, dim))
