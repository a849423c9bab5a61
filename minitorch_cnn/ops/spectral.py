"""Decompositions with vector outputs, differentiable as torch writes them: ``linalg.svd``, ``linalg.eigh``,
``linalg.qr`` and the old ``torch.svd`` (V, not Vᵀ; ``some``).

A: (*, m, n), k = min(m, n); Aᵀ transposes the last two dimensions; G_X is the upstream gradient of X, ∘ the
elementwise product, skew(X) = X - Xᵀ.

    A = U diag(S) Vᵀ (thin)   E_ij = S_j² - S_i² (1 on the diagonal)
        dA = U [ (skew(Uᵀ G_U) S + S skew(Vᵀ G_V)) / E + diag(G_S) ] Vᵀ
             + (I - U Uᵀ) G_U S⁻¹ Vᵀ   (m > n)      + U S⁻¹ G_Vᵀ (I - V Vᵀ)   (m < n)
        (torch's svd_backward; full_matrices: the columns past k take no gradient)
    A = V diag(λ) Vᵀ (symmetric)   E_ij = λ_j - λ_i (1 on the diagonal)
        dA = V [ ½ skew(Vᵀ G_V) / E + diag(G_λ) ] Vᵀ       (torch's linalg_eig_backward, hermitian)
    A = Q R   m ≥ n:  M = triu(G_R Rᵀ - Qᵀ G_Q);  dA = (Q (M + Mᵀ with the diagonal halved) + G_Q) R⁻ᵀ
              m < n:  M = tril(-(G_R Rᵀ - Qᵀ G_Q) + (G_R Rᵀ - Qᵀ G_Q)ᵀ);  dA = [Q M R1⁻ᵀ | 0] + Q G_R
        (torch's linalg_qr_backward; R1 the leading m × m block of R)

These gradients assume distinct singular values / eigenvalues (and full rank for a rectangular svd), as torch's;
the vectors are LAPACK's, so a sign flip of a (u_i, v_i) pair is as valid and flips G's meaning with it. The
backward passes are written in differentiable ops, so they differentiate again.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from .addmm import diag_embed
from .factories import zeros
from .linalg import _check_matrix, svdvals
from .matmul import matmul
from .shape import cat, narrow
from .triangular import tril, triu
from .triangular_solve import SolveTriangular

SVD = namedtuple("SVD", ["U", "S", "Vh"])
SVDOld = namedtuple("SVD", ["U", "S", "V"])
Eigh = namedtuple("Eigh", ["eigenvalues", "eigenvectors"])
QR = namedtuple("QR", ["Q", "R"])
Geqrf = namedtuple("geqrf", ["a", "tau"])


def _eye(k: int, like: Tensor) -> Tensor:
    return Tensor._wrap(backend.array_module(like._data).eye(k, dtype=like._data.dtype))


def _skew(x: Tensor) -> Tensor:
    return x - x.mT


def svd_backward(g_u: Tensor | None, g_s: Tensor | None, g_vh: Tensor | None, u: Tensor, s: Tensor,
                 vh: Tensor) -> Tensor | None:
    """dA for the thin SVD A = U diag(S) Vh: torch's svd_backward, branch for branch."""
    if g_u is None and g_s is None and g_vh is None:
        return None
    m, n = u.shape[-2], vh.shape[-1]
    if g_u is None and g_vh is None:  # svdvals: U diag(G_S) Vh
        return matmul(u, g_s.unsqueeze(-1) * vh) if m >= n else matmul(u * g_s.unsqueeze(-2), vh)
    s2 = s * s
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + _eye(s.shape[-1], s)
    uhgu = _skew(matmul(u.mT, g_u)) if g_u is not None else None
    vhgv = _skew(matmul(vh, g_vh.mT)) if g_vh is not None else None
    if uhgu is not None and vhgv is not None:
        ga = (uhgu * s.unsqueeze(-2) + s.unsqueeze(-1) * vhgv) / e
    elif uhgu is not None:
        ga = (uhgu / e) * s.unsqueeze(-2)
    else:
        ga = s.unsqueeze(-1) * (vhgv / e)
    if g_s is not None:
        ga = ga + diag_embed(g_s)
    if m > n and g_u is not None:
        ga = matmul(u, ga)
        gu_sinv = g_u / s.unsqueeze(-2)
        ga = ga + gu_sinv - matmul(u, matmul(u.mT, gu_sinv))
        return matmul(ga, vh)
    if m < n and g_vh is not None:
        ga = matmul(ga, vh)
        sinv_gvh = g_vh / s.unsqueeze(-1)
        ga = ga + sinv_gvh - matmul(matmul(sinv_gvh, vh.mT), vh)
        return matmul(u, ga)
    return matmul(u, matmul(ga, vh)) if m >= n else matmul(matmul(u, ga), vh)


class Svd(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor, full_matrices: bool) -> tuple:
        u, s, vh = backend.array_module(a._data).linalg.svd(a._data, full_matrices=full_matrices)
        out = (Tensor._wrap(u), Tensor._wrap(s), Tensor._wrap(vh))
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(*out)
        ctx.full = full_matrices
        return out

    @staticmethod
    def backward(ctx: Any, g_u: Tensor | None, g_s: Tensor | None, g_vh: Tensor | None) -> tuple:
        u, s, vh = ctx.saved_tensors
        if ctx.full:  # the columns of U (rows of Vh) past k are not determined by A: they take no gradient
            k = s.shape[-1]
            u, vh = narrow(u, -1, 0, k), narrow(vh, -2, 0, k)
            g_u = None if g_u is None else narrow(g_u, -1, 0, k)
            g_vh = None if g_vh is None else narrow(g_vh, -2, 0, k)
        return svd_backward(g_u, g_s, g_vh, u, s, vh), None


Svd.torch_name = "LinalgSvdBackward0"


class EighFn(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor, uplo: str) -> tuple:
        w, v = backend.array_module(a._data).linalg.eigh(a._data, UPLO=uplo)
        out = (Tensor._wrap(w), Tensor._wrap(v))
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(*out)
        return out

    @staticmethod
    def backward(ctx: Any, g_w: Tensor | None, g_v: Tensor | None) -> tuple:
        w, v = ctx.saved_tensors
        if g_w is None and g_v is None:
            return None, None
        if g_v is None:
            return matmul(v * g_w.unsqueeze(-2), v.mT), None
        vhgv = matmul(v.mT, g_v)
        vhgv = 0.5 * (vhgv - vhgv.mT)
        ga = vhgv / (w.unsqueeze(-2) - w.unsqueeze(-1) + _eye(w.shape[-1], w))
        if g_w is not None:
            ga = ga + diag_embed(g_w)  # the skew part's diagonal is exactly zero
        return matmul(v, matmul(ga, v.mT)), None


EighFn.torch_name = "LinalgEighBackward0"


def qr_backward(g_q: Tensor | None, g_r: Tensor | None, q: Tensor, r: Tensor) -> Tensor:
    """dA for A = Q R (reduced, or complete with m ≤ n): torch's linalg_qr_backward."""
    m, n = q.shape[-2], r.shape[-1]
    if g_q is not None:
        ga = matmul(g_r, r.mT) - matmul(q.mT, g_q) if g_r is not None else -matmul(q.mT, g_q)
    else:
        ga = matmul(g_r, r.mT)
    if m >= n:
        ga = triu(ga)
        ga = ga + ga.mT - diag_embed(ga.diagonal(0, -2, -1))  # M + Mᵀ with M's own diagonal once
        ga = matmul(q, ga)
        if g_q is not None:
            ga = ga + g_q
        return SolveTriangular.apply(r.mT, ga, False, False, False)
    neg = -ga
    ga = matmul(q, tril(neg - neg.mT))
    ga = SolveTriangular.apply(narrow(r, -1, 0, m).mT, ga, False, False, False)
    ga = cat([ga, zeros(*r.shape[:-1], n - m, dtype=r.dtype)], -1)
    return ga + matmul(q, g_r) if g_r is not None else ga


class QrFn(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor, mode: str) -> tuple:
        xp = backend.array_module(a._data)
        if mode == "r":
            q, r = xp.empty((0,), dtype=a._data.dtype), xp.linalg.qr(a._data, mode="r")
        else:
            q, r = xp.linalg.qr(a._data, mode=mode)
        out = (Tensor._wrap(q), Tensor._wrap(r))
        ctx.set_materialize_grads(False)
        ctx.save_for_backward(*out)
        ctx.mode = mode
        return out

    @staticmethod
    def backward(ctx: Any, g_q: Tensor | None, g_r: Tensor | None) -> tuple:
        q, r = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if ctx.mode == "complete" and q.shape[-2] > r.shape[-1]:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if g_q is None and g_r is None:
            return None, None
        return qr_backward(g_q, g_r, q, r), None


QrFn.torch_name = "LinalgQrBackward0"


def svd(A: Tensor, full_matrices: bool = True) -> SVD:  # noqa: N803
    """A = U diag(S) Vh: U (*, m, m), S (*, k) descending, Vh (*, n, n) (``full_matrices=False``: U (*, m, k),
    Vh (*, k, n)); differentiable (torch's gradient)."""
    _check_matrix(A, "svd", square=False)
    return SVD(*Svd.apply(A, bool(full_matrices)))


def svd_old(input: Tensor, some: bool = True, compute_uv: bool = True) -> SVDOld:  # noqa: A002 - torch's name
    """torch.svd: (U, S, V) with A = U diag(S) Vᵀ, thin when ``some``; ``compute_uv=False``: U and V are zeros
    (m × m, n × n) and S is svdvals'."""
    _check_matrix(input, "svd", square=False)
    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        return SVDOld(zeros(*batch, m, m, dtype=input.dtype), svdvals(input), zeros(*batch, n, n, dtype=input.dtype))
    u, s, vh = Svd.apply(input, not some)
    return SVDOld(u, s, vh.mT)


def eigh(A: Tensor, UPLO: str = "L") -> Eigh:  # noqa: N803
    """Eigenvalues (ascending) and eigenvectors of the symmetric A, read from its ``UPLO`` triangle;
    differentiable (torch's gradient)."""
    _check_matrix(A, "eigh", square=True)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return Eigh(*EighFn.apply(A, UPLO))


def qr(A: Tensor, mode: str = "reduced") -> QR:  # noqa: N803
    """A = Q R with Q orthonormal columns, R upper triangular; ``mode`` reduced, complete or r (Q empty)."""
    _check_matrix(A, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    return QR(*QrFn.apply(A, mode))


def geqrf(input: Tensor) -> Geqrf:  # noqa: A002 - torch's name
    """LAPACK's geqrf: R above the diagonal of ``a``, the Householder vectors below it, and their scales ``tau``
    (*, min(m, n)) — the input householder_product (orgqr) takes. Not differentiable, as torch's."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    xp = backend.array_module(input._data)
    h, tau = xp.linalg.qr(input._data, mode="raw")
    return Geqrf(Tensor._wrap(xp.ascontiguousarray(h.swapaxes(-1, -2))), Tensor._wrap(tau))


METHODS: dict = {"svd": svd_old, "geqrf": geqrf}
