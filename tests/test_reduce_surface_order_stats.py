"""median, nanmedian, kthvalue, mode, quantile, nanquantile against torch: values, indices (distinct values;
with ties the value only, since torch leaves the index among ties open), gradients, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _grad_parity import function_parity
from _reduce_parity import second_order_parity

import minitorch_cnn as mt

RNG = np.random.default_rng(1)
X = RNG.standard_normal((4, 5, 6))  # distinct values: every index is determined
TIES = RNG.integers(0, 3, (4, 7)).astype(np.float64)


def _same(ours: object, theirs: object) -> None:
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_median_along_dim(name: str, dim: int, keepdim: bool) -> None:
    function_parity(lambda x: getattr(mt, name)(x, dim, keepdim).values,
                    lambda x: getattr(torch, name)(x, dim, keepdim).values, [X], [True], name)
    ours, theirs = getattr(mt.tensor(X), name)(dim, keepdim), getattr(torch.tensor(X), name)(dim, keepdim)
    _same(ours.indices, theirs.indices)
    assert type(ours).__name__ == name and ours.values is ours[0]
    _same(getattr(mt, name)(mt.tensor(TIES), 1).values, getattr(torch, name)(torch.tensor(TIES), 1).values)


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_whole_tensor_shares_gradient_among_ties(name: str) -> None:
    function_parity(getattr(mt, name), getattr(torch, name), [X], [True], name)
    function_parity(getattr(mt, name), getattr(torch, name), [TIES], [True], f"{name} ties")
    second_order_parity(getattr(mt, name), getattr(torch, name), [X], name)


def test_median_and_nanmedian_with_nans() -> None:
    a = np.array([[1.0, np.nan, 3.0, np.nan, 0.5], [4.0, 2.0, 0.0, 1.0, 3.0], [np.nan, 5.0, 1.0, 2.0, 0.0]])
    for name in ("median", "nanmedian"):
        ours, theirs = getattr(mt, name)(mt.tensor(a), 1), getattr(torch, name)(torch.tensor(a), 1)
        _same(ours.values, theirs.values)
        _same(ours.indices, theirs.indices)
        _same(getattr(mt, name)(mt.tensor(a)), getattr(torch, name)(torch.tensor(a)))
        g = RNG.standard_normal(3)
        xo, xt = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        getattr(mt, name)(xo, 1).values.backward(mt.tensor(g))
        getattr(torch, name)(xt, 1).values.backward(torch.tensor(g))
        _same(xo.grad, xt.grad)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_kthvalue(k: int) -> None:
    function_parity(lambda x: mt.kthvalue(x, k, 1).values, lambda x: torch.kthvalue(x, k, 1).values, [X], [True],
                    "kthvalue")
    ours, theirs = mt.tensor(X).kthvalue(k, keepdim=True), torch.tensor(X).kthvalue(k, keepdim=True)
    _same(ours.values, theirs.values)
    _same(ours.indices, theirs.indices)
    _same(mt.kthvalue(mt.tensor(TIES), k).values, torch.kthvalue(torch.tensor(TIES), k).values)


def test_kthvalue_bad_k() -> None:
    with pytest.raises(RuntimeError, match="selected number k out of range"):
        mt.kthvalue(mt.tensor([1.0, 2.0]), 3)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_mode(dim: int) -> None:
    ours, theirs = mt.mode(mt.tensor(TIES), dim), torch.mode(torch.tensor(TIES), dim)
    _same(ours.values, theirs.values)
    _same(ours.indices, theirs.indices)
    ints = RNG.integers(0, 4, (3, 9))
    ours, theirs = mt.tensor(ints).mode(dim, keepdim=True), torch.tensor(ints).mode(dim, keepdim=True)
    _same(ours.values, theirs.values)
    _same(ours.indices, theirs.indices)
    function_parity(lambda x: mt.mode(x, dim).values, lambda x: torch.mode(x, dim).values, [TIES], [True], "mode")


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (1, False), (-1, True)])
def test_quantile(interpolation: str, dim: object, keepdim: bool) -> None:
    q = RNG.random(3)
    for name in ("quantile", "nanquantile"):
        function_parity(lambda x, n=name: getattr(mt, n)(x, mt.tensor(q, dtype=x.dtype), dim, keepdim,
                                                         interpolation=interpolation),
                        lambda x, n=name: getattr(torch, n)(x, torch.tensor(q, dtype=x.dtype), dim, keepdim,
                                                            interpolation=interpolation), [X], [True], name)
        function_parity(lambda x, n=name: getattr(x, n)(0.3, dim=dim, keepdim=keepdim, interpolation=interpolation),
                        lambda x, n=name: getattr(x, n)(0.3, dim=dim, keepdim=keepdim, interpolation=interpolation),
                        [X], [True], name)


def test_quantile_second_order_and_nans() -> None:
    second_order_parity(lambda x: mt.quantile(x, mt.tensor([0.2, 0.9], dtype=mt.float64), 1),
                        lambda x: torch.quantile(x, torch.tensor([0.2, 0.9], dtype=torch.float64), 1), [X], "quantile")
    a = np.array([[1.0, np.nan, 0.0, 2.0], [1.0, 2.0, 3.0, 4.0], [np.nan] * 4])
    for name in ("quantile", "nanquantile"):
        for q in (0.0, 0.4, 1.0):
            _same(getattr(mt, name)(mt.tensor(a), q, 1), getattr(torch, name)(torch.tensor(a), q, 1))


@pytest.mark.parametrize("q,kw,match", [
    (1.5, {}, r"q must be in the range \[0, 1\] but got 1.5"),
    (mt.tensor([[0.5]]), {}, "q must be a scalar or 1D tensor"),
    (mt.tensor([0.5], dtype=mt.float64), {}, "q tensor must be same dtype as the input tensor"),
    (0.5, {"interpolation": "foo"}, "interpolation must be one of linear"),
])
def test_quantile_bad_input(q: object, kw: dict, match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        mt.quantile(mt.tensor([1.0, 2.0]), q, **kw)
    with pytest.raises(RuntimeError, match="input tensor must be either float or double dtype"):
        mt.quantile(mt.tensor([1, 2]), 0.5)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.sort(descending=True).values, lambda lib, x: lib.msort(x), lambda lib, x: x.median(),
    lambda lib, x: x.median(0).values, lambda lib, x: x.nanmedian(), lambda lib, x: x.nanmedian(0).values,
    lambda lib, x: x.kthvalue(2).values, lambda lib, x: x.mode().values, lambda lib, x: x.cummax(0).values,
    lambda lib, x: x.cummin(0).values, lambda lib, x: x.cumsum(0), lambda lib, x: x.cumprod(0),
    lambda lib, x: x.logcumsumexp(0), lambda lib, x: x.logsumexp(0),
])
def test_graph_node_names_are_torchs(call: object) -> None:
    a = RNG.standard_normal(5)
    ours, theirs = call(mt, mt.tensor(a, requires_grad=True)), call(torch, torch.tensor(a, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("call,kernel", [
    (lambda lib: lib.median(lib.tensor([True, False])), "median_cpu"),
    (lambda lib: lib.nanmedian(lib.tensor([True, False])), "median_cpu"),
    (lambda lib: lib.median(lib.tensor([True, False]), 0), "median_out"),
    (lambda lib: lib.kthvalue(lib.tensor([True, False]), 1), "kthvalue_cpu"),
])
def test_bool_inputs_refused_as_torch(call: object, kernel: str) -> None:
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Bool\''):
        call(torch)
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Bool\''):
        call(mt)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.sort(1, descending=True).values * x.sort(1).values,
    lambda lib, x: lib.median(x, 0).values ** 2, lambda lib, x: lib.kthvalue(x, 2, 1, True).values ** 2,
    lambda lib, x: lib.mode(x, 1).values ** 2, lambda lib, x: lib.cummax(x, 1).values ** 2,
    lambda lib, x: lib.cummin(x, 0).values ** 2, lambda lib, x: lib.median(x) ** 2,
])
def test_picking_ops_second_order(call: object) -> None:
    a = X[0]
    second_order_parity(lambda x: call(mt, x), lambda x: call(torch, x), [a], "second order")
