"""``torch.gradient``: the derivative of sampled values by finite differences along each dimension, as NumPy's
``gradient`` (second-order accurate in the interior, first- or second-order at the edges).

f sampled at x_0 < x_1 < … (uniform spacing h, or coordinates), dx_i = x_{i+1} - x_i; along one dimension:

    interior, uniform      (f_{i+1} - f_{i-1}) / 2h
    interior, coordinates  a f_{i-1} + b f_i + c f_{i+1},  a = -d₂/(d₁(d₁+d₂)), b = (d₂-d₁)/(d₁d₂), c = d₁/(d₂(d₁+d₂))
                           (d₁ = dx_{i-1}, d₂ = dx_i)
    edges, edge_order=1    (f_1 - f_0)/dx_0,  (f_{n-1} - f_{n-2})/dx_{n-2}
    edges, edge_order=2    the three-point one-sided formulas (uniform: (-3f_0 + 4f_1 - f_2)/2h)

Built from slices and elementwise ops, so the gradient with respect to f (and to coordinate tensors) is theirs.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ._util import to_float
from .shape import cat, narrow


def _along(t: Tensor, dim: int, ndim: int) -> Tensor:
    """A 1-D tensor shaped to broadcast along ``dim`` of an ``ndim``-d tensor."""
    shape = [1] * ndim
    shape[dim] = -1
    return t.reshape(*shape)


def _one(f: Tensor, dim: int, spacing: Any, edge_order: int) -> Tensor:
    n = f.shape[dim]

    def sl(start: int, stop: int) -> Tensor:
        return narrow(f, dim, start, stop - start)

    if not isinstance(spacing, Tensor):
        h = float(spacing)
        interior = (sl(2, n) - sl(0, n - 2)) / (2 * h)
        if edge_order == 1:
            left, right = (sl(1, 2) - sl(0, 1)) / h, (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        else:
            left = (sl(0, 1) * -1.5 + sl(1, 2) * 2.0 - sl(2, 3) * 0.5) / h
            right = (sl(n - 3, n - 2) * 0.5 - sl(n - 2, n - 1) * 2.0 + sl(n - 1, n) * 1.5) / h
        return cat([left, interior, right], dim)
    x = to_float(spacing)
    dx = x[1:] - x[:-1]
    d1, d2 = _along(dx[:-1], dim, f.ndim), _along(dx[1:], dim, f.ndim)
    interior = (sl(0, n - 2) * (-d2 / (d1 * (d1 + d2))) + sl(1, n - 1) * ((d2 - d1) / (d1 * d2))
                + sl(2, n) * (d1 / (d2 * (d1 + d2))))
    if edge_order == 1:
        left, right = (sl(1, 2) - sl(0, 1)) / dx[0], (sl(n - 1, n) - sl(n - 2, n - 1)) / dx[-1]
    else:
        a1, a2 = dx[0], dx[1]
        left = (sl(0, 1) * (-(2 * a1 + a2) / (a1 * (a1 + a2))) + sl(1, 2) * ((a1 + a2) / (a1 * a2))
                + sl(2, 3) * (-a1 / (a2 * (a1 + a2))))
        b1, b2 = dx[-2], dx[-1]
        right = (sl(n - 3, n - 2) * (b2 / (b1 * (b1 + b2))) + sl(n - 2, n - 1) * (-(b2 + b1) / (b1 * b2))
                 + sl(n - 1, n) * ((2 * b2 + b1) / (b2 * (b1 + b2))))
    return cat([left, interior, right], dim)


def gradient(input: Tensor, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> tuple:  # noqa: A002
    """One tensor per dimension in ``dim`` (all by default): ∂input/∂x_d. ``spacing``: one number for every
    dimension, one number per dimension, or one coordinate tensor per dimension."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = list(range(input.ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    dims = [d % input.ndim for d in dims]
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        spacings = list(spacing)
    else:
        spacings = [spacing] * len(dims)
    f = to_float(input)
    return tuple(_one(f, d, s, edge_order) for d, s in zip(dims, spacings))
