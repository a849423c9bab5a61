"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril): N(μ, Σ) over vectors of k.

With L the lower Cholesky factor of Σ (Σ = L Lᵀ; from a precision matrix P, Σ = P⁻¹):

    rsample  = μ + L ε,  ε ~ N(0, I_k)                       (differentiable in μ and L, hence Σ)
    log p(x) = -½ (k log 2π + |L⁻¹(x - μ)|²) - Σ_i log L_ii
    entropy  = ½ k (1 + log 2π) + Σ_i log L_ii

event_shape (k,); batch_shape the broadcast of μ's and Σ's leading dimensions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Size, Tensor
from ..ops import linalg
from ..ops.factories import eye, randn
from . import constraints
from .distribution import Distribution, lazy_property

_LOG_2PI = math.log(2 * math.pi)


def _diag(m: Tensor) -> Tensor:
    """The diagonal of the last two dimensions (a masked sum: exact, differentiable)."""
    return (m * eye(m.shape[-1], dtype=m.dtype, device=m.device)).sum(-1)


class MultivariateNormal(Distribution):
    arg_constraints = {"loc": constraints.independent(constraints.real, 1),
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.independent(constraints.real, 1)
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None, precision_matrix: Tensor | None = None,
                 scale_tril: Tensor | None = None, validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            raise ValueError(f"{name} must be at least two-dimensional, with optional leading batch dimensions")
        batch = tuple(np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        k = loc.shape[-1]
        setattr(self, name, matrix.expand(*batch, k, k) if tuple(matrix.shape[:-2]) != batch else matrix)
        self.loc = loc.expand(*batch, k) if tuple(loc.shape[:-1]) != batch else loc
        super().__init__(batch, (k,), validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = scale_tril
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = linalg.cholesky(linalg.inv(precision_matrix))

    @lazy_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        lower = self._unbroadcasted_scale_tril
        cov = lower @ lower.transpose(-1, -2)
        return cov.expand(*self._batch_shape, *self._event_shape, *self._event_shape)

    @lazy_property
    def precision_matrix(self) -> Tensor:
        return linalg.inv(self.covariance_matrix)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        var = self._unbroadcasted_scale_tril.pow(2).sum(-1)
        return var.expand(*self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        return _diag(self._unbroadcasted_scale_tril).log().sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        # L⁻¹ diff by a general solve on tril(L): tril keeps the gradient off L's (zero) upper triangle, as
        # torch's triangular solve does
        m = linalg.solve(self._unbroadcasted_scale_tril.tril(), diff.unsqueeze(-1)).squeeze(-1).pow(2).sum(-1)
        return -0.5 * (self._event_shape[0] * _LOG_2PI + m) - self._half_log_det()

    def entropy(self) -> Tensor:
        h = 0.5 * self._event_shape[0] * (1.0 + _LOG_2PI) + self._half_log_det()
        return h if tuple(h.shape) == tuple(self._batch_shape) else h.expand(*Size(self._batch_shape))
