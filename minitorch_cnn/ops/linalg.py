"""Linear algebra on the last two dimensions (batched over the leading ones), as ``torch.linalg``.

A: (*, n, n) unless stated; Aᵀ transposes the last two dimensions; G is the upstream gradient.

    Y = A⁻¹                 dA = -Yᵀ G Yᵀ                          (dY = -Y dA Y)
    X = A⁻¹ B  (solve)      dB = A⁻ᵀ G = solve(Aᵀ, G);  dA = -dB Xᵀ
    d = det A               dA = G · cof(A),  cof(A) = d A⁻ᵀ when A is invertible; taken from the SVD
                            A = U S Vᵀ as det(U) det(V) · U diag(Π_{j≠i} s_j) Vᵀ, which holds for singular A too
    (s, l) = slogdet A      dA = G_l · A⁻ᵀ                          (s is piecewise constant: no gradient)
    L = cholesky A          dA = L⁻ᵀ P L⁻¹,  P = Φ(Lᵀ G) made symmetric: Φ keeps the lower triangle, P takes
                            ½ of it and ½ of its strict part transposed (A = L Lᵀ symmetric positive-definite)
    σ = svdvals A (*, m, n) dA = U diag(G) Vᵀ (thin U, V)          (dσ_i = u_iᵀ dA v_i)
    λ = eigvalsh A          dA = V diag(G) Vᵀ                        (dλ_i = v_iᵀ dA v_i, A symmetric)
    vector / matrix norms   composed of differentiable ops (abs, sums, max, roots) and svdvals

svd, eigh and qr (whose vectors' gradients need the gaps between distinct values) live in ``spectral.py``.
inv, solve, slogdet and cholesky are differentiable twice (their backward is built from these same ops); det,
svdvals and eigvalsh once (a second differentiation raises).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from . import elementwise as ew
from . import reduction
from ._util import to_float
from .elementwise import where
from .matmul import matmul
from .pointwise_base import torch_type_name


class LinAlgError(RuntimeError):
    """A singular matrix, or a decomposition that did not converge (torch.linalg.LinAlgError)."""


SlogDet = namedtuple("SlogDet", ["sign", "logabsdet"])


def _mT(a: Any) -> Any:  # noqa: N802 - torch's .mT
    return a.swapaxes(-1, -2)


def _check_float(x: Tensor, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.{name}: argument 'A' must be Tensor, not {type(x).__name__}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_type_name(x.dtype)}")


def _check_matrix(x: Tensor, name: str, square: bool = True) -> None:
    _check_float(x, name)
    if x.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {x.shape[-2]} by "
                           f"{x.shape[-1]} matrices")


def _xp(a: Any) -> Any:
    return backend.array_module(a)


def _singular(name: str) -> LinAlgError:
    return LinAlgError(f"linalg.{name}: The solver failed because the input matrix is singular.")


class Inv(Function):
    torch_name = "LinalgInvExBackward0"

    def forward(self, a: Any) -> Any:
        xp = _xp(a)
        try:
            self.y = xp.linalg.inv(a)
        except np.linalg.LinAlgError:  # CuPy raises NumPy's too
            raise _singular("inv") from None
        return self.y

    def backward(self, g: Any) -> Any:
        yt = _mT(self.y)
        return -(yt @ g @ yt)

    def backward_graph(self, g: Tensor) -> Tensor:
        yt = self.output_tensor(self.y).transpose(-1, -2)
        return -matmul(matmul(yt, g), yt)


class Solve(Function):
    """A X = B with B (*, n, k) (a vector right-hand side is lifted to k = 1 by ``solve``)."""

    torch_name = "LinalgSolveExBackward0"

    def forward(self, a: Any, b: Any) -> Any:
        xp = _xp(a)
        self.a = a
        try:
            self.x = xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:  # CuPy raises NumPy's too
            raise _singular("solve") from None
        return self.x

    def backward(self, g: Any) -> tuple:
        gb = _xp(g).linalg.solve(_mT(self.a), g)
        return (-(gb @ _mT(self.x)) if self.needs_input_grad[0] else None), gb

    def backward_graph(self, g: Tensor) -> tuple:
        gb = Solve.apply(self.input_tensor(0, self.a).transpose(-1, -2), g)
        ga = -matmul(gb, self.output_tensor(self.x).transpose(-1, -2)) if self.needs_input_grad[0] else None
        return ga, gb


class Det(Function):
    torch_name = "LinalgDetBackward0"

    def forward(self, a: Any) -> Any:
        self.a = a
        return _xp(a).linalg.det(a)

    def backward(self, g: Any) -> Any:
        xp = _xp(g)
        u, s, vh = xp.linalg.svd(self.a)
        n = s.shape[-1]
        # Π_{j≠i} s_j as the product of the values before i times those after i (exact with zeros)
        ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
        before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(s[..., 1:], -1)], axis=-1), axis=-1), -1)
        others = before * after if n else s
        sign = xp.linalg.det(u) * xp.linalg.det(vh)
        cof = (u * others[..., None, :]) @ vh * sign[..., None, None]
        return g[..., None, None] * cof


class LogAbsDet(Function):
    """log|det A|: slogdet's differentiable output (its sign is piecewise constant and is computed apart)."""

    torch_name = "LinalgSlogdetBackward0"

    def forward(self, a: Any) -> Any:
        self.a = a
        return _xp(a).linalg.slogdet(a)[1]

    def backward(self, g: Any) -> Any:
        return g[..., None, None] * _mT(_xp(g).linalg.inv(self.a))

    def backward_graph(self, g: Tensor) -> Tensor:
        return g.unsqueeze(-1).unsqueeze(-1) * Inv.apply(self.input_tensor(0, self.a)).transpose(-1, -2)


class Cholesky(Function):
    torch_name = "LinalgCholeskyExBackward0"

    def forward(self, a: Any) -> Any:
        xp = _xp(a)
        try:
            self.l = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:  # CuPy raises NumPy's too
            raise _not_positive_definite(a) from None
        return self.l

    def backward(self, g: Any) -> Any:
        xp = _xp(g)
        lt = _mT(self.l)
        p = xp.tril(lt @ g)
        p = 0.5 * (p + _mT(xp.tril(p, -1)))
        z = xp.linalg.solve(lt, p)  # L⁻ᵀ P
        return _mT(xp.linalg.solve(lt, _mT(z)))  # (L⁻ᵀ P) L⁻¹ = (L⁻ᵀ (L⁻ᵀ P)ᵀ)ᵀ

    def backward_graph(self, g: Tensor) -> Tensor:
        lt = self.output_tensor(self.l).transpose(-1, -2)
        p = matmul(lt, g).tril()
        p = 0.5 * (p + p.tril(-1).transpose(-1, -2))
        z = Solve.apply(lt, p)
        return Solve.apply(lt, z.transpose(-1, -2)).transpose(-1, -2)


def _not_positive_definite(a: Any) -> LinAlgError:
    """torch's message: the first batch element and leading minor that fail (found again on this error path)."""
    xp = _xp(a)
    flat = a.reshape((-1,) + a.shape[-2:])
    for b, m in enumerate(flat):
        for k in range(1, m.shape[-1] + 1):
            try:
                xp.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:  # CuPy raises NumPy's too
                where = f"(Batch element {b}): " if a.ndim > 2 else ""
                return LinAlgError(f"linalg.cholesky: {where}The factorization could not be completed because the "
                                   f"input is not positive-definite (the leading minor of order {k} is not "
                                   "positive-definite).")
    return LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                       "positive-definite.")


class SvdVals(Function):
    torch_name = "LinalgSvdBackward0"

    def forward(self, a: Any) -> Any:
        self.u, s, self.vh = _xp(a).linalg.svd(a, full_matrices=False)
        return s

    def backward(self, g: Any) -> Any:
        return (self.u * g[..., None, :]) @ self.vh


class EigValsH(Function):
    torch_name = "LinalgEighBackward0"

    def forward(self, a: Any, uplo: str) -> Any:
        w, self.v = _xp(a).linalg.eigh(a, UPLO=uplo)
        return w

    def backward(self, g: Any) -> tuple:
        return (self.v * g[..., None, :]) @ _mT(self.v), None


def inv(A: Tensor) -> Tensor:  # noqa: N803 - torch's argument name
    """A⁻¹ for square A (*, n, n); a singular A raises LinAlgError."""
    _check_matrix(A, "inv")
    return Inv.apply(A)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803
    """X with A X = B (``left=False``: X A = B). B is (*, n, k), or a vector (*, n) when its shape is A's batch
    shape plus n (torch's rule), batch dimensions broadcasting."""
    _check_matrix(A, "solve")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve: argument 'B' must be Tensor, not {type(B).__name__}")
    if B.dtype != A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{backend.public_dtype(A.dtype)} and B of type {backend.public_dtype(B.dtype)} instead")
    if not left:
        return solve(A.transpose(-1, -2), B.transpose(-1, -2)).transpose(-1, -2)
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    x = _Solve(A, b)
    return x.squeeze(-1) if vector else x


def _Solve(a: Tensor, b: Tensor) -> Tensor:  # noqa: N802 - the Function's entry
    """Batch dimensions broadcast by expanding first: expand's backward sums the gradients back."""
    batch = _xp(a._data).broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    if tuple(a.shape[:-2]) != batch:
        a = a.expand(*batch, *a.shape[-2:])
    if tuple(b.shape[:-2]) != batch:
        b = b.expand(*batch, *b.shape[-2:])
    return Solve.apply(a, b)


def det(A: Tensor) -> Tensor:  # noqa: N803
    """det A (*,) for A (*, n, n)."""
    _check_matrix(A, "det")
    return Det.apply(A)


def slogdet(A: Tensor) -> SlogDet:  # noqa: N803
    """(sign, log|det A|), each (*,)."""
    _check_matrix(A, "slogdet")
    return SlogDet(Tensor._wrap(_xp(A._data).linalg.slogdet(A._data)[0]), LogAbsDet.apply(A))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:  # noqa: N803
    """L lower-triangular with A = L Lᵀ for symmetric positive-definite A (``upper``: U = Lᵀ). Only A's lower
    (``upper``: upper) triangle is read, as LAPACK's potrf reads it for torch; the gradient is the symmetric one."""
    _check_matrix(A, "cholesky")
    if upper:
        return Cholesky.apply(A.transpose(-1, -2)).transpose(-1, -2)
    return Cholesky.apply(A)


def inverse(A: Tensor) -> Tensor:  # noqa: N803
    """``torch.inverse``: linalg.inv."""
    return inv(A)


def logdet(A: Tensor) -> Tensor:  # noqa: N803
    """log det A: log|det A| where det A > 0, NaN where it is negative, -inf where A is singular (torch's)."""
    sign, logabs = slogdet(A)
    return logabs + where(sign < 0, float("nan"), 0.0)


def svdvals(A: Tensor) -> Tensor:  # noqa: N803
    """The singular values (*, min(m, n)), descending."""
    _check_matrix(A, "svdvals", square=False)
    return SvdVals.apply(A)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    """The eigenvalues (ascending) of the symmetric A, read from its ``UPLO`` triangle; differentiable."""
    _check_matrix(A, "eigvalsh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return EigValsH.apply(A, UPLO)


def _dims(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False,  # noqa: A002 - torch's name
                *, dtype: Any = None) -> Tensor:
    """(Σ|x|^ord)^(1/ord) over ``dim`` (all elements when None); ord inf/-inf: max/min |x|; ord 0: count of
    non-zeros."""
    _check_float(x, "vector_norm")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return reduction.norm(x, ord, _dims(dim), keepdim, dtype)


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf"))


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False,  # noqa: N803, A002
                *, dtype: Any = None) -> Tensor:
    """Frobenius ('fro'), nuclear ('nuc': Σσ), spectral (2: σ_max; -2: σ_min), max column sum (1; -1: min) or max
    row sum (inf; -inf: min) of |A|, over the two dimensions ``dim``."""
    _check_float(A, "matrix_norm")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    dim = tuple(d % A.ndim for d in dim)
    if len(dim) != 2 or dim[0] == dim[1]:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple of different dimensions. Got {dim}")
    if dtype is not None:
        from ._util import cast

        A = cast(A, dtype)
    A = to_float(A)
    if ord == "fro":
        return reduction.norm(A, 2, dim, keepdim)
    if ord in ("nuc", 2, -2):
        rest = [d for d in range(A.ndim) if d not in dim]
        s = svdvals(A.permute(*rest, *dim))
        out = reduction.sum(s, -1) if ord == "nuc" else (reduction.amax(s, -1) if ord == 2 else reduction.amin(s, -1))
        if keepdim:
            for d in sorted(dim):
                out = out.unsqueeze(d)
        return out
    # 1/-1: over columns (sum down the rows, dim[0]); inf/-inf: over rows (sum along dim[1])
    summed, other = (dim[0], dim[1]) if abs(ord) == 1 else (dim[1], dim[0])
    sums = reduction.sum(ew.abs(A), summed, True)
    pick = reduction.amax if ord > 0 else reduction.amin
    out = pick(sums, other, True)
    return out if keepdim else out.squeeze(dim[1]).squeeze(dim[0])


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False,  # noqa: N803, A002
         *, dtype: Any = None) -> Tensor:
    """``ord`` None: the 2-norm of the flattened input (or over ``dim``, Frobenius for a 2-tuple). Otherwise a
    vector norm for an int ``dim`` or a 1-D input, a matrix norm for a 2-tuple ``dim`` or a 2-D input."""
    _check_float(A, "norm")
    dim = _dims(dim)
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                               f"{A.ndim}D.")
        dim = tuple(range(A.ndim))
    if len(dim) == 1:
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
