"""linalg.solve_triangular, torch.triangular_solve, cholesky_solve and cholesky_inverse against torch: forward and
gradients (random upstream gradients) in float64 to 1e-10 and float32 against the float64 truth, second order,
batch broadcasting, the Tensor methods, torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(7)


def _tri(shape: tuple) -> np.ndarray:
    """A triangular-solve operand with a dominant diagonal (the rest of the matrix is read or not, as the flags say)."""
    return RNG.standard_normal(shape) + 3 * np.eye(shape[-1])


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
def test_solve_triangular(upper: bool, left: bool, unitriangular: bool) -> None:
    a, b = _tri((2, 4, 4)), RNG.standard_normal((3, 1, 4, 2) if left else (3, 1, 2, 4))
    kw = {"upper": upper, "left": left, "unitriangular": unitriangular}
    check(lambda x, y: mt.linalg.solve_triangular(x, y, **kw), lambda x, y: torch.linalg.solve_triangular(x, y, **kw),
          [a, b], second_order=True)


def test_solve_triangular_grad_fn_name() -> None:
    x = mt.linalg.solve_triangular(mt.eye(2, requires_grad=True), mt.ones(2, 1), upper=True)
    assert x.grad_fn.name() == "LinalgSolveTriangularBackward0"


@pytest.mark.parametrize("transpose", [True, False])
@pytest.mark.parametrize("upper", [True, False])
def test_triangular_solve_old_api(transpose: bool, upper: bool) -> None:
    a, b = _tri((2, 3, 3)), RNG.standard_normal((2, 3, 2))
    check(lambda y, x: mt.triangular_solve(y, x, upper, transpose), lambda y, x: torch.triangular_solve(y, x, upper,
          transpose), [b, a], second_order=True)
    out = mt.tensor(b).triangular_solve(mt.tensor(a), upper=upper, transpose=transpose)
    assert out.cloned_coefficient.numpy().tolist() == a.tolist()


@pytest.mark.parametrize("upper", [True, False])
def test_cholesky_solve_and_inverse(upper: bool) -> None:
    f = np.tril(_tri((2, 4, 4)))
    f = f.swapaxes(-1, -2) if upper else f
    b = RNG.standard_normal((3, 1, 4, 2))
    check(lambda y, x: mt.cholesky_solve(y, x, upper), lambda y, x: torch.cholesky_solve(y, x, upper), [b, f],
          second_order=True)
    check(lambda x: mt.cholesky_inverse(x, upper), lambda x: torch.cholesky_inverse(x, upper), [f], second_order=True)
    assert mt.tensor(b).cholesky_solve(mt.tensor(f), upper).shape == (3, 2, 4, 2)
    assert mt.tensor(f).cholesky_inverse(upper).grad_fn is None


def test_bad_input() -> None:
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 2x1\)"):
        mt.linalg.solve_triangular(mt.eye(3), mt.ones(2, 1), upper=True)
    mixed = mt.linalg.solve_triangular(mt.eye(3), mt.ones(3, 1, dtype=mt.float64), upper=True)
    assert mixed.dtype == mt.float32  # torch's result takes A's dtype
    with pytest.raises(RuntimeError, match="Expected b and A to have the same dtype, but found b of type Float and A "
                                           "of type Double instead"):
        mt.cholesky_solve(mt.ones(3, 1), mt.eye(3, dtype=mt.float64))
    with pytest.raises(RuntimeError, match="u should have at least 2 dimensions, but has 1 dimensions instead"):
        mt.cholesky_solve(mt.ones(3, 1), mt.ones(3))
    with pytest.raises(RuntimeError, match="cholesky_inverse: The input tensor A must have at least 2 dimensions"):
        mt.cholesky_inverse(mt.ones(3))
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 2 by 3 matrices"):
        mt.linalg.solve_triangular(mt.ones(2, 3), mt.ones(2, 1), upper=True)
    with pytest.raises(RuntimeError, match="b should have at least 2 dimensions, but has 1 dimensions instead"):
        mt.cholesky_solve(mt.ones(3), mt.eye(3))
    with pytest.raises(TypeError, match="upper"):
        mt.linalg.solve_triangular(mt.eye(3), mt.ones(3, 1))
