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
    ("fractional_max_pool2d_with_indices", (2, (3, 4)), (2, 3, 7, 9)),
])
@pytest.mark.parametrize("flag", [False, True])
def test_with_indices_aliases_return_values_and_indices(name: str, args: tuple, shape: tuple, flag: bool) -> None:
    x = rng.standard_normal(shape)
    samples = rng.uniform(0, 1, (2, 3, 2))

    def kw(lib, t) -> dict:  # fractional pooling's windows: the same samples on both sides, in the input's dtype
        return {"_random_samples": lib.tensor(samples).to(t.dtype)} if name.startswith("fractional") else {}

    tx, mx = torch.tensor(x), mt.tensor(x)
    tv, ti = getattr(TF, name)(tx, *args, return_indices=flag, **kw(torch, tx))
    mv, mi = getattr(F, name)(mx, *args, return_indices=flag, **kw(mt, mx))
    assert mi.dtype == mt.int64 and np.array_equal(mi.numpy(), ti.numpy())
    assert_close(mv, tv, np.float64, what=name)
    function_parity(lambda t: getattr(F, name)(t, *args, **kw(mt, t))[0],
                    lambda t: getattr(TF, name)(t, *args, **kw(torch, t))[0], [x], [True], what=name)


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


@pytest.mark.parametrize("kernel,size", [(3, (5, 6)), ((2, 3), (8, 9)), (2, (1, 1)), (3, (9, 11))])
def test_fractional_max_pool2d_matches_torch_given_the_samples(kernel, size: tuple) -> None:
    """With torch's own random samples passed in, windows, values, indices and gradients are torch's (float64 and
    float32, whose window starts torch computes in float32)."""
    x = rng.standard_normal((2, 3, 11, 13))
    samples = rng.uniform(0, 1, (2, 3, 2))

    def ours(t, s):
        return F.fractional_max_pool2d(t, kernel, output_size=size, _random_samples=s)

    def theirs(t, s):
        return TF.fractional_max_pool2d(t, kernel, output_size=size, _random_samples=s)

    function_parity(ours, theirs, [x, samples], [True, False], what=f"fractional_max_pool2d {kernel} {size}")
    for dtype in (torch.float64, torch.float32):
        ts = torch.tensor(samples, dtype=dtype)
        _, ti = TF.fractional_max_pool2d(torch.tensor(x, dtype=dtype), kernel, output_size=size, return_indices=True,
                                         _random_samples=ts)
        _, mi = F.fractional_max_pool2d(mt.tensor(x).to(mt.float64 if dtype == torch.float64 else mt.float32),
                                        kernel, output_size=size, return_indices=True,
                                        _random_samples=mt.tensor(ts.numpy()))
        assert mi.dtype == mt.int64 and np.array_equal(mi.numpy(), ti.numpy())


def test_fractional_max_pool2d_module_ratio_unbatched_and_random_draws() -> None:
    x = rng.standard_normal((3, 10, 12))
    samples = rng.uniform(0, 1, (1, 3, 2))
    ours = mt.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5), return_indices=True,
                                     _random_samples=mt.tensor(samples))
    theirs = torch.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5), return_indices=True,
                                          _random_samples=torch.tensor(samples))
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict()) == ["_random_samples"]
    (my, mi), (ty, ti) = ours(mt.tensor(x)), theirs(torch.tensor(x))
    assert_close(my, ty, np.float64)
    assert np.array_equal(mi.numpy(), ti.numpy())
    assert list(mt.nn.FractionalMaxPool2d(2, output_size=4).state_dict()) == []
    mt.manual_seed(3)
    a = F.fractional_max_pool2d(mt.tensor(x), 2, output_size=(6, 7))
    mt.manual_seed(3)
    b = F.fractional_max_pool2d(mt.tensor(x), 2, output_size=(6, 7))
    assert np.array_equal(a.numpy(), b.numpy()) and tuple(a.shape) == (3, 6, 7)
    windows_max = np.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=(1, 2)).max(axis=(-1, -2))
    assert np.all(np.isin(a.numpy(), windows_max))  # every value is the max of some 2x2 window


FRACTIONAL_BAD = [
    (lambda f, lib: f.fractional_max_pool2d(lib.zeros(2, 3, 7, 8), 3), ValueError,
     "requires specifying either an output_size or an output_ratio"),
    (lambda f, lib: f.fractional_max_pool2d(lib.zeros(2, 3, 7, 8), 3, output_size=(6, 6)), RuntimeError,
     "pool height 3 too large relative to input height 7"),
    (lambda f, lib: f.fractional_max_pool2d(lib.zeros(2, 3, 7, 8), 3, output_size=(4, 4),
                                            _random_samples=lib.zeros(2, 3, 3)), RuntimeError,
     "Expect _random_samples.size\\(2\\) equals to 2; got 3."),
    (lambda f, lib: f.fractional_max_pool2d(lib.zeros(2, 3, 7, 8), 3, output_size=(4, 4),
                                            _random_samples=lib.zeros(1, 3, 2)), RuntimeError,
     "Expect _random_samples.size\\(0\\) no less then input batch size."),
    (lambda f, lib: f.fractional_max_pool2d(lib.zeros(2, 3, 7, 8), 3, output_size=(4, 4),
                                            _random_samples=lib.zeros(2, 3, 2, dtype=lib.float64)), RuntimeError,
     "Expect _random_samples to have the same dtype as input"),
    (lambda f, lib: lib.nn.FractionalMaxPool2d(3, output_ratio=1.5), ValueError,
     "output_ratio must be between 0 and 1 \\(got 1.5\\)"),
    (lambda f, lib: lib.nn.FractionalMaxPool2d(3), ValueError, "requires specifying either an output size"),
    (lambda f, lib: lib.nn.FractionalMaxPool2d(3, output_size=2, output_ratio=0.5), ValueError,
     "only one of output_size and output_ratio may be specified"),
]


@pytest.mark.parametrize("index", range(len(FRACTIONAL_BAD)))
def test_fractional_max_pool2d_bad_input_as_torch(index: int) -> None:
    call, exc, match = FRACTIONAL_BAD[index]
    for f, lib in ((TF, torch), (F, mt)):
        with pytest.raises(exc, match=match):
            call(f, lib)


def _second_order(fn_t, fn_m, x: np.ndarray, w: np.ndarray, v: np.ndarray) -> list:
    """d/dx and d/dw of <v, d/dx <w, f(x)>> in both libraries (create_graph, then backward)."""
    grads = []
    for lib, fn in ((torch, fn_t), (mt, fn_m)):
        tx, tw = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        (g,) = lib.autograd.grad((fn(tx) * tw).sum(), tx, create_graph=True)
        (g * lib.tensor(v)).sum().backward()
        grads.append((tx.grad, tw.grad))
    return grads


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, 1.5, 3.0, float("inf")])
def test_pdist_second_order_matches_torch(p: float) -> None:
    """torch differentiates pdist's backward (PdistBackwardBackward0); so do we, repeated rows and ties included."""
    x = rng.standard_normal((5, 3))
    x[1] = x[0]
    x[2, 0] = x[3, 0]
    (tx, tw), (mx, mw) = _second_order(lambda t: torch.pdist(t, p), lambda t: mt.pdist(t, p), x,
                                       rng.standard_normal(10), rng.standard_normal((5, 3)))
    assert_close(mx, tx, np.float64, what=f"pdist p={p} d2/dx2")
    assert_close(mw, tw, np.float64, what=f"pdist p={p} d2/dxdw")
