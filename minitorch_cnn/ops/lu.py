"""LU with partial pivoting, as LAPACK's getrf: ``linalg.lu_factor(_ex)``, ``linalg.lu``, ``lu_unpack``,
``linalg.lu_solve`` and the old ``torch.lu`` / ``torch.lu_solve``.

A = P L U, A: (*, m, n), k = min(m, n): L (*, m, k) unit lower-trapezoidal, U (*, k, n) upper-trapezoidal, P a
permutation. getrf packs L's strict lower part and U into one LU (*, m, n) and gives the row swaps as 1-based
``pivots`` (*, k): step j exchanged rows j and pivots[j] - 1 (the row of the largest |entry| in column j, the first
one on ties, as LAPACK's idamax). G_L, G_U are the upstream gradients; ∘1_L / ∘1_U keep the strict lower / upper
triangle. The backward is torch's (linalg_lu_backward):

    m = n   dA = P L⁻ᵀ [Lᵀ G_L ∘ 1_L + G_U Uᵀ ∘ 1_U] U⁻ᵀ
    m < n   A = P L [U1 | U2]:  dA1 = P L⁻ᵀ [G_U1 + ((Lᵀ G_L - G_U Uᵀ)∘1_L) U1⁻ᵀ],   dA2 = P L⁻ᵀ G_U2
    m > n   A = P [L1; L2] U:   dA1 = P [G_L1 + L1⁻ᵀ((G_U Uᵀ - Lᵀ G_L)∘1_U)] U⁻ᵀ,  dA2 = P G_L2 U⁻ᵀ
    lu_factor: G_LU's first k columns are G_L, its first k rows G_U
    X = (P L U)⁻¹ B (lu_solve)   dB = lu_solve with the adjoint flag flipped;  dLU as torch's linalg_lu_solve_LU:
            gR = U⁻ᵀ (-G Xᵀ);  dLU = (L⁻ᵀ gR Uᵀ)∘1_L(strict) + gR∘1_U        (left, not adjoint; others transpose)

The backward passes are written in differentiable ops (matmul, triangular solves, tril/triu), so they differentiate
again. Without pivoting LU is not offered (torch: not implemented on the CPU).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from .matmul import matmul
from .pointwise_base import torch_type_name
from .shape import cat, narrow
from .triangular import tril, triu
from .triangular_solve import SolveTriangular, check_matrix, solve_tri

LUFactor = namedtuple("LUFactor", ["LU", "pivots"])
LUFactorEx = namedtuple("LUFactorEx", ["LU", "pivots", "info"])
PLU = namedtuple("PLU", ["P", "L", "U"])


def getrf(a: Any) -> tuple[Any, Any, Any]:
    """(LU, pivots, info) of a (*, m, n): Gaussian elimination with partial pivoting, one column at a time for
    the whole batch. info: 0, or the 1-based index of the first exactly zero pivot (U is then singular)."""
    xp = backend.array_module(a)
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    lu = a.reshape((-1, m, n)).copy()
    piv = xp.zeros((lu.shape[0], k), dtype=np.int32)
    info = xp.zeros(lu.shape[0], dtype=np.int32)
    rows = xp.arange(lu.shape[0])
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
        piv[:, j] = p + 1
        top = lu[rows, j].copy()
        lu[rows, j] = lu[rows, p]
        lu[rows, p] = top
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info)
        lu[:, j + 1:, j] /= xp.where(zero, 1, pivot)[:, None]  # LAPACK leaves the column as it is at a zero pivot
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch).astype(np.int32)


def permutation(pivots: Any, m: int, dtype: Any) -> Any:
    """P (*, m, m) with A = P L U from getrf's 1-based row swaps (*, k)."""
    xp = backend.array_module(pivots)
    flat = pivots.reshape((-1, pivots.shape[-1])) - 1
    perm = xp.broadcast_to(xp.arange(m), (flat.shape[0], m)).copy()
    rows = xp.arange(flat.shape[0])
    for j in range(flat.shape[1]):
        top = perm[:, j].copy()
        perm[:, j] = perm[rows, flat[:, j]]
        perm[rows, flat[:, j]] = top
    p = xp.zeros((flat.shape[0], m, m), dtype=dtype)
    p[rows[:, None], perm, xp.arange(m)[None, :]] = 1  # (Pᵀ A)[i] = A[perm[i]]
    return p.reshape(pivots.shape[:-1] + (m, m))


def _unpack(lu: Tensor, pivots: Any) -> tuple[Tensor, Tensor, Tensor]:
    """(P, L, U) from packed LU, in differentiable ops (lu_unpack's gradient is theirs)."""
    m, n = lu.shape[-2], lu.shape[-1]
    k = min(m, n)
    xp = backend.array_module(lu._data)
    eye = Tensor._wrap(xp.eye(m, k, dtype=lu._data.dtype))
    lower = tril(narrow(lu, -1, 0, k), -1) + eye
    upper = triu(narrow(lu, -2, 0, k))
    return Tensor._wrap(permutation(pivots, m, lu._data.dtype)), lower, upper


def _solve(a: Tensor, b: Tensor, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    return SolveTriangular.apply(a, b, upper, left, unitriangular)


def lu_backward(g_l: Tensor | None, g_u: Tensor | None, p: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
    """dA for A = P L U from G_L (*, m, k) and G_U (*, k, n) (either may be None): torch's linalg_lu_backward."""
    m, n = lower.shape[-2], upper.shape[-1]
    k = min(m, n)
    if m == n:
        ga = tril(matmul(lower.mT, g_l), -1) if g_l is not None else None
        if g_u is not None:
            gu = triu(matmul(g_u, upper.mT))
            ga = gu if ga is None else ga + gu
        ga = _solve(upper.mT, ga, False, left=False)
        ga = _solve(lower.mT, ga, True, unitriangular=True)
    elif m < n:
        u1 = narrow(upper, -1, 0, k)
        ga = matmul(lower.mT, g_l) if g_l is not None else None
        if g_u is not None:
            gu = matmul(triu(g_u), upper.mT)
            ga = -gu if ga is None else ga - gu
        ga = _solve(u1.mT, tril(ga, -1), False, left=False)
        if g_u is not None:
            ga = cat([ga + triu(narrow(g_u, -1, 0, k)), narrow(g_u, -1, k, n - k)], -1)
        ga = _solve(lower.mT, ga, True, unitriangular=True)
        if g_u is None:
            ga = cat([ga, narrow(upper, -1, k, n - k) * 0], -1)
    else:
        l1 = narrow(lower, -2, 0, k)
        ga = matmul(g_u, upper.mT) if g_u is not None else None
        if g_l is not None:
            gl = matmul(lower.mT, tril(g_l, -1))
            ga = -gl if ga is None else ga - gl
        ga = _solve(l1.mT, triu(ga), True, unitriangular=True)
        if g_l is not None:
            ga = cat([ga + tril(narrow(g_l, -2, 0, k), -1), narrow(g_l, -2, k, m - k)], -2)
        ga = _solve(upper.mT, ga, False, left=False)
        if g_l is None:
            ga = cat([ga, narrow(lower, -2, k, m - k) * 0], -2)
    return matmul(p, ga)


class LuFactorEx(Function):
    """A -> (LU, pivots, info); only LU is differentiable."""

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> tuple:
        lu, piv, info = getrf(a._data)
        out = Tensor._wrap(lu)
        ctx.save_for_backward(out)
        ctx.pivots = piv
        return out, Tensor._wrap(piv), Tensor._wrap(info)

    @staticmethod
    def backward(ctx: Any, g: Tensor, *_: Any) -> Tensor:
        lu, = ctx.saved_tensors
        p, lower, upper = _unpack(lu, ctx.pivots)
        k = min(lu.shape[-2], lu.shape[-1])
        return lu_backward(narrow(g, -1, 0, k), narrow(g, -2, 0, k), p, lower, upper)


LuFactorEx.torch_name = "LinalgLuFactorExBackward0"


class Lu(Function):
    """A -> (P, L, U); L and U are differentiable."""

    @staticmethod
    def forward(ctx: Any, a: Tensor) -> tuple:
        lu, piv, _ = getrf(a._data)
        p, lower, upper = _unpack(Tensor._wrap(lu), piv)
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(p, lower, upper)
        return p, lower, upper

    @staticmethod
    def backward(ctx: Any, _: Any, g_l: Tensor | None, g_u: Tensor | None) -> Tensor | None:
        p, lower, upper = ctx.saved_tensors
        if g_l is None and g_u is None:
            return None
        return lu_backward(g_l, g_u, p.detach(), lower, upper)


Lu.torch_name = "LinalgLuBackward0"


def _lu_solve_arrays(lu: Any, piv: Any, b: Any, left: bool, adjoint: bool) -> Any:
    """op(A)⁻¹ B (left) or B op(A)⁻¹ with A = P L U, op the transpose when ``adjoint``; equal batch shapes."""
    p = permutation(piv, lu.shape[-1], lu.dtype)
    if not left:  # X op(A) = B  <=>  op(A)ᵀ Xᵀ = Bᵀ
        return _lu_solve_arrays(lu, piv, b.swapaxes(-1, -2), True, not adjoint).swapaxes(-1, -2)
    if adjoint:  # Aᵀ X = B: X = P L⁻ᵀ U⁻ᵀ B
        y = solve_tri(lu.swapaxes(-1, -2), b, False)
        return p @ solve_tri(lu.swapaxes(-1, -2), y, True, unitriangular=True)
    y = solve_tri(lu, p.swapaxes(-1, -2) @ b, False, unitriangular=True)
    return solve_tri(lu, y, True)


class LuSolve(Function):
    """(LU, B) -> X with op(P L U) X = B (or X op(P L U) = B); pivots, left and adjoint are constants."""

    @staticmethod
    def forward(ctx: Any, lu: Tensor, b: Tensor, piv: Any, left: bool, adjoint: bool) -> Tensor:
        x = Tensor._wrap(_lu_solve_arrays(lu._data, piv, b._data, left, adjoint))
        ctx.save_for_backward(lu, x)
        ctx.args = (piv, left, adjoint)
        return x

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple:
        lu, x = ctx.saved_tensors
        piv, left, adjoint = ctx.args
        gb = LuSolve.apply(lu, g, piv, left, not adjoint) if ctx.needs_input_grad[1] else None
        glu = _lu_solve_grad_lu(g, lu, piv, x, left, adjoint) if ctx.needs_input_grad[0] else None
        return glu, gb, None, None, None


LuSolve.torch_name = "LinalgLuSolveBackward0"


def _lu_solve_grad_lu(g: Tensor, lu: Tensor, piv: Any, x: Tensor, left: bool, adjoint: bool) -> Tensor:
    """torch's linalg_lu_solve_LU: the gradient with respect to the packed LU."""
    p, lower, upper = _unpack(lu, piv)
    if left != adjoint:
        gr = _solve(upper.mT, -matmul(g, x.mT) if left else -matmul(g.mT, x), False)
        gl = tril(_solve(lower.mT, matmul(gr, upper.mT), True, unitriangular=True), -1)
        return gl + triu(gr)
    gr = -matmul(matmul(matmul(p.mT, x if left else x.mT), g.mT if left else g), p)
    gr = _solve(lower.mT, gr, True, left=False, unitriangular=True)
    gu = triu(_solve(upper.mT, matmul(lower.mT, gr), False, left=False))
    return tril(gr, -1) + gu


def _no_pivot(pivot: bool, name: str) -> None:
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> LUFactorEx:  # noqa: N803
    """(LU, pivots, info): getrf's packed factors, 1-based pivots (int32) and info (0, or the first zero pivot)."""
    check_matrix(A, "torch.linalg.lu_factor_ex")
    _no_pivot(pivot, "linalg.lu_factor")
    lu, piv, info = LuFactorEx.apply(A)
    if check_errors:
        _raise_singular(info, "torch.linalg.lu_factor_ex")
    return LUFactorEx(lu, piv, info)


def _raise_singular(info: Tensor, name: str) -> None:
    bad = info._data.reshape(-1)
    for b, i in enumerate(bad.tolist()):
        if i > 0:
            where = f"(Batch element {b}): " if info.ndim else ""
            raise RuntimeError(f"{name}: {where}U[{i},{i}] is zero and using it on lu_solve would result in a "
                               "division by zero. If you still want to perform the factorization, consider calling "
                               "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor(A: Tensor, *, pivot: bool = True) -> LUFactor:  # noqa: N803
    """(LU, pivots) of A (*, m, n); a singular A raises (torch's), as the factors cannot be used to solve."""
    check_matrix(A, "torch.linalg.lu_factor")
    _no_pivot(pivot, "linalg.lu_factor")
    lu, piv, info = LuFactorEx.apply(A)
    _raise_singular(info, "torch.linalg.lu_factor")
    return LUFactor(lu, piv)


def lu(A: Tensor, *, pivot: bool = True) -> PLU:  # noqa: N803
    """(P, L, U) with A = P L U: P (*, m, m), L (*, m, k), U (*, k, n)."""
    check_matrix(A, "linalg.lu")
    _no_pivot(pivot, "linalg.lu")
    return PLU(*Lu.apply(A))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,  # noqa: N803 - torch's names
              unpack_pivots: bool = True) -> PLU:
    """(P, L, U) from lu_factor's packed LU and pivots; an unpacked part left out is an empty tensor."""
    if LU_pivots.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype. "
                           f"Note: this function is intended to be used with the output produced by "
                           f"torch.linalg.lu_factor, got {torch_type_name(LU_pivots.dtype)}")
    p, lower, upper = _unpack(LU_data, LU_pivots._data)
    xp = backend.array_module(LU_data._data)
    empty = Tensor._wrap(xp.empty((0,), dtype=LU_data._data.dtype))
    return PLU(p if unpack_pivots else empty, lower if unpack_data else empty, upper if unpack_data else empty)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:  # noqa: N803
    """X with A X = B (``adjoint``: Aᵀ X = B; ``left=False``: X A = B / X Aᵀ = B), A = P L U given by lu_factor;
    batch dimensions broadcast."""
    name = "linalg.lu_solve"
    check_matrix(LU, name)
    if B.dtype != LU.dtype:
        raise RuntimeError(f"{name}: Expected LU and B to have the same dtype, but found LU of type "
                           f"{torch_type_name(LU.dtype)} and B of type {torch_type_name(B.dtype)} instead")
    n = LU.shape[-1]
    if LU.shape[-2] != n:
        raise RuntimeError(f"{name}: Expected LU to be square, but got {LU.shape[-2]}x{n}")
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    xp = backend.array_module(LU._data)
    batch = tuple(xp.broadcast_shapes(tuple(LU.shape[:-2]), tuple(B.shape[:-2]), tuple(pivots.shape[:-1])))
    lu_b = LU if tuple(LU.shape[:-2]) == batch else LU.expand(*batch, n, n)
    b = B if tuple(B.shape[:-2]) == batch else B.expand(*batch, *B.shape[-2:])
    piv = xp.broadcast_to(pivots._data, batch + (n,))
    return LuSolve.apply(lu_b, b, piv, bool(left), bool(adjoint))


def lu_old(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple:  # noqa: N803
    """torch.lu: (LU, pivots) or, with ``get_infos``, (LU, pivots, infos) — singular input does not raise."""
    lu_, piv, info = lu_factor_ex(A, pivot=pivot)
    return (lu_, piv, info) if get_infos else (lu_, piv)


def lu_solve_old(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: N803
    """torch.lu_solve(b, LU_data, LU_pivots): linalg.lu_solve(LU_data, LU_pivots, b)."""
    return lu_solve(LU_data, LU_pivots, b)


METHODS: dict = {"lu": lu_old, "lu_solve": lu_solve_old}
