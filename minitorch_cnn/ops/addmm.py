"""Fused products with an added term, and matrices built from pieces:

    addmm(M, A, B)     = beta * M + alpha * A @ B            (M broadcast to (n, p))
    addmv(v, A, x)     = beta * v + alpha * A @ x
    addbmm(M, A, B)    = beta * M + alpha * sum_b A[b] @ B[b]
    baddbmm(M, A, B)   = beta * M + alpha * A @ B             (batched)
    addr(M, x, y)      = beta * M + alpha * outer(x, y)
    beta = 0 ignores M's values (NaN and inf included), as torch, and gives M a zero gradient; for integer tensors
    beta and alpha are truncated to integers, as torch.
Each is one node (torch's AddmmBackward0 ...): dM = beta * g (summed over broadcast dims), dA = alpha * g @ B^T,
dB = alpha * A^T @ g (addbmm: every batch meets the same g; addmv: dA = alpha * outer(g, x); addr: dx = alpha * g @ y,
dy = alpha * g^T @ x). The backward as a graph is the same expressions on Tensors, so they differentiate again.

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
from ..autograd import Function, Tensor
from . import inplace
from ._util import Clone, cast, out_arg, sum_to, unbroadcast
from .diagonal import DiagonalEmbed
from .elementwise import mul
from .flip import flip
from .indexing import diag
from .matmul import mm
from .shape import _wrap_dim, cat, pad, reshape, stack


class _AddProduct(Function):
    """``beta * M + alpha * P(A, B)`` as one node; each subclass is one product P, under torch's node name.
    ``grads(g, a, b)`` gives (dA from b, dB from a) for arrays and Tensors alike (``@``, ``swapaxes``, indexing);
    an operand forward did not keep (its partner needs no gradient) is None, and so is the gradient needing it."""

    fresh_grads = True

    @staticmethod
    def product(a: Any, b: Any) -> Any:
        return a @ b

    @staticmethod
    def grads(g: Any, a: Any, b: Any) -> tuple:
        return (g @ b.swapaxes(-1, -2) if b is not None else None), (a.swapaxes(-1, -2) @ g if a is not None else None)

    def forward(self, m: Any, a: Any, b: Any, beta: Any, alpha: Any) -> Any:
        need_a, need_b = self.needs_input_grad[1:3]
        self.a, self.b = (a if need_b else None), (b if need_a else None)
        self.m_shape, self.beta, self.alpha = m.shape, beta, alpha
        out = self.product(a, b)
        out = out * alpha if alpha != 1 else out
        if beta != 0:  # beta = 0: M's values are not read, NaN and inf included
            out = out + (m * beta if beta != 1 else m)
        return out.astype(m.dtype, copy=False)

    def backward(self, g: Any) -> tuple:
        gm = unbroadcast(g * self.beta, self.m_shape) if self.needs_input_grad[0] else None
        return (gm, *self.grads(g * self.alpha, self.a, self.b), None, None)

    def backward_graph(self, g: Tensor) -> tuple:
        gm = sum_to(g * self.beta, self.m_shape) if self.needs_input_grad[0] else None
        a = self.input_tensor(1, self.a) if self.a is not None else None
        b = self.input_tensor(2, self.b) if self.b is not None else None
        return (gm, *self.grads(g * self.alpha, a, b), None, None)


class Addmm(_AddProduct):
    pass


class Baddbmm(_AddProduct):
    pass


class Addbmm(_AddProduct):
    # sum_b A[b] @ B[b]: g (n, p) meets every batch
    @staticmethod
    def product(a: Any, b: Any) -> Any:
        return (a @ b).sum(0)


class Addmv(_AddProduct):
    @staticmethod
    def grads(g: Any, a: Any, b: Any) -> tuple:
        return (g[:, None] * b[None, :] if b is not None else None), (a.swapaxes(-1, -2) @ g if a is not None else None)


class Addr(_AddProduct):
    @staticmethod
    def product(a: Any, b: Any) -> Any:
        return a[:, None] * b[None, :]

    @staticmethod
    def grads(g: Any, a: Any, b: Any) -> tuple:
        return (g @ b if b is not None else None), (g.swapaxes(-1, -2) @ a if a is not None else None)


def _apply(node: type, input: Tensor, a: Tensor, b: Tensor, out_shape: tuple, beta: Any,  # noqa: A002
           alpha: Any) -> Tensor:
    """Checks shared by the family (dtypes, input broadcastable to the product), then the node."""
    if input.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {input.dtype} and {b.dtype}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {a.dtype} and {b.dtype}")
    try:
        fits = np.broadcast_shapes(tuple(input.shape), out_shape) == out_shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"The expanded size of the tensor {tuple(input.shape)} must match the product's size "
                           f"{out_shape}")
    if input._data.dtype.kind in "iub":  # integer tensors take the scalars as integers (0.5 is 0), as torch
        beta, alpha = int(beta), int(alpha)
    return node.apply(input, a, b, beta, alpha)


def _matrices(a: Tensor, b: Tensor) -> tuple:
    for name, t in (("mat1", a), ("mat2", b)):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                           f"{b.shape[0]}x{b.shape[1]})")
    return a.shape[0], b.shape[1]


def _batches(a: Tensor, b: Tensor, per_batch: bool) -> tuple:
    for name, t in (("batch1", a), ("batch2", b)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if per_batch and (a.shape[0], a.shape[2]) != (b.shape[0], b.shape[1]):  # baddbmm's message
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}")
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
                           f"{b.shape[1]}x{b.shape[2]})")
    return a.shape[0], a.shape[1], b.shape[2]


@out_arg
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return _apply(Addmm, input, mat1, mat2, _matrices(mat1, mat2), beta, alpha)


@out_arg
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat @ vec)``."""
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    return _apply(Addmv, input, mat, vec, (mat.shape[0],), beta, alpha)


@out_arg
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    return _apply(Addbmm, input, batch1, batch2, _batches(batch1, batch2, False)[1:], beta, alpha)


@out_arg
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    return _apply(Baddbmm, input, batch1, batch2, _batches(batch1, batch2, True), beta, alpha)


@out_arg
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * outer(vec1, vec2)``."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    return _apply(Addr, input, vec1, vec2, (vec1.shape[0], vec2.shape[0]), beta, alpha)


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
        return Tensor._wrap(np.zeros((1, 0), dtype=backend.get_default_dtype()))  # torch: one empty row
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
