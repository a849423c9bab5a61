"""sort/argsort/msort, searchsorted/bucketize, unique, and the running reductions (cumsum, cumprod, cummax,
cummin, logcumsumexp) and logsumexp, against torch: values, indices, gradients, second order, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _grad_parity import function_parity
from _reduce_parity import second_order_parity

import minitorch_cnn as mt

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5, 4))


def _same_ints(ours: mt.Tensor, theirs: torch.Tensor) -> None:
    assert ours.dtype == getattr(mt, str(theirs.dtype).split(".")[1])
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_indices_and_gradient(dim: int, descending: bool) -> None:
    function_parity(lambda x: mt.sort(x, dim=dim, descending=descending).values,
                    lambda x: torch.sort(x, dim=dim, descending=descending).values, [X], [True], "sort")
    ours, theirs = mt.tensor(X).sort(dim, descending), torch.tensor(X).sort(dim, descending)
    _same_ints(ours.indices, theirs.indices)
    values, indices = ours
    assert values is ours[0] and indices is ours.indices and type(ours).__name__ == "sort"


@pytest.mark.parametrize("descending", [False, True])
def test_sort_stable_ties_and_nan(descending: bool) -> None:
    a = np.array([[2.0, 1.0, np.nan, 1.0, 2.0, 0.5, 1.0], [3, 3, 3, 1, 1, np.inf, -np.inf]])
    ours = mt.sort(mt.tensor(a), stable=True, descending=descending)
    theirs = torch.sort(torch.tensor(a), stable=True, descending=descending)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    _same_ints(ours.indices, theirs.indices)
    _same_ints(mt.argsort(mt.tensor(a), descending=descending, stable=True),
               torch.argsort(torch.tensor(a), descending=descending, stable=True))


def test_sort_ints_bool_zero_dim_and_msort() -> None:
    ints = RNG.integers(0, 4, (4, 6))
    _same_ints(mt.sort(mt.tensor(ints), dim=0, stable=True).values,
               torch.sort(torch.tensor(ints), dim=0, stable=True).values)
    _same_ints(mt.tensor([True, False, True]).sort(stable=True).indices,
               torch.tensor([True, False, True]).sort(stable=True).indices)
    _same_ints(mt.sort(mt.tensor(3.0)).indices, torch.sort(torch.tensor(3.0)).indices)
    np.testing.assert_array_equal(mt.msort(mt.tensor(X)).numpy(), torch.msort(torch.tensor(X)).numpy())
    function_parity(mt.msort, torch.msort, [X], [True], "msort")


def test_sort_bad_dim() -> None:
    with pytest.raises(IndexError, match="out of range"):
        mt.sort(mt.tensor([1.0, 2.0]), dim=3)


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize(right: bool) -> None:
    seq = np.sort(RNG.integers(0, 6, (3, 7)).astype(np.float64), axis=-1)
    vals = RNG.integers(-1, 8, (3, 5)).astype(np.float64)
    _same_ints(mt.searchsorted(mt.tensor(seq), mt.tensor(vals), right=right),
               torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right))
    _same_ints(mt.searchsorted(mt.tensor(seq[0]), mt.tensor(vals), side="right" if right else "left"),
               torch.searchsorted(torch.tensor(seq[0]), torch.tensor(vals), side="right" if right else "left"))
    _same_ints(mt.searchsorted(mt.tensor(seq[0]), 2.0, right=right), torch.searchsorted(torch.tensor(seq[0]), 2.0,
                                                                                      right=right))
    _same_ints(mt.bucketize(mt.tensor(vals), mt.tensor(seq[1]), right=right, out_int32=True),
               torch.bucketize(torch.tensor(vals), torch.tensor(seq[1]), right=right, out_int32=True))
    perm = RNG.permutation(7)
    _same_ints(mt.searchsorted(mt.tensor(seq[0][perm]), mt.tensor(vals[0]), sorter=mt.tensor(np.argsort(perm))),
               torch.searchsorted(torch.tensor(seq[0][perm]), torch.tensor(vals[0]),
                                  sorter=torch.tensor(np.argsort(perm))))


def test_searchsorted_bad_input() -> None:
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites"):
        mt.searchsorted(mt.tensor([1.0, 2.0]), mt.tensor([1.5]), side="left", right=True)
    with pytest.raises(RuntimeError, match="first N-1 dimensions"):
        mt.searchsorted(mt.tensor([[1.0, 2.0, 3.0]]), mt.tensor([2.5]))
    with pytest.raises(RuntimeError, match="boundaries tensor must be 1 dimension"):
        mt.bucketize(mt.tensor([2.5]), mt.tensor([[1.0, 2.0]]))


@pytest.mark.parametrize("kw", [{}, {"return_inverse": True}, {"return_counts": True},
                                {"return_inverse": True, "return_counts": True}])
def test_unique_and_unique_consecutive(kw: dict) -> None:
    a = RNG.integers(0, 4, (3, 6))
    for ours, theirs in [(mt.unique(mt.tensor(a), **kw), torch.unique(torch.tensor(a), **kw)),
                         (mt.tensor(a).unique(dim=1, **kw), torch.tensor(a).unique(dim=1, **kw)),
                         (mt.unique_consecutive(mt.tensor(a), **kw), torch.unique_consecutive(torch.tensor(a), **kw)),
                         (mt.tensor(np.repeat(a, 2, 0)).unique_consecutive(dim=0, **kw),
                          torch.tensor(np.repeat(a, 2, 0)).unique_consecutive(dim=0, **kw))]:
        ours, theirs = (ours, theirs) if kw else ((ours,), (theirs,))
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same_ints(o, t)


def test_unique_keeps_nans_apart() -> None:
    a = np.array([3.0, np.nan, 1.0, np.nan, 3.0])
    ours, theirs = mt.unique(mt.tensor(a), return_counts=True), torch.unique(torch.tensor(a), return_counts=True)
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    _same_ints(ours[1], theirs[1])


# ---- running reductions ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scans_forward_and_gradient(name: str, dim: int) -> None:
    function_parity(lambda x: getattr(mt, name)(x, dim), lambda x: getattr(torch, name)(x, dim), [X], [True], name)
    function_parity(lambda x: getattr(x, name)(dim=dim), lambda x: getattr(x, name)(dim=dim), [X], [True], name)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp"])
def test_scans_second_order(name: str) -> None:
    second_order_parity(lambda x: getattr(mt, name)(x, 1), lambda x: getattr(torch, name)(x, 1), [X], name)


def test_cumprod_gradient_exact_with_zeros() -> None:
    a = RNG.standard_normal((4, 6))
    a[0, 2] = 0.0
    a[1, 0] = 0.0
    a[2, 1] = a[2, 4] = 0.0
    a[3, 5] = 0.0
    for dim in (0, 1):
        function_parity(lambda x, d=dim: mt.cumprod(x, d), lambda x, d=dim: torch.cumprod(x, d), [a], [True],
                        "cumprod with zeros")
        second_order_parity(lambda x, d=dim: mt.cumprod(x, d), lambda x, d=dim: torch.cumprod(x, d), [a],
                            "cumprod with zeros")


def test_logcumsumexp_stable_far_apart() -> None:
    a = np.array([[-1000.0, 0.0, 1000.0, -np.inf, 999.0], [5.0, -800.0, 2.0, 700.0, 1.0]])
    function_parity(lambda x: mt.logcumsumexp(x, 1), lambda x: torch.logcumsumexp(x, 1), [a], [True],
                    "logcumsumexp extremes")


def test_scan_dtypes_and_zero_dim() -> None:
    _same_ints(mt.cumsum(mt.tensor([True, True, False]), 0), torch.cumsum(torch.tensor([True, True, False]), 0))
    _same_ints(mt.cumprod(mt.tensor([2, 3], dtype=mt.int32), 0), torch.cumprod(torch.tensor([2, 3], dtype=torch.int32),
                                                                             0))
    assert mt.cumsum(mt.tensor([1, 2]), 0, dtype=mt.float64).dtype == mt.float64
    assert mt.cumsum(mt.tensor(3.0), 0).shape == ()
    with pytest.raises(NotImplementedError, match="not implemented for"):
        mt.logcumsumexp(mt.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="out of range"):
        mt.cumsum(mt.tensor([1.0]), 2)


def test_cumsum_inplace() -> None:
    ours, theirs = mt.tensor(X), torch.tensor(X)
    assert ours.cumsum_(1) is ours
    theirs.cumsum_(1)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    ours.cumprod_(0)
    theirs.cumprod_(0)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 2])
def test_cummax_cummin(name: str, dim: int) -> None:
    function_parity(lambda x: getattr(mt, name)(x, dim).values, lambda x: getattr(torch, name)(x, dim).values,
                    [X], [True], name)
    ties = np.array([[1.0, 3.0, 3.0, 2.0, np.nan, 5.0, np.nan], [2.0, 1.0, 1.0, 3.0, 0.0, 0.0, 4.0]])
    ours, theirs = getattr(mt, name)(mt.tensor(ties), 1), getattr(torch, name)(torch.tensor(ties), 1)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    _same_ints(ours.indices, theirs.indices)
    _same_ints(getattr(mt.tensor([[2, 1, 1, 3]]), name)(1).indices, getattr(torch.tensor([[2, 1, 1, 3]]), name)(1)[1])


@pytest.mark.parametrize("dim,keepdim", [(1, False), ((0, 2), True), (-1, True), ((0, 1, 2), False)])
def test_logsumexp(dim: object, keepdim: bool) -> None:
    function_parity(lambda x: mt.logsumexp(x, dim, keepdim), lambda x: torch.logsumexp(x, dim, keepdim), [X * 30],
                    [True], "logsumexp")
    second_order_parity(lambda x: x.logsumexp(dim, keepdim=keepdim), lambda x: x.logsumexp(dim, keepdim=keepdim),
                        [X], "logsumexp")


def test_logsumexp_infinities_and_ints() -> None:
    for a in ([[-np.inf, -np.inf], [1.0, -np.inf]], [np.inf, np.inf, 1.0]):
        np.testing.assert_array_equal(mt.logsumexp(mt.tensor(a), -1).numpy(),
                                      torch.logsumexp(torch.tensor(a), -1).numpy())
    ours, theirs = mt.logsumexp(mt.tensor([1, 2]), 0), torch.logsumexp(torch.tensor([1, 2]), 0)
    assert ours.dtype == mt.float32
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)
