"""Fused products with an added term, and matrices built from pieces:

    addmm(M, A, B)     = beta * M + alpha * A @ B            (M broadcast to (n, p))
    addmv(v, A, x)     = beta * v + alpha * A @ x
    addbmm(M, A, B)    = beta * M + alpha * sum_b A[b] @ B[b]
    baddbmm(M, A, B)   = beta * M + alpha * A @ B             (batched)
    addr(M, x, y)      = beta * M + alpha * outer(x, y)
    beta = 0 ignores M's values (NaN and inf included), as torch, and gives M a zero gradient; for integer tensors
    beta and alpha are truncated to integers, as torch.
Gradients are those of the products and sums they are built from: dM = beta * g (summed over broadcast dims),
dA = alpha * g @ B^T, dB = alpha * A^T @ g (dx, dy of addr: alpha * g @ y, alpha * g^T @ x).

    chain_matmul(A, B, C, ...) = A @ B @ C ...
    block_diag(T1, T2, ...)    = the blocks on the diagonal of zeros (0-d as 1x1, 1-d as one row)
    diag_embed(x)              = x's last dim on the diagonal of new dims (dim1, dim2); dx = that diagonal of g
    diagflat(x)                = diag(x.flatten(), offset)
    vander(x, N)               = columns x^(N-1) ... x^0 (increasing: x^0 ... x^(N-1)), built by repeated products
    tril_indices / triu_indices: the (2, k) int64 coordinates of a (row, col) matrix's lower / upper triangle
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import inplace
from ._util import Clone, cast, out_arg
from .diagonal import DiagonalEmbed
from .elementwise import add, mul, where
from .flip import flip
from .indexing import diag
from .matmul import bmm, mm, mv
from .reduction import sum as sum_
from .shape import _wrap_dim, cat, pad, reshape, stack, unsqueeze


def _affine(input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:  # noqa: A002
    """``beta * input + alpha * product``, the result shaped as ``product``."""
    if input._data.dtype.kind in "iub":  # integer tensors take the scalars as integers (0.5 is 0), as torch
        beta, alpha = int(beta), int(alpha)
    try:
        fits = np.broadcast_shapes(tuple(input.shape), tuple(product.shape)) == tuple(product.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"The expanded size of the tensor {tuple(input.shape)} must match the product's size "
                           f"{tuple(product.shape)}")
    scaled = product if alpha == 1 else mul(product, alpha)
    if beta == 0:  # input's values are not read; it still gets a (zero) gradient
        xp = backend.array_module(product._data)
        return where(Tensor._wrap(xp.zeros((), dtype=bool)), input, scaled)
    return add(input if beta == 1 else mul(input, beta), scaled)


@out_arg
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return _affine(input, mm(mat1, mat2), beta, alpha)


@out_arg
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat @ vec)``."""
    return _affine(input, mv(mat, vec), beta, alpha)


@out_arg
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    return _affine(input, sum_(bmm(batch1, batch2), 0), beta, alpha)


@out_arg
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    return _affine(input, bmm(batch1, batch2), beta, alpha)


@out_arg
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * outer(vec1, vec2)``."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    return _affine(input, mul(unsqueeze(vec1, 1), unsqueeze(vec2, 0)), beta, alpha)


def chain_matmul(*matrices: Tensor) -> Tensor:
    """``matrices[0] @ matrices[1] @ ...`` (torch's deprecated name for linalg.multi_dot)."""
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return Clone.apply(matrices[0])
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d as 1x1, 1-d as a row) as blocks along the diagonal of a zero matrix, in their common dtype."""
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        blocks.append(reshape(t, (1, 1)) if t.ndim == 0 else reshape(t, (1, t.shape[0])) if t.ndim == 1 else t)
    if not blocks:
        return Tensor._wrap(np.zeros((0, 0), dtype=backend.get_default_dtype()))
    dtype = blocks[0]._data.dtype
    for b in blocks[1:]:
        dtype = backend.promote_types(dtype, b._data.dtype)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        b = b if b._data.dtype == dtype else cast(b, dtype)
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, 0)


class DiagEmbed(DiagonalEmbed):
    """x's last dim written on the diagonal (dim1, dim2) of zeros; its backward takes that diagonal again."""


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """A tensor with one more dim whose (dim1, dim2) diagonals (``offset`` above the main) hold x's last dim."""
    nd = input.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd, "diag_embed"), _wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (input.shape[-1] if input.ndim else 1) + abs(offset)
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, n)
    x = reshape(input, 1) if input.ndim == 0 else input
    return DiagEmbed.apply(x, tuple(shape), offset, d1, d2)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    """The flattened input as the ``offset``-th diagonal of a square matrix."""
    return diag(reshape(input, -1), offset)


def _indices(tri: Any, row: int, col: int, offset: int, dtype: Any, device: Any) -> Tensor:
    r, c = tri(row, offset, col)
    arr = np.stack([r, c]).astype(backend.to_dtype(np.int64 if dtype is None else dtype))
    return Tensor._wrap(backend.move_to(arr, device) if device is not None else arr)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """(2, k) coordinates of the lower triangle (on and below diagonal ``offset``), row by row."""
    return _indices(np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """(2, k) coordinates of the upper triangle (on and above diagonal ``offset``), row by row."""
    return _indices(np.triu_indices, row, col, offset, dtype, device)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803 - torch's name
    """Columns of powers of the 1-d ``x``: x^(N-1) ... x^1, x^0 (reversed with ``increasing``); ints as int64."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    base = x if x._data.dtype.kind == "f" else cast(x, np.int64)
    xp = backend.array_module(base._data)
    if n == 0:
        return Tensor._wrap(xp.zeros((base.shape[0], 0), dtype=base._data.dtype))
    cols = [Tensor._wrap(xp.ones(base.shape, dtype=base._data.dtype))]
    for _ in range(n - 1):
        cols.append(mul(cols[-1], base))
    out = stack(cols, 1)
    return out if increasing else flip(out, [1])


METHODS: dict[str, Any] = {
    "addmm": addmm, "addmv": addmv, "addbmm": addbmm, "baddbmm": baddbmm, "addr": addr,
    **{f"{f.__wrapped__.__name__}_": inplace.inplace(f, f"{f.__wrapped__.__name__}_")
       for f in (addmm, addmv, addbmm, baddbmm, addr)},
    "diag_embed": diag_embed, "diagflat": diagflat,
}
