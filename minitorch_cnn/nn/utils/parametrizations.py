"""``torch.nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` as parametrizations.

weight_norm (dim d; None means -1, the whole tensor):
    weight = g · v / ‖v‖   with ‖v‖ the 2-norm over every axis but d (kept as size-1 axes); stored as
    ``original0`` = g (shape 1 except along d) and ``original1`` = v, initialised so that weight is unchanged
    backward: the composition's own

spectral_norm (dim 0, or 1 for ConvTranspose; n power iterations, eps):
    W = weight as a matrix (dim first, the rest flattened);  u, v unit vectors (buffers ``_u``, ``_v``)
    training: n times  u = normalize(W v),  v = normalize(Wᵀ u)   (no gradient; 15 times at registration)
    weight / σ,   σ = uᵀ W v   (u, v constants of the graph; the gradient flows through W in σ and weight)
    a 1-D weight is just normalized
"""

from __future__ import annotations

from typing import Any

from ...autograd import Tensor, no_grad
from ...ops import elementwise as ew
from ...ops.lp_normalize import normalize
from ...ops.matmul import mv, vdot
from ...ops.reduction import norm
from ...ops.shape import flatten, permute
from ..conv_transpose import ConvTranspose2d
from ..module import Module
from . import parametrize


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every axis but ``dim`` (all of them when dim is -1), keeping size-1 axes."""
    if dim == -1:
        return norm(v, 2)
    axes = tuple(i for i in range(v.ndim) if i != dim)
    return norm(v, 2, axes, keepdim=True) if axes else ew.abs(v)


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return ew.mul(weight_v, ew.div(weight_g, _norm_except_dim(weight_v, self.dim)))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as g · v / ‖v‖ (``parametrizations.<name>.original0`` = g,
    ``original1`` = v), as ``torch.nn.utils.parametrizations.weight_norm``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = permute(weight, (self.dim, *(d for d in range(weight.ndim) if d != self.dim)))
        return flatten(weight, 1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        with no_grad():
            for _ in range(n_power_iterations):
                normalize(mv(weight_mat, self._v), dim=0, eps=self.eps, out=self._u)
                normalize(mv(weight_mat.H, self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # copies: the next power iteration must not change this graph
        sigma = vdot(u, mv(weight_mat, v))
        return ew.div(weight, sigma)

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _default_dim(module: Module, dim: int | None) -> int:
    """torch's default: 1 for transposed convolutions (their weight is (in, out, ...)), else 0."""
    if dim is not None:
        return dim
    return 1 if isinstance(module, ConvTranspose2d) else 0


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its largest singular value, estimated by power iteration, as
    ``torch.nn.utils.parametrizations.spectral_norm`` (buffers ``parametrizations.<name>.0._u`` / ``._v``)."""
    weight: Any = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    parametrize.register_parametrization(module, name,
                                         _SpectralNorm(weight, n_power_iterations, _default_dim(module, dim), eps))
    return module
