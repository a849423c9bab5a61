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

orthogonal (a matrix or batch of them, Q: (*, n, k); worked on as tall, transposed when n < k):
    matrix_exp:  Q = exp(A)[:, :k],  A = L - Lᵀ with L the lower triangle of X (zero-padded to n×n)
    cayley:      Q = (I - A/2)⁻¹ (I + A/2)[:, :k]
    householder: Q = householder_product(tril(X, -1), τ) · trunc(diag X),  τ_i = 2 / (1 + ‖column i‖²)
    with ``use_trivialization`` the map starts from a ``base`` buffer (Q = base · map(X)) that assignment sets
    to the orthogonalised value, the original then holding -I (the map's point sent to base); without it
    assignment stores geqrf's reflections (householder only). Real tensors only.
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ...autograd import Tensor, no_grad
from ...ops import elementwise as ew
from ...ops.diagonal import diagonal
from ...ops.factories import eye, randn
from ...ops.householder import householder_product
from ...ops.linalg import solve
from ...ops.lp_normalize import normalize
from ...ops.matmul import matmul, mv, vdot
from ...ops.matrix_exp import matrix_exp
from ...ops.reduction import norm
from ...ops.reduction import sum as reduce_sum
from ...ops.shape import cat, expand, flatten, narrow, permute
from ...ops.triangular import tril
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


_ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


def _geqrf(a: Any) -> tuple[Any, Any]:
    """LAPACK's geqrf of a (*, n, k) array, n ≥ k: R on and above the diagonal, the reflections below, and τ."""
    xp = backend.array_module(a)
    h, tau = xp.linalg.qr(a, mode="raw")  # h is geqrf's output transposed (LAPACK's column-major layout)
    return xp.ascontiguousarray(h.swapaxes(-1, -2)), tau


def _make_orthogonal(a: Any) -> Any:
    """The Q of a = QR whose R has a positive diagonal (as torch: geqrf, orgqr, then the signs of R's diagonal)."""
    x, tau = _geqrf(a)
    q = householder_product(Tensor._wrap(x), Tensor._wrap(tau))._data
    return q * backend.array_module(x).sign(x.diagonal(axis1=-2, axis2=-1))[..., None, :]


def _is_orthogonal(q: Any) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    xp = backend.array_module(q)
    eps = 10.0 * n * float(xp.finfo(q.dtype).eps)
    return bool(xp.allclose(q.swapaxes(-1, -2) @ q, xp.eye(k, dtype=q.dtype), rtol=1e-5, atol=eps))


class _Orthogonal(Module):
    def __init__(self, weight: Tensor, orthogonal_map: str, *, use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.dtype.kind == "c" and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 - torch's name
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n  # noqa: N806
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = tril(X)  # noqa: N806
            if n != k:
                pad = expand(Tensor._wrap(backend.array_module(X._data).zeros((n, n - k), dtype=X.dtype)),
                             *X.shape[:-2], n, n - k)
                X = cat([X, pad], dim=-1)  # noqa: N806
            A = ew.sub(X, X.mT)  # noqa: N806
            if self.orthogonal_map == "matrix_exp":
                Q = matrix_exp(A)  # noqa: N806
            else:
                Id = eye(n, dtype=A.dtype, device=A.device)  # noqa: N806
                Q = solve(ew.sub(Id, ew.mul(A, 0.5)), ew.add(Id, ew.mul(A, 0.5)))  # noqa: N806
            if n != k:
                Q = narrow(Q, -1, 0, k)  # noqa: N806
        else:
            A = tril(X, -1)  # noqa: N806
            tau = ew.div(2.0, ew.add(reduce_sum(ew.mul(A, A), dim=-2), 1.0))
            Q = householder_product(A, tau)  # noqa: N806
            # the diagonal's signs, truncated to int as torch does, carry no gradient (an int cast is constant)
            Q = ew.mul(Q, diagonal(X, dim1=-2, dim2=-1).int().unsqueeze(-2))  # noqa: N806
        if hasattr(self, "base"):
            Q = matmul(self.base, Q)  # noqa: N806
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803 - torch's name
        if tuple(Q.shape) != tuple(self.shape):
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape "
                             f"{Q.shape}.")
        xp = backend.array_module(Q._data)
        q = Q._data
        n, k = q.shape[-2], q.shape[-1]
        transpose = n < k
        if transpose:
            q, n, k = q.swapaxes(-1, -2), k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in ("cayley", "matrix_exp"):
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            a, tau = _geqrf(q)
            d = xp.sign(a.diagonal(axis1=-2, axis2=-1))
            d[tau == 0.0] *= -1
            rows = xp.arange(k)
            a[..., rows, rows] = d
            return Tensor._wrap(a.swapaxes(-1, -2).copy() if transpose else a)
        if n == k:
            q = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
        else:
            with no_grad():
                noise = randn(*q.shape[:-2], n, n - k, dtype=Q.dtype)._data
            q = _make_orthogonal(xp.concatenate([q, xp.asarray(noise)], axis=-1))
        self.base = Tensor._wrap(q)
        neg_id = xp.zeros_like(Q._data)
        rows = xp.arange(min(neg_id.shape[-2:]))
        neg_id[..., rows, rows] = -1.0
        return Tensor._wrap(neg_id)


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Keep ``module.<name>`` orthogonal (Qᵀ Q = I for tall Q, Q Qᵀ = I for wide), as
    ``torch.nn.utils.parametrizations.orthogonal``; the default map is matrix_exp for square matrices, else
    householder."""
    weight: Any = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1] or weight.dtype.kind == "c"
        orthogonal_map = "matrix_exp" if square else "householder"
    if orthogonal_map not in _ORTHOGONAL_MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
                         f"{orthogonal_map}")
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
