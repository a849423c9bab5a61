"""nansum, nanmean, var_mean, std_mean, aminmax, count_nonzero, histc, histogram, cov, corrcoef against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _grad_parity import function_parity
from _reduce_parity import second_order_parity

import minitorch_cnn as mt

RNG = np.random.default_rng(2)
X = RNG.standard_normal((4, 6))
WITH_NAN = np.where(RNG.random((4, 6)) < 0.3, np.nan, X)


def _same(ours: object, theirs: object) -> None:
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, True), ((0, 1), False), (-1, False)])
def test_nansum_nanmean(name: str, dim: object, keepdim: bool) -> None:
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    function_parity(lambda x: getattr(mt, name)(x, **kw), lambda x: getattr(torch, name)(x, **kw), [WITH_NAN],
                    [True], name)
    function_parity(lambda x: getattr(x, name)(**kw), lambda x: getattr(x, name)(**kw), [X], [True], name)


def test_nansum_nanmean_dtypes_and_errors() -> None:
    _same(mt.nansum(mt.tensor([1, 2], dtype=mt.int32)), torch.nansum(torch.tensor([1, 2], dtype=torch.int32)))
    _same(mt.nanmean(mt.tensor([[np.nan, np.nan], [1.0, 2.0]]), 1), torch.nanmean(torch.tensor([[np.nan, np.nan],
                                                                                               [1.0, 2.0]]), 1))
    with pytest.raises(RuntimeError, match="expected input to have floating point"):
        mt.nanmean(mt.tensor([1, 2]))


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("args,kw", [((), {}), ((1,), {"keepdim": True}), ((0, False), {}), ((), {"correction": 0}),
                                     (((0, 1),), {"correction": 2}), ((False,), {})])
def test_var_mean_std_mean(name: str, args: tuple, kw: dict) -> None:
    for i in (0, 1):
        function_parity(lambda x, i=i: getattr(mt, name)(x, *args, **kw)[i],
                        lambda x, i=i: getattr(torch, name)(x, *args, **kw)[i], [X], [True], f"{name}[{i}]")
    ours, theirs = getattr(mt, name)(mt.tensor(X), *args, **kw), getattr(torch, name)(torch.tensor(X), *args, **kw)
    assert isinstance(ours, tuple) and len(ours) == 2 == len(theirs)
    function_parity(lambda x: sum(p * (j + 1.5) for j, p in enumerate(getattr(mt, name)(x, *args, **kw))),
                    lambda x: sum(p * (j + 1.5) for j, p in enumerate(getattr(torch, name)(x, *args, **kw))), [X],
                    [True], f"{name} both outputs")


@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True)])
def test_aminmax(dim: object, keepdim: bool) -> None:
    ties = RNG.integers(0, 3, (4, 6)).astype(np.float64)
    for i in (0, 1):
        for a in (X, ties):
            function_parity(lambda x, i=i: mt.aminmax(x, dim=dim, keepdim=keepdim)[i],
                            lambda x, i=i: torch.aminmax(x, dim=dim, keepdim=keepdim)[i], [a], [True], "aminmax")
    ours = mt.tensor(X).aminmax(dim=dim, keepdim=keepdim)
    theirs = torch.tensor(X).aminmax(dim=dim, keepdim=keepdim)
    _same(ours.min, theirs.min)
    _same(ours.max, theirs.max)
    with pytest.raises(RuntimeError, match="cannot compute aminmax over an empty dimension"):
        mt.aminmax(mt.tensor([]))


@pytest.mark.parametrize("dim", [None, 0, (0, 1), -1])
def test_count_nonzero(dim: object) -> None:
    a = RNG.integers(0, 2, (3, 5)) * RNG.standard_normal((3, 5))
    _same(mt.count_nonzero(mt.tensor(a), dim), torch.count_nonzero(torch.tensor(a), dim))
    _same(mt.tensor(a > 0).count_nonzero(dim), torch.tensor(a > 0).count_nonzero(dim))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bins,lo,hi", [(10, 0.0, 0.0), (7, -1.0, 1.5), (4, 2.0, 2.0), (3, 0.0, 1.0)])
def test_histc(dtype: type, bins: int, lo: float, hi: float) -> None:
    a = np.concatenate([RNG.standard_normal(200), [0.0, 1.0, -1.0, 1.5] + ([np.nan] if lo != hi else [])])
    a = a.astype(dtype)
    _same(mt.histc(mt.tensor(a), bins, lo, hi), torch.histc(torch.tensor(a), bins, lo, hi))
    _same(mt.tensor(a).histc(bins=bins, min=lo, max=hi), torch.tensor(a).histc(bins=bins, min=lo, max=hi))
    _same(mt.histc(mt.tensor([2.0, 2.0]), 3), torch.histc(torch.tensor([2.0, 2.0]), 3))


def test_histc_bad_input() -> None:
    with pytest.raises(RuntimeError, match="max must be larger than min"):
        mt.histc(mt.tensor([1.0, 2.0]), 3, min=3, max=1)
    with pytest.raises(RuntimeError, match=r"range of \[nan, nan\] is not finite"):
        mt.histc(mt.tensor([1.0, np.nan]), 3)
    with pytest.raises(NotImplementedError, match="not implemented for 'int64'"):
        mt.histc(mt.tensor([1, 2]), 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [{}, {"range": (-1.0, 2.0)}, {"density": True}, {"weight": True}])
def test_histogram(dtype: type, kw: dict) -> None:
    a = RNG.standard_normal(300).astype(dtype)
    w = RNG.random(300).astype(dtype)
    kw_o = {k: (mt.tensor(w) if k == "weight" else v) for k, v in kw.items()}
    kw_t = {k: (torch.tensor(w) if k == "weight" else v) for k, v in kw.items()}
    edges = np.array([-2, -0.5, 0, 0.3, 3], dtype=dtype)
    for bins_o, bins_t in ((9, 9),) + (((mt.tensor(edges), torch.tensor(edges)),) if "range" not in kw else ()):
        ours, theirs = mt.histogram(mt.tensor(a), bins_o, **kw_o), torch.histogram(torch.tensor(a), bins_t, **kw_t)
        _same(ours.bin_edges, theirs.bin_edges)
        np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-6 if dtype == np.float32 else 1e-12)
        assert ours.hist.dtype == getattr(mt, str(theirs.hist.dtype).split(".")[-1])
    hist, bin_edges = mt.tensor(a).histogram(5)
    _same(bin_edges, torch.histogram(torch.tensor(a), 5).bin_edges)
    with pytest.raises(TypeError, match="range"):
        mt.histogram(mt.tensor(a), mt.tensor(edges), range=(0.0, 1.0))


@pytest.mark.parametrize("kw", [{}, {"correction": 0}, {"correction": 3}, {"fweights": True}, {"aweights": True},
                                {"fweights": True, "aweights": True, "correction": 2}])
def test_cov(kw: dict) -> None:
    fw, aw = RNG.integers(1, 4, 6), RNG.random(6)

    def call(lib: object, x: object) -> object:
        args = {k: v for k, v in kw.items() if k == "correction"}
        if "fweights" in kw:
            args["fweights"] = lib.tensor(fw)
        if "aweights" in kw:
            args["aweights"] = lib.tensor(aw, dtype=x.dtype)
        return lib.cov(x, **args)

    function_parity(lambda x: call(mt, x), lambda x: call(torch, x), [X], [True], "cov")
    function_parity(lambda x: call(mt, x), lambda x: call(torch, x), [X[0]], [True], "cov 1-D")
    second_order_parity(lambda x: call(mt, x), lambda x: call(torch, x), [X], "cov")


def test_corrcoef() -> None:
    function_parity(mt.corrcoef, torch.corrcoef, [X], [True], "corrcoef")
    _same(mt.tensor(X[:1]).corrcoef(), torch.tensor(X[:1]).corrcoef())  # c / c: its gradient is rounding noise
    ints = [[1, 2, 4], [2, 4, 9]]  # integer input: float32 result
    assert mt.corrcoef(mt.tensor(ints)).dtype == mt.float32
    np.testing.assert_allclose(mt.corrcoef(mt.tensor(ints)).numpy(), torch.corrcoef(torch.tensor(ints)).numpy(),
                               rtol=1e-6)


def test_cov_bad_input() -> None:
    with pytest.raises(RuntimeError, match="expected input to have two or fewer dimensions"):
        mt.cov(mt.zeros(2, 2, 2))
    with pytest.raises(RuntimeError, match="fweights cannot be negative"):
        mt.cov(mt.tensor(X), fweights=mt.tensor([1, -1, 1, 1, 1, 1]))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        mt.cov(mt.tensor(X), correction=6)


def test_var_mean_std_mean_refuse_integers() -> None:
    for name in ("var_mean", "std_mean"):
        with pytest.raises(RuntimeError, match=f"{name} only support floating point and complex dtypes"):
            getattr(mt, name)(mt.tensor([1, 2]))
