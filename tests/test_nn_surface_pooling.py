"""LPPool1d / F.lp_pool1d, MaxUnpool1d / F.max_unpool1d, the *_with_indices max poolings, the deprecated
F.upsample / upsample_nearest / upsample_bilinear, and F.pdist against torch: float64 exact and float32 against the
float64 truth (values and gradients under a random upstream gradient), reprs, warnings, bad input."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _grad_parity import function_parity  # noqa: E402
from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as F  # noqa: E402

TF = torch.nn.functional
rng = np.random.default_rng(0)


@pytest.mark.parametrize("p,k,stride,ceil", [(2, 3, None, False), (3.0, 2, 1, False), (1.5, 3, 2, True),
                                             (float("inf"), 3, 2, False), (-float("inf"), 2, None, False)])
def test_lp_pool1d_matches_torch(p: float, k: int, stride, ceil: bool) -> None:
    x = rng.uniform(0.2, 2.0, (2, 3, 9))
    if p == 2 or np.isinf(p):  # signs matter only where x^p is defined for negatives and even (or ±∞)
        x = x * rng.choice([1, -1], x.shape)
    function_parity(lambda t: F.lp_pool1d(t, p, k, stride, ceil), lambda t: TF.lp_pool1d(t, p, k, stride, ceil),
                    [x], [True], what=f"lp_pool1d p={p}")


def test_lp_pool1d_module_and_errors() -> None:
    x = rng.uniform(0.5, 1.5, (3, 8))
    for kw in (dict(norm_type=2, kernel_size=3), dict(norm_type=1.5, kernel_size=2, stride=1, ceil_mode=True)):
        ours, theirs = mt.nn.LPPool1d(**kw), torch.nn.LPPool1d(**kw)
        assert repr(ours) == repr(theirs) and list(ours.state_dict()) == []
        assert_close(ours(mt.tensor(x)), theirs(torch.tensor(x)), np.float64)
    for f, lib in ((TF, torch), (F, mt)):
        with pytest.raises(ValueError, match="norm_type must be a non-zero value, but got 0"):
            f.lp_pool1d(lib.ones(2, 4), 0, 2)


@pytest.mark.parametrize("k,stride,padding,batched", [(2, None, 0, True), (3, 2, 1, True), (2, 1, 0, False)])
def test_max_unpool1d_matches_torch(k: int, stride, padding: int, batched: bool) -> None:
    x = rng.standard_normal((2, 3, 10) if batched else (3, 10))
    _, idx = TF.max_pool1d(torch.tensor(x), k, stride, padding, return_indices=True)
    pooled = rng.standard_normal(tuple(idx.shape))
    size = [x.shape[-1]]  # the pooled length's own default can fall short of the indices (as torch says)
    function_parity(lambda a, i: F.max_unpool1d(a, i, k, stride, padding, size),
                    lambda a, i: TF.max_unpool1d(a, i, k, stride, padding, size), [pooled, idx.numpy()], [True, False],
                    what=f"max_unpool1d k={k} s={stride}")


def test_max_unpool1d_output_size_module_and_round_trip() -> None:
    x = rng.standard_normal((2, 3, 9))
    y, idx = F.max_pool1d(mt.tensor(x), 2, return_indices=True)
    ty, tidx = TF.max_pool1d(torch.tensor(x), 2, return_indices=True)
    assert np.array_equal(idx.numpy(), tidx.numpy())
    ours, theirs = mt.nn.MaxUnpool1d(2), torch.nn.MaxUnpool1d(2)
    assert repr(ours) == repr(theirs) and repr(mt.nn.MaxUnpool1d(3, 2, 1)) == repr(torch.nn.MaxUnpool1d(3, 2, 1))
    for size in (None, [9], (2, 3, 9)):
        assert_close(ours(y, idx, output_size=size), theirs(ty, tidx, output_size=size), np.float64)
    for f, lib in ((TF, torch), (F, mt)):
        with pytest.raises(ValueError, match=r"invalid output_size \"\[20\]\" \(dim 0 must be between 6 and 10\)"):
            f.max_unpool1d(lib.zeros(2, 3, 4), lib.zeros(2, 3, 4, dtype=lib.int64), 2, output_size=[20])


@pytest.mark.parametrize("name,args,shape", [
    ("max_pool2d_with_indices", (3, 2, 1), (2, 3, 7, 7)), ("max_pool1d_with_indices", (2,), (2, 3, 8)),
    ("adaptive_max_pool2d_with_indices", ((3, 2),), (2, 3, 7, 5)), ("adaptive_max_pool1d_with_indices", (3,), (3, 8)),
])
@pytest.mark.parametrize("flag", [False, True])
def test_with_indices_aliases_return_values_and_indices(name: str, args: tuple, shape: tuple, flag: bool) -> None:
    x = rng.standard_normal(shape)
    tv, ti = getattr(TF, name)(torch.tensor(x), *args, return_indices=flag)
    mv, mi = getattr(F, name)(mt.tensor(x), *args, return_indices=flag)
    assert mi.dtype == mt.int64 and np.array_equal(mi.numpy(), ti.numpy())
    assert_close(mv, tv, np.float64, what=name)
    function_parity(lambda t: getattr(F, name)(t, *args)[0], lambda t: getattr(TF, name)(t, *args)[0], [x], [True],
                    what=name)


@pytest.mark.parametrize("name,kw,shape", [
    ("upsample", dict(scale_factor=2), (1, 2, 3, 4)),
    ("upsample", dict(size=(5, 7), mode="bilinear", align_corners=False), (1, 2, 3, 4)),
    ("upsample", dict(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    ("upsample", dict(size=9, mode="linear"), (2, 3, 4)),
    ("upsample_nearest", dict(size=(6, 5)), (2, 1, 3, 4)),
    ("upsample_bilinear", dict(scale_factor=2), (2, 1, 3, 4)),
    ("upsample_bilinear", dict(size=(4, 9)), (2, 1, 3, 4)),
])
def test_upsample_aliases_match_torch_and_warn(name: str, kw: dict, shape: tuple) -> None:
    x = rng.standard_normal(shape)
    with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
        getattr(F, name)(mt.tensor(x), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        function_parity(lambda t: getattr(F, name)(t, **kw), lambda t: getattr(TF, name)(t, **kw), [x], [True],
                        what=f"{name} {kw}")


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 1.5, 3.0, float("inf"), 0.0])
def test_pdist_matches_torch(p: float) -> None:
    x = rng.standard_normal((6, 4))
    function_parity(lambda t: F.pdist(t, p), lambda t: TF.pdist(t, p), [x], [True], what=f"pdist p={p}")


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 3.0, float("inf")])
def test_pdist_repeated_rows_and_ties_as_torch(p: float) -> None:
    """Zero distances (the gradient torch defines there: 0) and ties in the ∞-norm (each tied element gets it)."""
    x = np.array([[1.0, 2.0, 0.0], [1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [1.0, 3.0, 0.0]])
    g = rng.standard_normal(6)
    tx, mx = torch.tensor(x, requires_grad=True), mt.tensor(x, requires_grad=True)
    TF.pdist(tx, p).backward(torch.tensor(g))
    F.pdist(mx, p).backward(mt.tensor(g))
    assert_close(mx.grad, tx.grad, np.float64, what=f"pdist p={p} ties")
    assert F.pdist(mt.tensor(x, requires_grad=True), p).grad_fn.name() == "PdistBackward0"


def test_pdist_edges_and_errors_as_torch() -> None:
    assert tuple(F.pdist(mt.zeros(1, 3)).shape) == tuple(TF.pdist(torch.zeros(1, 3)).shape) == (0,)
    bad = [(lambda f, lib: f.pdist(lib.zeros(2, 3, 4)), "pdist only supports 2D tensors, got: 3D"),
           (lambda f, lib: f.pdist(lib.zeros(3, 4), p=-1), "pdist only supports non-negative p values"),
           (lambda f, lib: f.pdist(lib.zeros(3, 4, dtype=lib.int64)), "pdist only supports floating-point dtypes")]
    for call, match in bad:
        for f, lib in ((TF, torch), (F, mt)):
            with pytest.raises(RuntimeError, match=match):
                call(f, lib)
