"""Small products and norms built from differentiable ops: trace, cross, kron, outer/ger, inner, tensordot,
cartesian_prod, combinations, dist, renorm.

    trace:     Σ_i A_ii                          dA = g·I
    cross:     c = a × b along a dim of size 3   da = b × g, db = g × a
    kron:      K[(i·p + k), (j·q + l)] = A_ij B_kl
    outer:     O_ij = a_i b_j;  inner: Σ_k a_..k b_..k;  tensordot: Σ over the paired dims
    dist:      ‖a - b‖_p (all elements)
    renorm:    each slice x_i along ``dim`` scaled by maxnorm / (‖x_i‖_p + 1e-7) where ‖x_i‖_p > maxnorm
The gradients are those of the pieces (products, sums, gathers, norms), so they differentiate again.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import elementwise as ew
from . import inplace, reduction
from ._util import binary_operands, cast, out_arg
from .diagonal import diagonal
from .gather import Gather
from .matmul import mm
from .shape import _wrap_dim, meshgrid, stack


def trace(x: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix (integer inputs give int64), as torch.trace."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if x._data.dtype.kind == "b":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return reduction.sum(diagonal(x))


def _cross_dim(a: Tensor, b: Tensor, dim: int | None) -> int:
    ndim = max(a.ndim, b.ndim)
    if dim is None:  # torch.cross's old default: the first dim of size 3
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        dim = next((i for i, n in enumerate(shape) if n == 3), -1)
    d = _wrap_dim(dim, ndim, "linalg.cross")
    na, nb = a.shape[d - ndim + a.ndim] if a.ndim else 0, b.shape[d - ndim + b.ndim] if b.ndim else 0
    if na != 3 or nb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} and {nb}")
    return d - ndim


@out_arg
def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002 - torch's name
    """The cross product of 3-vectors along ``dim`` (the inputs broadcast), as torch.linalg.cross."""
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions. Got {input.ndim} and "
                           f"{other.ndim}")
    a, b = binary_operands(input, other)
    d = _cross_dim(a, b, dim)
    a0, a1, a2 = (a.select(d, i) for i in range(3))
    b0, b1, b2 = (b.select(d, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=d)


@out_arg
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """torch.cross: ``linalg.cross`` along ``dim``, or along the first dim of size 3 when ``dim`` is None (with
    torch's deprecation warning)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
    return linalg_cross(input, other, dim=_cross_dim(*binary_operands(input, other), dim))


@out_arg
def kron(a: Tensor, b: Tensor) -> Tensor:
    """The Kronecker product: block (i, j, ...) is ``a[i, j, ...] * b`` (the fewer dims padded with leading 1s)."""
    a, b = binary_operands(a, b)
    nd = max(a.ndim, b.ndim)
    sa, sb = (1,) * (nd - a.ndim) + tuple(a.shape), (1,) * (nd - b.ndim) + tuple(b.shape)
    wide = a.reshape(tuple(v for n in sa for v in (n, 1))) * b.reshape(tuple(v for n in sb for v in (1, n)))
    return wide.reshape(tuple(m * n for m, n in zip(sa, sb)))


@out_arg
def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """``out[i, j] = input[i] * vec2[j]`` for 1-D inputs, as torch.outer (and its alias ger)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


@out_arg
def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum over paired dims: ``dims`` an int n (a's last n with b's first n) or two lists (a's dims, b's dims)."""
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"both inputs should have same dtype (got {a.dtype} and {b.dtype})")
    if isinstance(dims, Tensor):
        dims = dims.tolist() if dims.ndim else int(dims.item())
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da, db = [_wrap_dim(d, a.ndim, "tensordot") for d in da], [_wrap_dim(d, b.ndim, "tensordot") for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} "
                               f"and second has size {b.shape[j]} in dim {j}")
    free_a, free_b = [i for i in range(a.ndim) if i not in da], [j for j in range(b.ndim) if j not in db]
    k = math.prod(a.shape[i] for i in da)
    left = a.permute(free_a + da).reshape(-1, k)
    right = b.permute(db + free_b).reshape(k, -1)
    return mm(left, right).reshape(tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b))


@out_arg
def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The dot product over the last dims (a product when either is 0-d), as torch.inner."""
    if input.ndim == 0 or other.ndim == 0:
        return ew.mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, rows in lexicographic order, as
    torch.cartesian_prod (one tensor: itself)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], dim=1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-``r`` combinations of a 1-D tensor's elements as rows, in itertools' order, as
    torch.combinations."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._wrap(backend.array_module(input._data).empty((0,), dtype=input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    idx = backend.move_to(idx, input.device)
    return Gather.apply(input.reshape(1, -1).expand(idx.shape[0], -1), 1, idx)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm of ``input - other`` over all elements (the two broadcast), as torch.dist."""
    return reduction.norm(ew.sub(input, other), p)


@out_arg
def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:  # noqa: A002
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to (nearly) ``maxnorm``, as
    torch.renorm (the scale is maxnorm / (norm + 1e-7))."""
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"renorm: expected a floating point input, but got {input.dtype}")
    d = _wrap_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = reduction.norm(input, p, others, keepdim=True) if others else ew.abs(input)
    over = Tensor._wrap(norm._data > maxnorm)
    factor = ew.where(over, ew.div(maxnorm, ew.add(norm, 1e-7)), 1.0)
    return ew.mul(input, cast(factor, input.dtype))


METHODS: dict[str, Any] = {
    "trace": trace, "cross": cross, "kron": kron, "outer": outer, "ger": ger, "inner": inner,
    "dist": dist, "renorm": renorm, "renorm_": inplace.inplace(renorm, "renorm_"),
}
