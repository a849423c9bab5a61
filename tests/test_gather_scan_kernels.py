"""gather, scatter_add and cumsum on their fast paths: gather and the scatter-adds (gather's gradient, scatter_add's
forward) as compiled loops along dim in np.add.at's order, or at flat offsets where the index is smaller than x in
another dim (take; add.at's order again), cumsum as a compiled running sum. Bit for
bit the previous NumPy results (np.add.at with the multi-axis index, np.cumsum, flip-cumsum-flip) on both kernel
paths, float64 against torch to 1e-10, gradients with a random upstream gradient, second order, torch's errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt
from minitorch_cnn.kernels.choice import use_kernels

PATHS = ["numba", "numpy"]


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
                and np.array_equal(np.signbit(a), np.signbit(b)))


def _places(index: np.ndarray, dim: int) -> tuple:
    """The multi-axis index the ops used before (every position's coordinates, dim's from index)."""
    nd = index.ndim
    grids = [np.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1)) for i, n in enumerate(index.shape)]
    grids[dim] = index
    return tuple(grids)


# the first three: index of x's size in the other dims (the loops along dim); the rest: smaller (flat offsets)
CASES = [((40, 9), (40, 30), 1), ((4, 5, 6), (4, 9, 6), 1), ((7, 3, 2), (11, 3, 2), 0),
         ((6, 5, 7), (4, 12, 7), 1), ((3, 4, 50), (3, 4, 9), 0), ((5, 6, 3), (2, 3, 3), -1)]


def _case(shape: tuple, ishape: tuple, dim: int, dtype: type, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    d = dim % len(shape)
    idx = rng.integers(0, shape[d], ishape).astype(np.int64)  # many repeats along d
    x = rng.standard_normal(shape).astype(dtype)
    return x, idx, rng.standard_normal(ishape).astype(dtype), d


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "ishape", "dim"), CASES)
def test_gather_and_its_gradient_bit_for_bit(shape: tuple, ishape: tuple, dim: int, dtype: type, path: str) -> None:
    d = dim % len(shape)
    ishape = tuple(min(n, m) if i != d else n for i, (n, m) in enumerate(zip(ishape, shape)))
    x, idx, g, d = _case(shape, ishape, dim, dtype)
    g[..., 0] = -0.0
    xt = mt.tensor(x, requires_grad=True)
    with use_kernels(path):
        y = mt.gather(xt, dim, mt.tensor(idx))
        y.backward(mt.tensor(g))
    assert _bits_equal(y.detach().numpy(), x[_places(idx, d)])
    want = np.zeros_like(x)
    np.add.at(want, _places(idx, d), g)
    assert _bits_equal(xt.grad.numpy(), want)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "ishape", "dim"), CASES)
def test_scatter_add_bit_for_bit(shape: tuple, ishape: tuple, dim: int, dtype: type, path: str) -> None:
    d = dim % len(shape)
    ishape = tuple(min(n, m) if i != d else n for i, (n, m) in enumerate(zip(ishape, shape)))
    x, idx, src, d = _case(shape, ishape, dim, dtype, seed=1)
    with use_kernels(path):
        out = mt.scatter_add(mt.tensor(x), dim, mt.tensor(idx), mt.tensor(src))
    want = x.copy()
    np.add.at(want, _places(idx, d), src)
    assert _bits_equal(out.numpy(), want)


@pytest.mark.parametrize(("shape", "ishape", "dim"), CASES)
def test_gather_scatter_add_float64_against_torch(shape: tuple, ishape: tuple, dim: int) -> None:
    d = dim % len(shape)
    ishape = tuple(min(n, m) if i != d else n for i, (n, m) in enumerate(zip(ishape, shape)))
    x, idx, src, d = _case(shape, ishape, dim, np.float64, seed=2)
    rng = np.random.default_rng(3)
    g_out = rng.standard_normal(shape)
    ours_x, ours_s = mt.tensor(x, requires_grad=True), mt.tensor(src, requires_grad=True)
    ref_x, ref_s = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    y = mt.scatter_add(ours_x, dim, mt.tensor(idx), ours_s)
    yt = torch.scatter_add(ref_x, dim, torch.tensor(idx), ref_s)
    assert y.grad_fn.name() == yt.grad_fn.name()
    assert_close(y, yt, np.float64)
    y.backward(mt.tensor(g_out))
    yt.backward(torch.tensor(g_out))
    assert_close(ours_x.grad, ref_x.grad, np.float64)
    assert_close(ours_s.grad, ref_s.grad, np.float64)
    gx, ggx = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    z, zt = mt.gather(gx, dim, mt.tensor(idx)), torch.gather(ggx, dim, torch.tensor(idx))
    assert z.grad_fn.name() == zt.grad_fn.name()
    gz = rng.standard_normal(z.shape)
    z.backward(mt.tensor(gz))
    zt.backward(torch.tensor(gz))
    assert_close(z, zt, np.float64)
    assert_close(gx.grad, ggx.grad, np.float64)


def test_non_contiguous_inputs() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 12))
    idx = rng.integers(0, 9, (5, 9))
    src = rng.standard_normal((9, 7))
    ours = mt.tensor(x, requires_grad=True)
    ref = torch.tensor(x, requires_grad=True)
    y = mt.gather(ours.t(), 1, mt.tensor(idx))
    yt = torch.gather(ref.t(), 1, torch.tensor(idx))
    g = rng.standard_normal(idx.shape)
    y.backward(mt.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(y, yt, np.float64)
    assert_close(ours.grad, ref.grad, np.float64)
    s = mt.scatter_add(mt.tensor(x).t(), 1, mt.tensor(idx), mt.tensor(src).t())
    st = torch.scatter_add(torch.tensor(x).t(), 1, torch.tensor(idx), torch.tensor(src).t())
    assert_close(s, st, np.float64)


def test_second_order_through_gather_and_scatter_add() -> None:
    rng = np.random.default_rng(5)
    x, src = rng.standard_normal((4, 6)), rng.standard_normal((4, 3))
    idx = rng.integers(0, 6, (4, 3))
    g = rng.standard_normal((4, 6))
    results = []
    for lib in (mt, torch):
        a, s = lib.tensor(x, requires_grad=True), lib.tensor(src, requires_grad=True)
        y = lib.scatter_add(a * a, 1, lib.tensor(idx), s * s)
        y = lib.gather(y * y, 1, lib.tensor(idx))
        ga, gs = lib.autograd.grad(y, (a, s), lib.tensor(g[:, :3]), create_graph=True)
        gga, ggs = lib.autograd.grad((ga * ga).sum() + (gs * gs).sum(), (a, s))
        results.append((ga, gs, gga, ggs))
    for ours, ref in zip(*results):
        assert_close(ours, ref, np.float64)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "dim"), [((7, 33), -1), ((4, 5, 6), 1), ((4, 5, 6), 0), ((1, 1), 0), ((9,), 0)])
def test_cumsum_and_its_gradient_bit_for_bit(shape: tuple, dim: int, dtype: type, path: str) -> None:
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[0], g.reshape(-1)[-1] = -0.0, -0.0  # a signed zero first stays, as NumPy's
    if x.size > 3:
        x.reshape(-1)[2], x.reshape(-1)[3] = np.inf, np.nan
    xt = mt.tensor(x, requires_grad=True)
    with use_kernels(path):
        y = mt.cumsum(xt, dim)
        y.backward(mt.tensor(g))
    assert _bits_equal(y.detach().numpy(), np.cumsum(x, dim))
    assert _bits_equal(xt.grad.numpy(), np.flip(np.cumsum(np.flip(g, dim), dim), dim))


def test_cumsum_non_contiguous_and_float64_against_torch() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((10, 13, 3))
    g = rng.standard_normal((13, 10, 3))
    ours, ref = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = mt.cumsum(ours.transpose(0, 1), 1), torch.cumsum(ref.transpose(0, 1), 1)
    y.backward(mt.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(y, yt, np.float64)
    assert_close(ours.grad, ref.grad, np.float64)
    ints = mt.cumsum(mt.tensor([1, 2, 3], dtype=mt.int32), 0)  # integers keep NumPy's loop, as int64
    ref_ints = torch.cumsum(torch.tensor([1, 2, 3], dtype=torch.int32), 0)
    assert ints.dtype == mt.int64 and ref_ints.dtype == torch.int64
    assert ints.tolist() == ref_ints.tolist()


def test_integer_gather_and_scatter_add() -> None:
    rng = np.random.default_rng(8)
    x, src = rng.integers(-50, 50, (6, 8)), rng.integers(-50, 50, (6, 5))
    idx = rng.integers(0, 8, (6, 5))
    ours = mt.scatter_add(mt.tensor(x), 1, mt.tensor(idx), mt.tensor(src))
    ref = torch.scatter_add(torch.tensor(x), 1, torch.tensor(idx), torch.tensor(src))
    assert ours.tolist() == ref.tolist()
    assert mt.gather(mt.tensor(x), 1, mt.tensor(idx)).tolist() == torch.gather(torch.tensor(x), 1,
                                                                               torch.tensor(idx)).tolist()


def test_errors_as_torch() -> None:
    x, idx = mt.zeros(3, 4), mt.tensor([[0, 4]])
    with pytest.raises(RuntimeError, match="out of bounds for dimension 1 with size 4"):
        mt.gather(x, 1, idx)
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        mt.scatter_add(x, 1, mt.tensor([[0.5]]), mt.ones(1, 1))
    with pytest.raises(IndexError, match="(?i)dimension out of range"):
        mt.cumsum(x, 2)


def test_kernels_compile_lazily() -> None:
    probe = ("import sys, minitorch_cnn; "
             "sys.exit(any(m.endswith(('numba_kernels.scan', 'numba_kernels.index_add')) for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0
