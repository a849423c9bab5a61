"""``torch.linalg.householder_product`` (``torch.orgqr``): the first n columns of a product of Householder
reflections, as LAPACK's orgqr.

A: (*, m, n) with m ≥ n, tau: (*, k) with k ≤ n.  v_i = column i of A below the diagonal with a unit diagonal
entry on top (v_i[j] = 0 for j < i, 1 at j = i, A[j, i] below);  H_i = I - tau_i v_i v_iᵀ;

    Q = H_0 H_1 ... H_{k-1} I_{m×n}    built from the right: X ← X - tau_i v_i (v_iᵀ X), i = k-1, ..., 0

forward is that composition of differentiable ops (matmul, mul, sub, tril), so the backward, and the second order,
are the composition's own. Real inputs only.
"""

from __future__ import annotations

from ..autograd import Tensor
from . import elementwise as ew
from .factories import eye
from .matmul import matmul
from .shape import expand, narrow, unsqueeze
from .triangular import tril


def _check(A: Tensor, tau: Tensor) -> None:  # noqa: N803 - torch's argument name
    name = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"{name}: tau dtype {tau.dtype} does not match input dtype {A.dtype}")


def householder_product(A: Tensor, tau: Tensor) -> Tensor:  # noqa: N803 - torch's argument name
    """Q (*, m, n): the first n columns of H_0 ... H_{k-1}, reflections given as LAPACK's geqrf leaves them."""
    _check(A, tau)
    m, n = A.shape[-2], A.shape[-1]
    identity = eye(m, n, dtype=A.dtype, device=A.device)
    v = ew.add(tril(A, -1), identity)  # (*, m, n): unit lower-trapezoidal Householder vectors
    q = expand(identity, *A.shape)  # (*, m, n)
    for i in reversed(range(tau.shape[-1])):
        vi = narrow(v, -1, i, 1)  # (*, m, 1)
        ti = unsqueeze(narrow(tau, -1, i, 1), -1)  # (*, 1, 1)
        q = ew.sub(q, matmul(ew.mul(vi, ti), matmul(vi.transpose(-1, -2), q)))
    return q
