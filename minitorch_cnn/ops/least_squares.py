"""The pseudo-inverse and what is built on it: ``linalg.pinv`` (``torch.pinverse``), ``linalg.matrix_rank``,
``linalg.lstsq``.

A: (*, m, n) = U diag(S) Vᵀ (thin SVD; for ``hermitian`` A = V diag(λ) Vᵀ with S = |λ|). Singular values at or
below tol = max(atol, rtol · S_max) count as zero; rtol defaults to eps · max(m, n) (to 0 when only atol > 0 is
given), as torch's.

    A⁺ = V diag(1/S_i for S_i > tol, else 0) Uᵀ          rank A = #{S_i > tol}
    pinv's backward (torch's pinv_backward, P = A⁺, G the upstream gradient), for m ≤ n:
        K = Gᵀ P;  dA = -(P K)ᵀ + K Pᵀ - A P K Pᵀ + Pᵀ P (Gᵀ - K A)
    and for m > n:  K = P Gᵀ;  dA = -(K P)ᵀ + (Gᵀ - A K) P Pᵀ + Pᵀ K - Pᵀ K P A
    lstsq: X = A⁺ B (the minimum-norm least-squares solution, exact for every LAPACK driver on full-rank A), so
    dB = A⁺ᵀ G_X and dA = pinv's backward of G_X Bᵀ (torch's linalg_lstsq_backward); residuals
    ‖A X - B‖² per column (m > n, full rank, driver ≠ gelsy) have dA = 2 (G_r ∘ r) Xᵀ, dB = -2 G_r ∘ r with
    r = A X - B (X held fixed: Danskin's theorem).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import reduction
from .linalg import _check_matrix
from .matmul import matmul
from .pointwise_base import torch_type_name

LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _mT(a: Any) -> Any:  # noqa: N802 - torch's .mT
    return a.swapaxes(-1, -2)


def _as_array(v: Any, xp: Any, dtype: Any) -> Any:
    return v._data.astype(dtype) if isinstance(v, Tensor) else xp.asarray(v, dtype=dtype)


def tolerance(a: Any, s_max: Any, atol: Any, rtol: Any) -> Any:
    """max(atol, rtol · S_max) (*, 1), with torch's defaults for a missing atol or rtol."""
    xp = backend.array_module(a)
    dt = a.dtype
    default = np.finfo(dt).eps * max(a.shape[-2], a.shape[-1])
    at = xp.zeros((), dtype=dt) if atol is None else _as_array(atol, xp, dt)
    if rtol is None:
        rt = xp.full((), default, dtype=dt) if atol is None else xp.where(at > 0, 0, default).astype(dt)
    else:
        rt = _as_array(rtol, xp, dt)
    return xp.maximum(at, rt * s_max)[..., None]


def spectrum(a: Any, hermitian: bool) -> tuple[Any, Any, Any]:
    """(left, values, right) with A = left diag(values) right: the thin SVD, or for ``hermitian`` the
    eigendecomposition (values λ, possibly negative)."""
    xp = backend.array_module(a)
    if hermitian:
        w, v = xp.linalg.eigh(a)
        return v, w, _mT(v)
    return xp.linalg.svd(a, full_matrices=False)


def pinv_array(a: Any, atol: Any, rtol: Any, hermitian: bool) -> Any:
    xp = backend.array_module(a)
    u, s, vh = spectrum(a, hermitian)
    mag = xp.abs(s)
    s_max = mag.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
    keep = mag > tolerance(a, s_max, atol, rtol)
    inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
    return (_mT(vh) * inv[..., None, :]) @ _mT(u)


def pinv_backward(g: Tensor, p: Tensor, a: Tensor) -> Tensor:
    """torch's pinv_backward: dA for P = A⁺, in the order of products that keeps the matrices smallest."""
    m, n = a.shape[-2], a.shape[-1]
    ph, gh = p.mT, g.mT
    if m <= n:
        k = matmul(gh, p)
        k_ph = matmul(k, ph)
        return (-matmul(p, k).mT + k_ph - matmul(matmul(a, p), k_ph)
                + matmul(matmul(ph, p), gh - matmul(k, a)))
    k = matmul(p, gh)
    ph_k = matmul(ph, k)
    return (-matmul(k, p).mT + matmul(matmul(gh - matmul(a, k), p), ph) + ph_k
            - matmul(matmul(ph_k, p), a))


class Pinv(Function):
    @staticmethod
    def forward(ctx: Any, a: Tensor, atol: Any, rtol: Any, hermitian: bool) -> Tensor:
        p = Tensor._wrap(pinv_array(a._data, atol, rtol, hermitian))
        ctx.save_for_backward(a, p)
        return p

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple:
        a, p = ctx.saved_tensors
        return pinv_backward(g, p, a), None, None, None


Pinv.torch_name = "LinalgPinvBackward0"


def pinv(A: Tensor, rcond: Any = None, hermitian: bool = False, *, atol: Any = None,  # noqa: N803 - torch's
         rtol: Any = None) -> Tensor:
    """A⁺ (*, n, m) for A (*, m, n); ``rcond`` (torch's older positional form) is rtol with atol = 0."""
    if A.ndim < 2 or A.dtype.kind != "f":
        raise RuntimeError(f"linalg.pinv({torch_type_name(A.dtype)}{{{list(A.shape)}}}): expected a tensor with 2 "
                           "or more dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise RuntimeError("linalg.pinv: rcond cannot be combined with atol or rtol")
        atol, rtol = 0.0, rcond
    return Pinv.apply(A, atol, rtol, bool(hermitian))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002 - torch's name
    """torch.pinverse: linalg.pinv(input, rcond)."""
    return pinv(input, rcond)


def matrix_rank(A: Tensor, tol: Any = None, hermitian: bool = False, *, atol: Any = None,  # noqa: N803
                rtol: Any = None) -> Tensor:
    """The number (int64, (*,)) of singular values (``hermitian``: |eigenvalues|) above max(atol, rtol · S_max);
    ``tol`` (torch's older positional form) is atol with rtol = 0."""
    if A.dtype.kind != "f":
        raise RuntimeError("This function doesn't handle types other than float and double")
    _check_matrix(A, "matrix_rank", square=hermitian)
    if tol is not None:
        atol, rtol = tol, 0.0
    xp = backend.array_module(A._data)
    a = A._data
    s = xp.abs(xp.linalg.eigvalsh(a) if hermitian else xp.linalg.svd(a, compute_uv=False))
    s_max = s.max(axis=-1) if s.shape[-1] else xp.zeros(s.shape[:-1], dtype=s.dtype)
    return Tensor._wrap(xp.asarray((s > tolerance(a, s_max, atol, rtol)).sum(axis=-1), dtype=np.int64))


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> LstsqResult:  # noqa: N803
    """(solution (*, n, k), residuals, rank, singular_values) of min ‖A X - B‖, as torch's CPU drivers report
    them: rank for all but gels, singular values for gelsd/gelss, residuals (*, k) for m > n when every A has full
    rank and the driver is not gelsy (the default); what a driver does not report is an empty tensor."""
    _check_matrix(A, "lstsq", square=False)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.lstsq: argument 'B' must be Tensor, not {type(B).__name__}")
    if B.dtype != A.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                           f"input's dtype {torch_type_name(A.dtype)} and other's dtype "
                           f"{torch_type_name(B.dtype)}")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    m, n = A.shape[-2], A.shape[-1]
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size({-1 if vector else -2})")
    rcond = np.finfo(A._data.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    x = matmul(Pinv.apply(A, 0.0, rcond, False), b)
    xp = backend.array_module(A._data)
    s = xp.linalg.svd(A._data, compute_uv=False)
    s_max = s[..., :1] if s.shape[-1] else s
    rank = xp.asarray((s > rcond * s_max).sum(axis=-1), dtype=np.int64)
    empty = Tensor._wrap(xp.empty((0,), dtype=A._data.dtype))
    residuals = empty
    if m > n and driver != "gelsy" and bool((rank == n).all()):
        r = matmul(A, x.detach()) - b
        residuals = reduction.sum(r * r, -2)  # (*, k): a vector right-hand side keeps k = 1, as torch's
    return LstsqResult(
        x.squeeze(-1) if vector else x,
        residuals,
        Tensor._wrap(rank) if driver != "gels" else Tensor._wrap(xp.empty((0,), dtype=np.int64)),
        Tensor._wrap(s) if driver in ("gelsd", "gelss") else empty,
    )


METHODS: dict = {"pinverse": pinverse}
