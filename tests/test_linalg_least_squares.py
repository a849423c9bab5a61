"""linalg.pinv (torch.pinverse), linalg.matrix_rank and linalg.lstsq against torch: forward and gradients (torch's
pinv_backward and linalg_lstsq_backward; random upstream gradients) in float64 to 1e-10 and float32 against the
float64 truth, second order for pinv; what each LAPACK driver reports; tolerances; torch's errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5), (2, 5, 3)])
def test_pinv(shape: tuple) -> None:
    check(mt.linalg.pinv, torch.linalg.pinv, [RNG.standard_normal(shape)], second_order=True)
    check(mt.pinverse, torch.pinverse, [RNG.standard_normal(shape)])


def test_pinv_hermitian_and_tolerances() -> None:
    a = RNG.standard_normal((2, 4, 4))
    sym = a + a.swapaxes(-1, -2)
    check(lambda x: mt.linalg.pinv(x, hermitian=True), lambda x: torch.linalg.pinv(x, hermitian=True), [sym])
    low_rank = RNG.standard_normal((5, 2)) @ RNG.standard_normal((2, 4))
    for kw in ({}, {"atol": 1.0}, {"rtol": 0.3}, {"atol": 0.5, "rtol": 0.1}):
        ours, theirs = mt.linalg.pinv(mt.tensor(low_rank), **kw), torch.linalg.pinv(torch.tensor(low_rank), **kw)
        assert np.allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12), kw
    assert np.allclose(mt.tensor(low_rank).pinverse(1e-3).numpy(), torch.tensor(low_rank).pinverse(1e-3).numpy())


def test_matrix_rank() -> None:
    low_rank = RNG.standard_normal((3, 5, 2)) @ RNG.standard_normal((3, 2, 4))
    sym = low_rank.swapaxes(-1, -2) @ low_rank
    cases: list[tuple[Any, dict]] = [(low_rank, {}), (low_rank, {"atol": 1.0, "rtol": 0.1}), (low_rank, {"rtol": 0.5}),
                                     (sym, {"hermitian": True}), (sym, {"tol": 1e-6})]
    for a, kw in cases:
        ours, theirs = mt.linalg.matrix_rank(mt.tensor(a), **kw), torch.linalg.matrix_rank(torch.tensor(a), **kw)
        assert ours.dtype == mt.int64 and ours.numpy().tolist() == theirs.numpy().tolist(), kw


def _lstsq(lib: Any, driver: Any, residuals: bool) -> Any:
    def fn(a: Any, b: Any) -> Any:
        r = lib.linalg.lstsq(a, b, driver=driver)
        return (r.solution, r.residuals) if residuals else r.solution
    return fn


@pytest.mark.parametrize("a_shape,b_shape", [((2, 5, 3), (2, 5, 2)), ((2, 3, 5), (2, 3, 2)), ((5, 3), (5,)),
                                             ((4, 4), (4, 2))])
@pytest.mark.parametrize("driver", [None, "gels", "gelsd", "gelss"])
def test_lstsq(a_shape: tuple, b_shape: tuple, driver: Any) -> None:
    a, b = RNG.standard_normal(a_shape), RNG.standard_normal(b_shape)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    ours = mt.linalg.lstsq(mt.tensor(a), mt.tensor(b), driver=driver)
    for name in ("residuals", "rank", "singular_values"):
        o, t = getattr(ours, name), getattr(theirs, name)
        assert o.shape == t.shape, name
        assert np.allclose(o.numpy(), t.numpy(), rtol=1e-10, atol=0), name
    check(_lstsq(mt, driver, theirs.residuals.numel() > 0), _lstsq(torch, driver, theirs.residuals.numel() > 0),
          [a, b])


def test_errors() -> None:
    with pytest.raises(RuntimeError, match=r"torch.linalg.lstsq: input.size\(-2\) should match other.size\(-2\)"):
        mt.linalg.lstsq(mt.eye(3), mt.ones(2, 1))
    with pytest.raises(RuntimeError, match="parameter `driver` should be one of"):
        mt.linalg.lstsq(mt.eye(3), mt.ones(3, 1), driver="foo")
    with pytest.raises(RuntimeError, match=r"linalg.pinv\(Float\{\[3\]\}\): expected a tensor with 2 or more"):
        mt.linalg.pinv(mt.ones(3))
    with pytest.raises(RuntimeError, match="This function doesn't handle types other than float and double"):
        mt.linalg.matrix_rank(mt.arange(4).reshape(2, 2))
