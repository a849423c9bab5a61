"""Solves with a triangular or Cholesky-factored matrix: ``linalg.solve_triangular``, ``triangular_solve``,
``cholesky_solve``, ``cholesky_inverse``.

A: (*, n, n) triangular (only its ``upper``/lower triangle is read; ``unitriangular``: its diagonal is taken as
ones), B: (*, n, k) (``left=False``: (*, k, n)); batch dimensions broadcast. G is the upstream gradient.

    X = A⁻¹ B  (left)      dB = A⁻ᵀ G (a triangular solve with the other triangle);  dA = -dB Xᵀ
    X = B A⁻¹  (right)     dB = G A⁻ᵀ;                                                 dA = -Xᵀ dB
                           dA is kept on A's triangle (strict triangle when unitriangular): the triangular
                           matrices are a vector space, so the gradient is the projection onto it (torch's)
    X = (L Lᵀ)⁻¹ B  (cholesky_solve, L lower; upper: (Uᵀ U)⁻¹ B)
                           dB = cholesky_solve(G, L);  C = dB Xᵀ + X dBᵀ;  dL = -C L  (upper: dU = -U C)
    Y = (L Lᵀ)⁻¹  (cholesky_inverse)
                           C = Y (G + Gᵀ) Y;  dL = -C L  (upper: dU = -U C)

Every backward is written again in these differentiable ops (``backward_graph``), so they differentiate twice.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from .matmul import matmul
from .pointwise_base import torch_type_name
from .triangular import tril, triu

TriangularSolve = namedtuple("TriangularSolve", ["solution", "cloned_coefficient"])


def _mT(a: Any) -> Any:  # noqa: N802 - torch's .mT
    return a.swapaxes(-1, -2)


def _triangle(a: Any, upper: bool, unitriangular: bool) -> Any:
    """The triangle of A that the solve reads, with a unit diagonal when ``unitriangular``."""
    xp = backend.array_module(a)
    t = xp.triu(a) if upper else xp.tril(a)
    if unitriangular:
        eye = xp.eye(a.shape[-1], dtype=a.dtype)
        t = t * (1 - eye) + eye
    return t


def solve_tri(a: Any, b: Any, upper: bool, left: bool = True, unitriangular: bool = False) -> Any:
    """A⁻¹ B (left) or B A⁻¹ on arrays with equal batch shapes, reading A's triangle only."""
    xp = backend.array_module(a)
    t = _triangle(a, upper, unitriangular)
    if left:
        return xp.linalg.solve(t, b)
    return _mT(xp.linalg.solve(_mT(t), _mT(b)))


def _project(x: Any, upper: bool, unitriangular: bool) -> Any:
    """Keep the triangle (strict when ``unitriangular``) the solve read: arrays and Tensors alike."""
    d = int(unitriangular)
    if isinstance(x, Tensor):
        return triu(x, d) if upper else tril(x, -d)
    xp = backend.array_module(x)
    return xp.triu(x, d) if upper else xp.tril(x, -d)


class SolveTriangular(Function):
    torch_name = "LinalgSolveTriangularBackward0"

    def forward(self, a: Any, b: Any, upper: bool, left: bool, unitriangular: bool) -> Any:
        self.a, self.flags = a, (upper, left, unitriangular)
        self.x = solve_tri(a, b, upper, left, unitriangular)
        return self.x

    def backward(self, g: Any) -> tuple:
        upper, left, unit = self.flags
        gb = solve_tri(_mT(self.a), g, not upper, left, unit)
        ga = None
        if self.needs_input_grad[0]:
            xt = _mT(self.x)
            ga = _project(-(gb @ xt) if left else -(xt @ gb), upper, unit)
        return ga, (gb if self.needs_input_grad[1] else None), None, None, None

    def backward_graph(self, g: Tensor) -> tuple:
        upper, left, unit = self.flags
        gb = SolveTriangular.apply(self.input_tensor(0, self.a).mT, g, not upper, left, unit)
        ga = None
        if self.needs_input_grad[0]:
            xt = self.output_tensor(self.x).mT
            ga = _project(-matmul(gb, xt) if left else -matmul(xt, gb), upper, unit)
        return ga, (gb if self.needs_input_grad[1] else None), None, None, None


class CholeskySolve(Function):
    torch_name = "CholeskySolveBackward0"

    def forward(self, b: Any, factor: Any, upper: bool) -> Any:
        self.factor, self.upper = factor, upper
        self.x = _cholesky_solve(b, factor, upper)
        return self.x

    def backward(self, g: Any) -> tuple:
        gb = _cholesky_solve(g, self.factor, self.upper)
        gf = None
        if self.needs_input_grad[1]:
            c = gb @ _mT(self.x)
            c = c + _mT(c)
            gf = -(self.factor @ c) if self.upper else -(c @ self.factor)
        return gb, gf, None

    def backward_graph(self, g: Tensor) -> tuple:
        f = self.input_tensor(1, self.factor)
        gb = CholeskySolve.apply(g, f, self.upper)
        gf = None
        if self.needs_input_grad[1]:
            c = matmul(gb, self.output_tensor(self.x).mT)
            c = c + c.mT
            gf = -matmul(f, c) if self.upper else -matmul(c, f)
        return gb, gf, None


def _cholesky_solve(b: Any, factor: Any, upper: bool) -> Any:
    """(L Lᵀ)⁻¹ B as two triangular solves (upper: (Uᵀ U)⁻¹ B)."""
    if upper:
        return solve_tri(factor, solve_tri(_mT(factor), b, False), True)
    return solve_tri(_mT(factor), solve_tri(factor, b, False), True)


class CholeskyInverse(Function):
    torch_name = "CholeskyInverseBackward0"

    def forward(self, factor: Any, upper: bool) -> Any:
        xp = backend.array_module(factor)
        self.factor, self.upper = factor, upper
        eye = xp.broadcast_to(xp.eye(factor.shape[-1], dtype=factor.dtype), factor.shape)
        self.y = _cholesky_solve(eye, factor, upper)
        return self.y

    def backward(self, g: Any) -> tuple:
        c = self.y @ (g + _mT(g)) @ self.y
        return (-(self.factor @ c) if self.upper else -(c @ self.factor)), None

    def backward_graph(self, g: Tensor) -> tuple:
        f, y = self.input_tensor(0, self.factor), self.output_tensor(self.y)
        c = matmul(matmul(y, g + g.mT), y)
        return (-matmul(f, c) if self.upper else -matmul(c, f)), None


def check_matrix(t: Tensor, name: str, what: str = "A") -> None:
    """torch's checks of a linalg argument ``what`` of ``name``: a Tensor, floating, at least two dimensions."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: argument '{what}' must be Tensor, not {type(t).__name__}")
    if t.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_type_name(t.dtype)}")
    if t.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")


def _check_pair(A: Tensor, B: Tensor, name: str) -> None:  # noqa: N803 - torch's argument names
    """linalg.solve_triangular's checks (B is cast to A's dtype afterwards, as torch's result dtype is A's)."""
    check_matrix(A, name, "A")
    check_matrix(B, name, "B")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _check_old(b: Tensor, A: Tensor) -> None:  # noqa: N803
    """triangular_solve's and cholesky_solve's checks (torch's older messages, b before A)."""
    for t, what in ((b, "b"), (A, "u")):
        if t.ndim < 2:
            raise RuntimeError(f"{what} should have at least 2 dimensions, but has {t.ndim} dimensions instead")
    if b.dtype != A.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{torch_type_name(b.dtype)} and A of type {torch_type_name(A.dtype)} instead.")
    if A.dtype.kind != "f":
        raise RuntimeError(f"Expected a floating point tensor as input. Got {torch_type_name(A.dtype)}")


def _broadcast(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Expand both to the broadcast batch shape (expand's backward sums the gradients back)."""
    batch = tuple(backend.array_module(a._data).broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2])))
    if tuple(a.shape[:-2]) != batch:
        a = a.expand(*batch, *a.shape[-2:])
    if tuple(b.shape[:-2]) != batch:
        b = b.expand(*batch, *b.shape[-2:])
    return a, b


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,  # noqa: N803 - torch's names
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for triangular A (*, n, n), reading only its ``upper``/lower
    triangle; B (*, n, k) (right: (*, k, n)); batch dimensions broadcast."""
    name = "linalg.solve_triangular"
    _check_pair(A, B, name)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if B.dtype != A.dtype:
        B = B.to(A.dtype)
    a, b = _broadcast(A, B)
    return SolveTriangular.apply(a, b, bool(upper), bool(left), bool(unitriangular))


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False) -> TriangularSolve:
    """torch.triangular_solve: (X, A.clone()) with A X = b (``transpose``: Aᵀ X = b), A triangular."""
    _check_old(b, A)
    if b.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"triangular_solve: Incompatible matrix sizes for ({A.shape[-2]}x{A.shape[-1]}) and "
                           f"({b.shape[-2]}x{b.shape[-1]})")
    a = A.mT if transpose else A
    x = solve_triangular(a, b, upper=upper != transpose, unitriangular=unitriangular)
    return TriangularSolve(x, A.clone())


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """X with (L Lᵀ) X = B for the Cholesky factor L (*, n, n) (``upper``: (Uᵀ U) X = B); B (*, n, k)."""
    _check_old(B, L)
    if B.shape[-2] != L.shape[-1]:
        raise RuntimeError(f"cholesky_solve: Incompatible matrix sizes for A ({L.shape[-2]}x{L.shape[-1]}) and "
                           f"B ({B.shape[-2]}x{B.shape[-1]})")
    f, b = _broadcast(L, B)
    return CholeskySolve.apply(b, f, bool(upper))


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:  # noqa: N803
    """(L Lᵀ)⁻¹ for the Cholesky factor L (*, n, n) (``upper``: (Uᵀ U)⁻¹)."""
    _check_pair(L, L, "cholesky_inverse")
    return CholeskyInverse.apply(L, bool(upper))


METHODS: dict = {
    "triangular_solve": triangular_solve,
    "cholesky_solve": cholesky_solve,
    "cholesky_inverse": cholesky_inverse,
}
