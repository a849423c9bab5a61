"""trace, cross/linalg.cross, kron, outer/ger, inner, tensordot, cartesian_prod, combinations, dist, renorm, diff,
trapezoid/trapz, cumulative_trapezoid against torch: forward, gradients with random upstream, second order."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _grad_parity import function_parity
from _reduce_parity import second_order_parity

import minitorch_cnn as mt

RNG = np.random.default_rng(3)
A, B = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))


def _same(ours: object, theirs: object) -> None:
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _both(fn_name: str) -> tuple:
    """The function of that name in both libraries (dotted names such as ``linalg.cross`` allowed)."""
    def get(lib: object) -> object:
        for part in fn_name.split("."):
            lib = getattr(lib, part)
        return lib
    return get(mt), get(torch)


@pytest.mark.parametrize("name,arrays,kw", [
    ("trace", [RNG.standard_normal((3, 5))], {}),
    ("linalg.cross", [A, B], {}),
    ("linalg.cross", [RNG.standard_normal((3, 1, 5)), RNG.standard_normal((3, 4, 5))], {"dim": 0}),
    ("cross", [A, B], {"dim": 1}),
    ("kron", [RNG.standard_normal((2, 3)), RNG.standard_normal((4, 2, 2))], {}),
    ("outer", [RNG.standard_normal(3), RNG.standard_normal(4)], {}),
    ("ger", [RNG.standard_normal(3), RNG.standard_normal(4)], {}),
    ("inner", [RNG.standard_normal((2, 5)), RNG.standard_normal((3, 4, 5))], {}),
    ("inner", [RNG.standard_normal(()), RNG.standard_normal((3, 4))], {}),
    ("tensordot", [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((3, 4, 5))], {}),
    ("tensordot", [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 5, 2))], {"dims": ([0, 2], [2, 0])}),
    ("tensordot", [RNG.standard_normal((2, 3)), RNG.standard_normal((4, 5))], {"dims": 0}),
    ("cartesian_prod", [RNG.standard_normal(3), RNG.standard_normal(2), RNG.standard_normal(2)], {}),
    ("combinations", [RNG.standard_normal(5)], {}),
    ("combinations", [RNG.standard_normal(4)], {"r": 3, "with_replacement": True}),
    ("dist", [A, B], {}),
    ("dist", [A, B[0]], {"p": 1}),
    ("dist", [A, B], {"p": 3.5}),
    ("dist", [A, B], {"p": float("inf")}),
    ("renorm", [RNG.standard_normal((4, 5)) * 3], {"p": 2, "dim": 0, "maxnorm": 4.0}),
    ("renorm", [RNG.standard_normal((3, 4, 2)) * 3], {"p": 1, "dim": 1, "maxnorm": 3.0}),
    ("diff", [RNG.standard_normal((3, 6))], {}),
    ("diff", [RNG.standard_normal((3, 6))], {"n": 3, "dim": 0}),
    ("trapezoid", [RNG.standard_normal((3, 6))], {}),
    ("trapezoid", [RNG.standard_normal((3, 6)), np.sort(RNG.standard_normal(6))], {}),
    ("trapezoid", [RNG.standard_normal((3, 6)), RNG.standard_normal((3, 6))], {"dim": 1}),
    ("trapezoid", [RNG.standard_normal((4, 3))], {"dx": 0.5, "dim": 0}),
    ("trapz", [RNG.standard_normal((3, 6)), np.sort(RNG.standard_normal(6))], {}),
    ("cumulative_trapezoid", [RNG.standard_normal((3, 6))], {}),
    ("cumulative_trapezoid", [RNG.standard_normal((3, 6)), np.sort(RNG.standard_normal(6))], {}),
    ("cumulative_trapezoid", [RNG.standard_normal((4, 3))], {"dx": 2.0, "dim": 0}),
])
def test_products_forward_gradient_second_order(name: str, arrays: list, kw: dict) -> None:
    ours, theirs = _both(name)
    grads = [True] * len(arrays)
    function_parity(lambda *ts: ours(*ts, **kw), lambda *ts: theirs(*ts, **kw), arrays, grads, name)
    second_order_parity(lambda *ts: ours(*ts, **kw), lambda *ts: theirs(*ts, **kw), arrays, name)


def test_diff_prepend_append() -> None:
    arrays = [RNG.standard_normal((3, 6)), RNG.standard_normal((3, 2)), RNG.standard_normal((3, 1))]
    function_parity(lambda y, p, a: mt.diff(y, 2, prepend=p, append=a),
                    lambda y, p, a: torch.diff(y, 2, prepend=p, append=a), arrays, [True] * 3, "diff prepend/append")
    second_order_parity(lambda y, p, a: mt.diff(y, 2, prepend=p, append=a),
                        lambda y, p, a: torch.diff(y, 2, prepend=p, append=a), arrays, "diff prepend/append")


def test_methods_and_inplace_renorm() -> None:
    a, b = mt.tensor(A), torch.tensor(A)
    for name, args in (("trace", ()), ("diff", ()), ("kron", (A,)), ("inner", (B,)), ("dist", (B,)),
                       ("cross", (B,)), ("renorm", (2, 0, 1.0))):
        with warnings.catch_warnings():  # cross without dim: tested below
            warnings.simplefilter("ignore")
            ours = getattr(a, name)(*(mt.tensor(x) if isinstance(x, np.ndarray) else x for x in args))
            theirs = getattr(b, name)(*(torch.tensor(x) if isinstance(x, np.ndarray) else x for x in args))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mt.tensor(A[:, 0]).outer(mt.tensor(B[0])).numpy(),
                               torch.tensor(A[:, 0]).ger(torch.tensor(B[0])).numpy(), rtol=1e-12)
    assert a.renorm_(2, 0, 1.0) is a
    b.renorm_(2, 0, 1.0)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_integer_and_bool_results() -> None:
    ints = RNG.integers(-3, 4, (3, 3))
    _same(mt.trace(mt.tensor(ints, dtype=mt.int32)), torch.trace(torch.tensor(ints, dtype=torch.int32)))
    _same(mt.kron(mt.tensor(ints), mt.tensor(ints)), torch.kron(torch.tensor(ints), torch.tensor(ints)))
    _same(mt.tensordot(mt.tensor(ints), mt.tensor(ints), 1), torch.tensordot(torch.tensor(ints), torch.tensor(ints), 1))
    _same(mt.combinations(mt.tensor([1, 2, 3]), r=0), torch.combinations(torch.tensor([1, 2, 3]), r=0))
    _same(mt.combinations(mt.tensor([1, 2, 3]), r=4), torch.combinations(torch.tensor([1, 2, 3]), r=4))
    _same(mt.cartesian_prod(mt.tensor([1, 2])), torch.cartesian_prod(torch.tensor([1, 2])))
    _same(mt.diff(mt.tensor([True, False, False, True])), torch.diff(torch.tensor([True, False, False, True])))
    _same(mt.diff(mt.tensor(ints), n=2, dim=0), torch.diff(torch.tensor(ints), n=2, dim=0))
    _same(mt.trapezoid(mt.tensor([1, 2, 4])), torch.trapezoid(torch.tensor([1, 2, 4])))
    _same(mt.trapezoid(mt.ones(3, 0)), torch.trapezoid(torch.ones(3, 0)))


def test_cross_without_dim_warns_and_takes_first_size_3() -> None:
    a = RNG.standard_normal((3, 3))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        ours = mt.cross(mt.tensor(a), mt.tensor(a[::-1].copy()))
    with warnings.catch_warnings():  # torch warns once per process
        warnings.simplefilter("ignore")
        theirs = torch.cross(torch.tensor(a), torch.tensor(a[::-1].copy()))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: mt.trace(mt.ones(2, 2, 2)), RuntimeError, "trace: expected a matrix, but got tensor with dim 3"),
    (lambda: mt.linalg.cross(mt.ones(2), mt.ones(2)), RuntimeError, "dimension -1 must have length 3. Got 2 and 2"),
    (lambda: mt.outer(mt.ones(2, 2), mt.ones(2)), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: mt.inner(mt.ones(2, 3), mt.ones(2)), RuntimeError, "the last dimension must match on both input"),
    (lambda: mt.tensordot(mt.ones(2, 3), mt.ones(4, 3), dims=([1], [0])), RuntimeError,
     "contracted dimensions need to match, but first has size 3 in dim 1 and second has size 4 in dim 0"),
    (lambda: mt.combinations(mt.ones(2, 2)), RuntimeError, r"Expect a 1D vector, but got shape \[2, 2\]"),
    (lambda: mt.renorm(mt.ones(2, 2), 0, 0, 1), RuntimeError, "renorm: non-positive-norm not supported"),
    (lambda: mt.renorm(mt.ones(2, 2), 2, 0, -1), RuntimeError, "expected maxnorm to be >= 0 but got -1"),
    (lambda: mt.diff(mt.ones(2, 2), n=-1), RuntimeError, "order must be non-negative but got -1"),
    (lambda: mt.diff(mt.tensor(1.0)), RuntimeError, "diff expects input to be at least one-dimensional"),
    (lambda: mt.diff(mt.ones(3), prepend=mt.ones(2, 2)), RuntimeError, "prepend or append to be the same dimension"),
    (lambda: mt.trapezoid(mt.ones(3, 4), mt.arange(5.0)), RuntimeError, "There must be one `x` value for each"),
    (lambda: mt.trapezoid(mt.ones(3), 2.0), TypeError, "takes either"),
    (lambda: mt.inner(mt.tensor([1, 2]), mt.tensor([1.0, 2.0])), RuntimeError, "both inputs should have same dtype"),
    (lambda: mt.trace(mt.tensor([[True]])), NotImplementedError, "\"trace\" not implemented for 'Bool'"),
    (lambda: mt.cumulative_trapezoid(mt.ones(3), mt.ones(3), dx=1.0), TypeError, "takes either"),
])
def test_bad_input(call: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("name,args", [
    ("cumsum", (A, 1)), ("cumprod", (A, 0)), ("logcumsumexp", (A, 1)), ("logsumexp", (A, 1)), ("nansum", (A,)),
    ("nanmean", (A, 0)), ("diff", (A,)), ("kron", (A, B)), ("outer", (A[0], B[0])), ("inner", (A, B)),
    ("tensordot", (A, B.T.copy(), 1)), ("linalg.cross", (A, B)), ("renorm", (A, 2, 0, 1.0)), ("msort", (A,)),
    ("quantile", (A, 0.3, 1)), ("histc", (A.ravel(), 5)),
    ("searchsorted", (np.sort(A[0]), B[0])), ("bucketize", (B[0], np.sort(A[0]))),
])
def test_out_argument(name: str, args: tuple) -> None:
    ours_fn, theirs_fn = _both(name)
    conv = lambda lib, a: lib.tensor(a) if isinstance(a, np.ndarray) else a  # noqa: E731
    theirs = theirs_fn(*(conv(torch, a) for a in args))
    out = mt.empty(0, dtype=getattr(mt, str(theirs.dtype).split(".")[-1]))
    assert ours_fn(*(conv(mt, a) for a in args), out=out) is out
    np.testing.assert_allclose(out.numpy(), theirs.numpy(), rtol=1e-12)
