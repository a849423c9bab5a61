"""The LU family against torch: linalg.lu_factor(_ex), linalg.lu, lu_unpack, linalg.lu_solve and the old torch.lu /
torch.lu_solve. Factors, pivots (int32) and info equal torch's; gradients (random upstream gradients, square, wide
and tall) in float64 to 1e-10 and float32 against the float64 truth; second order; torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(11)
SHAPES = [(4, 4), (2, 3, 5), (2, 5, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_lu_factor(shape: tuple) -> None:
    a = RNG.standard_normal(shape)
    check(lambda x: mt.linalg.lu_factor(x).LU, lambda x: torch.linalg.lu_factor(x).LU, [a], second_order=True)
    ours, theirs = mt.linalg.lu_factor_ex(mt.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    assert ours.pivots.dtype == mt.int32 and ours.info.dtype == mt.int32
    assert ours.pivots.numpy().tolist() == theirs.pivots.numpy().tolist()
    assert ours.info.numpy().tolist() == theirs.info.numpy().tolist()
    assert mt.linalg.lu_factor(mt.tensor(a, requires_grad=True)).LU.grad_fn.name() == "LinalgLuFactorExBackward0"


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("which", ["LU", "L", "U"])
def test_lu(shape: tuple, which: str) -> None:
    a = RNG.standard_normal(shape)
    pick = {"LU": lambda r: (r.L, r.U), "L": lambda r: r.L, "U": lambda r: r.U}[which]
    check(lambda x: pick(mt.linalg.lu(x)), lambda x: pick(torch.linalg.lu(x)), [a], second_order=which == "LU")
    p, p_t = mt.linalg.lu(mt.tensor(a)).P, torch.linalg.lu(torch.tensor(a)).P
    assert p.numpy().tolist() == p_t.numpy().tolist()


@pytest.mark.parametrize("shape", SHAPES)
def test_lu_unpack(shape: tuple) -> None:
    a = RNG.standard_normal(shape)
    check(lambda x: mt.lu_unpack(*mt.linalg.lu_factor(x))[1:],
          lambda x: torch.lu_unpack(*torch.linalg.lu_factor(x))[1:], [a])
    lu, piv = mt.linalg.lu_factor(mt.tensor(a))
    lu_t, piv_t = torch.linalg.lu_factor(torch.tensor(a))
    assert mt.lu_unpack(lu, piv).P.numpy().tolist() == torch.lu_unpack(lu_t, piv_t).P.numpy().tolist()
    assert mt.lu_unpack(lu, piv, unpack_data=False).L.shape == torch.lu_unpack(lu_t, piv_t, unpack_data=False).L.shape


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
def test_lu_solve(left: bool, adjoint: bool) -> None:
    a, b = RNG.standard_normal((2, 4, 4)), RNG.standard_normal((3, 1, 4, 2) if left else (3, 1, 2, 4))

    def ours(x: mt.Tensor, y: mt.Tensor) -> mt.Tensor:
        return mt.linalg.lu_solve(*mt.linalg.lu_factor(x), y, left=left, adjoint=adjoint)

    def theirs(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.linalg.lu_solve(*torch.linalg.lu_factor(x), y, left=left, adjoint=adjoint)

    check(ours, theirs, [a, b], second_order=True)


def test_old_api() -> None:
    a, b = RNG.standard_normal((2, 3, 3)), RNG.standard_normal((2, 3, 2))
    check(lambda x: mt.lu(x)[0], lambda x: torch.lu(x)[0], [a])
    check(lambda x, y: mt.lu_solve(y, *mt.lu(x)), lambda x, y: torch.lu_solve(y, *torch.lu(x)), [a, b])
    singular = mt.ones(3, 3)
    assert mt.lu(singular, get_infos=True)[2].item() == torch.lu(torch.ones(3, 3), get_infos=True)[2].item() == 2
    x = mt.tensor(b).lu_solve(*mt.tensor(a).lu())
    assert np.allclose(x.numpy(), np.linalg.solve(a, b))


def test_singular_info_and_errors() -> None:
    s = np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])
    ours, theirs = mt.linalg.lu_factor_ex(mt.tensor(s)), torch.linalg.lu_factor_ex(torch.tensor(s))
    assert ours.info.item() == theirs.info.item() == 3
    assert np.allclose(ours.LU.numpy(), theirs.LU.numpy(), rtol=0, atol=1e-15)
    msg = r"torch.linalg.lu_factor: \(Batch element 0\): U\[2,2\] is zero and using it on lu_solve"
    with pytest.raises(RuntimeError, match=msg):
        mt.linalg.lu_factor(mt.ones(2, 3, 3))
    with pytest.raises(RuntimeError, match=r"torch.linalg.lu_factor_ex: U\[2,2\] is zero"):
        mt.linalg.lu_factor_ex(mt.ones(3, 3), check_errors=True)
    with pytest.raises(RuntimeError, match="LU without pivoting is not implemented on the CPU"):
        mt.linalg.lu_factor(mt.eye(3), pivot=False)
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation AX = B \(3x3 and 2x1\)"):
        mt.linalg.lu_solve(mt.eye(3), mt.ones(3, dtype=mt.int32), mt.ones(2, 1))
    with pytest.raises(RuntimeError, match="Expected LU and B to have the same dtype"):
        mt.linalg.lu_solve(mt.eye(3), mt.ones(3, dtype=mt.int32), mt.ones(3, 1, dtype=mt.float64))
    with pytest.raises(RuntimeError, match="LU_pivots is expected to be a contiguous tensor of torch.int32 dtype"):
        mt.lu_unpack(mt.eye(3), mt.ones(3, dtype=mt.int64))
