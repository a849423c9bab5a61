"""The composed torch.linalg functions against torch: matrix_power, multi_dot, vecdot, vander, diagonal, matmul,
tensorinv, tensorsolve, cond, inv_ex / cholesky_ex / solve_ex (info and check_errors), and eig / eigvals refusing
clearly (torch returns complex; there is no complex dtype here). float64 forward and gradients (random upstream
gradients) to 1e-10, float32 against the float64 truth, second order; torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(9)


def _wc(shape: tuple) -> np.ndarray:
    return RNG.standard_normal(shape) + 2 * shape[-1] * np.eye(shape[-1])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -3])
def test_matrix_power(n: int) -> None:
    a = _wc((2, 3, 3)) / 6
    check(lambda x: mt.linalg.matrix_power(x, n), lambda x: torch.linalg.matrix_power(x, n), [a],
          second_order=n not in (0, 1))  # A^0, A^1: the gradient does not depend on A
    check(lambda x: x.matrix_power(n), lambda x: x.matrix_power(n), [a])
    check(lambda x: mt.matrix_power(x, n), lambda x: torch.matrix_power(x, n), [a])


def test_matrix_power_integer() -> None:
    a = np.arange(4).reshape(2, 2)
    assert mt.linalg.matrix_power(mt.tensor(a), 3).numpy().tolist() == torch.linalg.matrix_power(
        torch.tensor(a), 3).numpy().tolist()


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(4,), (4, 5), (5, 2)], [(3, 4), (4, 5), (5,)],
                                    [(4,), (4, 5), (5,)], [(2, 3), (3, 4), (4, 5), (5, 6)]])
def test_multi_dot(shapes: list) -> None:
    arrays = [RNG.standard_normal(s) for s in shapes]
    check(lambda *xs: mt.linalg.multi_dot(list(xs)), lambda *xs: torch.linalg.multi_dot(list(xs)), arrays,
          second_order=True)


def test_vecdot_matmul_diagonal() -> None:
    x, y = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((3, 4))
    check(mt.linalg.vecdot, torch.linalg.vecdot, [x, y], second_order=True)
    check(lambda a, b: mt.linalg.vecdot(a, b, dim=1), lambda a, b: torch.linalg.vecdot(a, b, dim=1),
          [x, y.reshape(1, 3, 4)])
    check(mt.linalg.matmul, torch.linalg.matmul, [x, y.T])
    check(lambda a: mt.linalg.diagonal(a, offset=1), lambda a: torch.linalg.diagonal(a, offset=1), [x])
    check(lambda a: mt.linalg.diagonal(a, dim1=0, dim2=2), lambda a: torch.linalg.diagonal(a, dim1=0, dim2=2), [x])


@pytest.mark.parametrize("n", [None, 2, 5])
def test_vander(n: int | None) -> None:
    x = RNG.standard_normal((2, 4))
    x[0, 1] = 0.0  # cumprod's gradient through an exact zero
    check(lambda a: mt.linalg.vander(a, N=n), lambda a: torch.linalg.vander(a, N=n), [x], second_order=n != 2)
    ints = np.array([1, 2, 3])
    assert mt.linalg.vander(mt.tensor(ints)).numpy().tolist() == torch.linalg.vander(torch.tensor(ints)).tolist()


def test_tensorinv_tensorsolve() -> None:
    a = _wc((6, 6)).reshape(2, 3, 6)
    check(lambda x: mt.linalg.tensorinv(x, ind=2), lambda x: torch.linalg.tensorinv(x, ind=2), [a])
    check(lambda x: mt.linalg.tensorinv(x, ind=1), lambda x: torch.linalg.tensorinv(x, ind=1),
          [_wc((6, 6)).reshape(6, 2, 3)])
    b = RNG.standard_normal((2, 3))
    check(mt.linalg.tensorsolve, torch.linalg.tensorsolve, [a, b], second_order=True)
    moved = np.moveaxis(_wc((6, 6)).reshape(2, 3, 2, 3), 0, 2)
    check(lambda x, y: mt.linalg.tensorsolve(x, y, dims=(2,)), lambda x, y: torch.linalg.tensorsolve(x, y, dims=(2,)),
          [moved, RNG.standard_normal((3, 2))])


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, float("inf"), float("-inf")])
def test_cond(p: object) -> None:
    # torch's own backward fails for the norms other than 2 (it writes into inv_ex's saved output): forward only
    check(lambda x: mt.linalg.cond(x, p), lambda x: torch.linalg.cond(x, p), [RNG.standard_normal((2, 4, 4))],
          grads=p in (None, 2, -2))
    ours = mt.linalg.cond(mt.ones(2, 2, dtype=mt.float64), p).item()
    theirs = torch.linalg.cond(torch.ones(2, 2, dtype=torch.float64), p).item()
    if p in (None, 2, -2):  # σ_min of a singular matrix is rounding: huge (tiny for -2), as torch's
        assert (ours > 1e15 and theirs > 1e15) or (ours < 1e-15 and theirs < 1e-15)
    else:
        assert ours == theirs == float("inf")


def test_ex_forms() -> None:
    a = _wc((2, 3, 3))
    spd = a @ a.swapaxes(-1, -2)
    b = RNG.standard_normal((2, 3, 2))
    check(lambda x: mt.linalg.inv_ex(x).inverse, lambda x: torch.linalg.inv_ex(x).inverse, [a])
    check(lambda x: mt.linalg.cholesky_ex(x).L, lambda x: torch.linalg.cholesky_ex(x).L, [spd])
    check(lambda x: mt.linalg.cholesky_ex(x, upper=True).L, lambda x: torch.linalg.cholesky_ex(x, upper=True).L, [spd])
    check(lambda x, y: mt.linalg.solve_ex(x, y).result, lambda x, y: torch.linalg.solve_ex(x, y).result, [a, b])
    bad = np.stack([np.eye(3), np.ones((3, 3)), -np.eye(3)])
    for name in ("inv_ex", "cholesky_ex"):
        ours, theirs = getattr(mt.linalg, name)(mt.tensor(bad)), getattr(torch.linalg, name)(torch.tensor(bad))
        assert ours.info.dtype == mt.int32
        assert ours.info.numpy().tolist() == theirs.info.numpy().tolist(), name
        assert np.array_equal(ours[0].numpy()[0], theirs[0].numpy()[0]), name
    assert mt.linalg.solve_ex(mt.tensor(bad), mt.ones(3, 3, 1, dtype=mt.float64)).info.numpy().tolist() == [0, 2, 0]


def test_errors() -> None:
    with pytest.raises(mt.linalg.LinAlgError, match=r"linalg.inv_ex: \(Batch element 1\): The diagonal element 2 is "
                                                    "zero, the inversion could not be completed"):
        mt.linalg.inv_ex(mt.stack([mt.eye(2), mt.ones(2, 2)]), check_errors=True)
    with pytest.raises(mt.linalg.LinAlgError, match=r"linalg.cholesky_ex: The factorization could not be completed "
                                                    r"because the input is not positive-definite \(the leading minor "
                                                    "of order 1 is not positive-definite\\)"):
        mt.linalg.cholesky_ex(-mt.eye(2), check_errors=True)
    with pytest.raises(mt.linalg.LinAlgError, match="linalg.solve_ex: The solver failed because the input matrix is "
                                                    "singular"):
        mt.linalg.solve_ex(mt.ones(2, 2), mt.ones(2), check_errors=True)
    with pytest.raises(RuntimeError, match="linalg.matrix_power: A must be batches of square matrices, but they are "
                                           "2 by 3 matrices"):
        mt.linalg.matrix_power(mt.ones(2, 3), 2)
    with pytest.raises(RuntimeError, match="multi_dot\\(\\): expected at least 2 tensors but got 1"):
        mt.linalg.multi_dot([mt.ones(3)])
    with pytest.raises(RuntimeError, match="multi_dot\\(\\): the first tensor must be 1D or 2D but got 3D"):
        mt.linalg.multi_dot([mt.ones(3, 3, 3), mt.ones(3, 3)])
    with pytest.raises(RuntimeError, match="N must be greater than 1"):
        mt.linalg.vander(mt.ones(2), N=1)
    with pytest.raises(RuntimeError, match="prod\\(self.shape\\[ind:\\]\\) == prod\\(self.shape\\[:ind\\]\\), but got "
                                           "6 != 4"):
        mt.linalg.tensorinv(mt.ones(4, 6), ind=1)
    with pytest.raises(RuntimeError, match="linalg.vecdot: Expected a floating point or complex tensor as input. "
                                           "Got Long"):
        mt.linalg.vecdot(mt.arange(3), mt.arange(3))
    with pytest.raises(RuntimeError, match="linalg.cond\\(ord=fro\\): A must be batches of square matrices"):
        mt.linalg.cond(mt.ones(2, 3), "fro")
    for fn in (mt.linalg.eig, mt.linalg.eigvals):
        with pytest.raises(RuntimeError, match="no complex dtype; for a symmetric matrix use linalg.eig"):
            fn(mt.eye(3))
