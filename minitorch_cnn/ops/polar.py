"""``linalg.polar`` and ``linalg.matrix_sqrth``, composed of the differentiable decompositions (``spectral.py``), so
their gradients (and second order) are the composition's — the unique gradient where the decomposition is smooth
(full rank with distinct singular values; distinct eigenvalues), which is where torch's formulas hold too.

    A = W diag(S) Vᵀ (thin SVD, m ≥ n):   polar(A) = (U, H) with U = W Vᵀ (m × n, orthonormal columns),
                                          H = V diag(S) Vᵀ (n × n, symmetric positive-semidefinite), A = U H
    A = Q diag(λ) Qᵀ (symmetric positive-definite):  matrix_sqrth(A) = Q diag(√max(λ, 0)) Qᵀ, the X > 0 with X X = A
"""

from __future__ import annotations

from collections import namedtuple

from ..autograd import Tensor
from . import elementwise as ew
from .linalg import _check_matrix
from .matmul import matmul
from .spectral import eigh, svd

Polar = namedtuple("Polar", ["U", "H"])


def polar(A: Tensor) -> Polar:  # noqa: N803 - torch's argument name
    """(U, H) with A = U H for A (*, m, n), m ≥ n."""
    _check_matrix(A, "polar", square=False)
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"linalg.polar: input must have at least as many rows as columns, but got "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    w, s, vh = svd(A, full_matrices=False)
    return Polar(matmul(w, vh), matmul(vh.mT * s.unsqueeze(-2), vh))


def matrix_sqrth(A: Tensor) -> Tensor:  # noqa: N803
    """The symmetric positive-definite square root of the symmetric positive-definite A (*, n, n)."""
    _check_matrix(A, "matrix_sqrth", square=True)
    lam, q = eigh(A)
    return matmul(q * ew.sqrt(ew.clamp(lam, min=0)).unsqueeze(-2), q.mT)  # λ < 0 (rounding) -> 0, as torch's
