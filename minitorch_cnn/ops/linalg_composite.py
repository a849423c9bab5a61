"""torch.linalg functions composed of differentiable ops (their gradients, and second order, are the
composition's): matrix_power, multi_dot, vecdot, vander, tensorinv, tensorsolve, cond, and the ``_ex`` forms of
inv, cholesky and solve that report failures in ``info`` instead of raising.

    matrix_power(A, k)   A·A·…·A by repeated squaring (k < 0: of A⁻¹; k = 0: I, with a zero gradient to A)
    multi_dot(A_1..A_N)  A_1 A_2 … A_N in the cheapest order of products (a 1-D first / last operand is a row / column
                         vector, squeezed after)
    vecdot(x, y)         Σ_dim x·y
    vander(x, N)         [1, x, x², …, x^(N-1)] along a new last dimension, as the cumulative product of x
    tensorinv(A, ind)    inv of A reshaped to (Π shape[:ind], Π shape[ind:]), reshaped to shape[ind:] + shape[:ind]
    tensorsolve(A, B)    solve(A reshaped to (B.numel(), rest), B flattened), reshaped to A.shape[B.ndim:]
    cond(A, p)           σ_max/σ_min (p = None, 2; -2: the reciprocal); otherwise ‖A‖_p ‖A⁻¹‖_p (inf when singular)
    inv_ex, cholesky_ex, solve_ex   as inv / cholesky / solve on the matrices that succeed; info (int32, (*,)) is
                         0 or, as LAPACK's, the order of the first zero pivot / failing leading minor. Where info ≠ 0
                         the values are NaN (LAPACK leaves unspecified partial results there).
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import elementwise as ew
from . import linalg, reduction
from .diagonal import diagonal as _diagonal
from .factories import eye, ones
from .lu import getrf
from .matmul import matmul
from .pointwise_base import torch_type_name
from .scan import cumprod
from .shape import cat, movedim, reshape

InvEx = namedtuple("InvEx", ["inverse", "info"])
CholeskyEx = namedtuple("CholeskyEx", ["L", "info"])
SolveEx = namedtuple("SolveEx", ["result", "info"])


def matrix_power(A: Tensor, n: int) -> Tensor:  # noqa: N803 - torch's argument name
    """A^n for square A (*, m, m) and an integer n (negative: powers of A⁻¹, which needs a float A)."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if n == 0:
        return A * 0 + eye(A.shape[-1], dtype=A.dtype, device=A.device)
    if n < 0:
        A, n = linalg.inv(A), -n
    result = None
    square = A
    while n:
        if n & 1:
            result = square if result is None else matmul(result, square)
        n >>= 1
        if n:
            square = matmul(square, square)
    return result


def multi_dot(tensors: Any) -> Tensor:
    """The product of the matrices in order; the first may be 1-D (a row), the last 1-D (a column)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    mats = [first.unsqueeze(0) if first.ndim == 1 else first, *tensors[1:-1],
            last.unsqueeze(-1) if last.ndim == 1 else last]
    for i in range(len(mats) - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {tuple(tensors[i].shape)} and "
                               f"{tuple(tensors[i + 1].shape)} cannot be multiplied")
    out = _chain(mats, _order([m.shape[0] for m in mats] + [mats[-1].shape[1]]), 0, len(mats) - 1)
    if last.ndim == 1:
        out = out.squeeze(-1)
    return out.squeeze(0) if first.ndim == 1 else out


def _order(dims: list[int]) -> list[list[int]]:
    """split[i][j]: where the cheapest product of matrices i..j splits (the textbook matrix-chain recurrence, as
    torch's multi_dot orders its products); matrix i is dims[i] × dims[i + 1]."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(mats: list, split: list[list[int]], i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return matmul(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Σ x·y over ``dim``, the two broadcast against each other."""
    for t in (x, y):
        if t.dtype.kind != "f":
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                               f"{torch_type_name(t.dtype)}")
    return reduction.sum(ew.mul(x, y), dim)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803 - torch's argument name
    """x (*, n) -> (*, n, N): the powers x⁰ … x^(N-1) (N defaults to n)."""
    if x.ndim < 1:
        raise RuntimeError("x must have at least one dimension.")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x.dtype.kind == "b":
        raise RuntimeError("Unsupported dtype: Bool")
    powers = cumprod(x.unsqueeze(-1).expand(*x.shape, n - 1), -1)
    return cat([ones(*x.shape, 1, dtype=x.dtype, device=x.device), powers], -1)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """linalg.diagonal: torch.diagonal with the last two dimensions as defaults."""
    return _diagonal(A, offset, dim1, dim2)


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:  # noqa: N803
    """The inverse of A seen as a map from its last dimensions (from ``ind`` on) to its first ``ind`` ones."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return reshape(linalg.inv(reshape(A, (rows, cols))), tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:  # noqa: N803
    """X with tensordot(A, X, X.ndim) = B; ``dims``: dimensions of A moved to the end first."""
    if dims is not None:
        dims = list(dims)
        A = movedim(A, dims, list(range(A.ndim - len(dims), A.ndim)))
    rest = tuple(A.shape[B.ndim:])
    rows, cols = B.numel(), math.prod(rest)
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {math.prod(A.shape[:B.ndim])}")
    return reshape(linalg.solve(reshape(A, (rows, cols)), reshape(B, (rows,))), rest)


def cond(A: Tensor, p: Any = None) -> Tensor:  # noqa: N803
    """The condition number of A in the norm ``p`` (None/2/-2: by singular values, any shape; 'fro', 'nuc', 1,
    -1, inf, -inf: ‖A‖ ‖A⁻¹‖ for square A, inf where A is singular)."""
    linalg._check_matrix(A, f"cond(ord={p})" if p not in (None, 2, -2) else "cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = linalg.svdvals(A)
        hi, lo = reduction.amax(s, -1), reduction.amin(s, -1)
        return ew.div(hi, lo) if p != -2 else ew.div(lo, hi)
    if p not in ("fro", "nuc", 1, -1, float("inf"), float("-inf")):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    bad = getrf(A._data)[2] > 0
    value = ew.mul(linalg.matrix_norm(A, p), linalg.matrix_norm(linalg.inv(_masked(A, bad)), p))
    return ew.where(Tensor._wrap(bad), float("inf"), value) if bad.any() else value


def _masked(A: Tensor, bad: Any) -> Tensor:  # noqa: N803
    """A with the failing matrices replaced by the identity, so the op can run on the whole batch."""
    if not bad.any():
        return A
    ident = backend.array_module(bad).eye(A.shape[-1], dtype=A._data.dtype)
    return ew.where(Tensor._wrap(bad[..., None, None]), Tensor._wrap(ident), A)


def _nan_where(x: Tensor, bad: Any) -> Tensor:
    if not bad.any():
        return x
    return ew.where(Tensor._wrap(bad.reshape(bad.shape + (1,) * (x.ndim - bad.ndim))), float("nan"), x)


def _raise(info: Any, name: str, what: str) -> None:
    flat = info.reshape(-1)
    for b, i in enumerate(flat.tolist()):
        if i > 0:
            where = f"(Batch element {b}): " if info.ndim else ""
            raise linalg.LinAlgError(f"{name}: {where}{what.format(i=i)}")


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvEx:  # noqa: N803
    """(A⁻¹, info): info is the order of the first zero pivot of A's LU (0 when invertible)."""
    linalg._check_matrix(A, "inv_ex")
    info = getrf(A._data)[2]
    if check_errors:
        _raise(info, "linalg.inv_ex", "The diagonal element {i} is zero, the inversion could not be completed "
               "because the input matrix is singular.")
    return InvEx(_nan_where(linalg.inv(_masked(A, info > 0)), info > 0), Tensor._wrap(info))


def _cholesky_info(a: Any) -> Any:
    """The order of the first leading minor that is not positive-definite, per matrix (0 when all are)."""
    xp = backend.array_module(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    info = [next((k for k in range(1, m.shape[-1] + 1) if not has_cholesky(xp, m[:k, :k])), 0)
            if not has_cholesky(xp, m) else 0 for m in flat]
    return xp.asarray(np.asarray(info, dtype=np.int32).reshape(a.shape[:-2]))


def has_cholesky(xp: Any, m: Any) -> bool:
    """Whether ``m`` has a Cholesky factor (the check of cholesky_ex's info and of constraints.positive_definite)."""
    try:
        xp.linalg.cholesky(m)
    except np.linalg.LinAlgError:  # CuPy raises NumPy's too
        return False
    return True


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyEx:  # noqa: N803
    """(L, info): info is the order of the first leading minor that is not positive-definite (0 when A is)."""
    linalg._check_matrix(A, "cholesky_ex")
    info = _cholesky_info(A._data)
    if check_errors:
        _raise(info, "linalg.cholesky_ex", "The factorization could not be completed because the input is not "
               "positive-definite (the leading minor of order {i} is not positive-definite).")
    return CholeskyEx(_nan_where(linalg.cholesky(_masked(A, info > 0), upper=upper), info > 0), Tensor._wrap(info))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> SolveEx:  # noqa: N803
    """(X, info) with A X = B (``left=False``: X A = B); info as inv_ex's."""
    linalg._check_matrix(A, "solve_ex")
    info = getrf(A._data)[2]
    if check_errors:
        _raise(info, "linalg.solve_ex", "The solver failed because the input matrix is singular.")
    x = linalg.solve(_masked(A, info > 0), B, left=left)
    return SolveEx(_nan_where(x, info > 0), Tensor._wrap(info))


def eig(A: Tensor) -> Any:  # noqa: N803
    """Refused: a general real matrix has complex eigenvalues and eigenvectors, and there is no complex dtype
    here."""
    raise RuntimeError("linalg.eig: the eigenvalues and eigenvectors of a general real matrix are complex "
                       "(torch returns complex64/complex128), and minitorch_cnn has no complex dtype; for a "
                       "symmetric matrix use linalg.eigh / linalg.eigvalsh")


def eigvals(A: Tensor) -> Any:  # noqa: N803
    """Refused, as ``eig``: the eigenvalues of a general real matrix are complex."""
    raise RuntimeError("linalg.eigvals: the eigenvalues of a general real matrix are complex (torch returns "
                       "complex64/complex128), and minitorch_cnn has no complex dtype; for a symmetric matrix "
                       "use linalg.eigvalsh")


METHODS: dict = {"matrix_power": matrix_power}
