"""Finite differences and the trapezoid rule along one dim: diff, trapezoid (trapz), cumulative_trapezoid.

    diff:       d_i = x_{i+1} - x_i, n times (bool inputs: x_{i+1} != x_i), after prepend/append
    trapezoid:  Σ_i Δx_i (y_i + y_{i+1}) / 2        with spacing ``dx``: (Σ y - (y_0 + y_last)/2) · dx
    cumulative_trapezoid: the running sums of the same terms
Built from slicing, sums and products, so the gradients (and second order) are theirs.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from . import elementwise as ew
from . import reduction
from ._util import out_arg, to_float
from .scan import cumsum
from .shape import _wrap_dim, cat


def _ends(x: Tensor, d: int) -> tuple[Tensor, Tensor]:
    """(x without its last slice along d, x without its first)."""
    n = x.shape[d]
    return x.narrow(d, 0, n - 1), x.narrow(d, 1, n - 1)


@out_arg
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,  # noqa: A002 - torch's name
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim``, after ``prepend``/``append`` are joined on, as torch.diff."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap_dim(dim, input.ndim, "diff")
    for extra in (prepend, append):
        if extra is not None and extra.ndim != input.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        if x.shape[d] == 0:
            break
        left, right = _ends(x, d)
        x = ew.ne(right, left) if x._data.dtype.kind == "b" else ew.sub(right, left)
    return x


def _spacing(y: Tensor, x: Tensor, d: int) -> Tensor:
    """Δx along ``d`` of y's shape: a 1-D ``x`` lies along ``d``; more dims broadcast against y."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        x = x.reshape(tuple(-1 if i == d else 1 for i in range(y.ndim)))
    left, right = _ends(x, d - y.ndim + x.ndim if x.ndim < y.ndim else d)
    return ew.sub(right, left)


def _check_x(x: Any, dx: float | None, name: str) -> None:
    """torch's two forms: (y, x: Tensor, *, dim) or (y, *, dx: number, dim)."""
    if (x is not None and not isinstance(x, Tensor)) or (x is not None and dx is not None):
        raise TypeError(f"{name}() takes either (y, x: Tensor, *, dim) or (y, *, dx: number, dim), got x of type "
                        f"{type(x).__name__} and dx={dx!r}")


def _terms(y: Tensor, x: Tensor | None, dx: float | None, dim: int) -> tuple[Tensor, int]:
    d = _wrap_dim(dim, y.ndim, "trapezoid")
    left, right = _ends(y, d)
    if x is not None:
        return ew.div(ew.mul(_spacing(y, x, d), ew.add(left, right)), 2.0), d
    return ew.mul(ew.add(left, right), (1.0 if dx is None else dx) / 2.0), d


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoid-rule integral of ``y`` along ``dim``: at sample points ``x`` (a tensor) or with a constant
    spacing ``dx`` (1 by default), as torch.trapezoid."""
    _check_x(x, dx, "trapezoid")
    d = _wrap_dim(dim, y.ndim, "trapezoid")
    if y.shape[d] == 0:
        return reduction.sum(to_float(y), d)
    if x is not None:
        spacing = _spacing(y, x, d)
        left, right = _ends(y, d)
        return ew.div(reduction.sum(ew.mul(spacing, ew.add(left, right)), d), 2.0)
    ends = ew.add(y.select(d, 0), y.select(d, -1))
    return ew.mul(ew.sub(reduction.sum(y, d), ew.mul(ends, 0.5)), 1.0 if dx is None else dx)


def trapz(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """torch.trapz: the older name of ``trapezoid`` (``trapz(y, x, dim=)`` or ``trapz(y, dx=, dim=)``)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The running trapezoid-rule integral along ``dim`` (one fewer element there), as
    torch.cumulative_trapezoid."""
    _check_x(x, dx, "cumulative_trapezoid")
    d = _wrap_dim(dim, y.ndim, "cumulative_trapezoid")
    if y.shape[d] == 0:
        return to_float(y)
    terms, d = _terms(y, x, dx, dim)
    return cumsum(terms, d)


METHODS: dict[str, Any] = {"diff": diff}
