"""F.affine_grid and F.grid_sample against torch: values and gradients (to input, grid and theta) under random
upstream gradients, every mode (bilinear, nearest, bicubic) / padding / align_corners, second order, float64 to
1e-10 and float32 against the float64 truth; torch's checks, messages and align_corners warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close

F = mt.nn.functional
RNG = np.random.default_rng(31)


def _sample(lib, x, g, up, dtype, **kw):
    ti = lib.tensor(x.astype(dtype), requires_grad=True)
    tg = lib.tensor(g.astype(dtype), requires_grad=True)
    out = (TF if lib is torch else F).grid_sample(ti, tg, **kw)
    out.backward(lib.tensor(up.astype(dtype)))
    return [t.detach().numpy() for t in (out, ti.grad, tg.grad)]


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(mode: str, padding_mode: str, align_corners: bool) -> None:
    x = RNG.standard_normal((2, 3, 5, 6))
    g = RNG.uniform(-1.4, 1.4, (2, 4, 7, 2))  # past the edges too: every padding rule is exercised
    g[0, 0, 0] = (-1.0, 1.0)  # exactly on the corners
    up = RNG.standard_normal((2, 3, 4, 7))
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    truth = _sample(torch, x, g, up, np.float64, **kw)
    ours = _sample(mt, x, g, up, np.float64, **kw)
    for what, o, t in zip(("output", "d input", "d grid"), ours, truth):
        assert_close(o, t, np.float64, what=what)
    ours32 = _sample(mt, x, g, up, np.float32, **kw)
    torch32 = _sample(torch, x, g, up, np.float32, **kw)
    truth32 = _sample(torch, x.astype(np.float32), g.astype(np.float32), up.astype(np.float32), np.float64, **kw)
    for what, o, t, t32 in zip(("output", "d input", "d grid"), ours32, truth32, torch32):
        assert o.dtype == np.float32
        if mode == "nearest" and what == "output":
            # a grid point that float32 rounds across a .5 boundary picks another pixel in either library
            assert (o == t32).mean() > 0.95
            continue
        assert_f32_close(o, t, torch32=t32, what=f"float32 {what}")


@pytest.mark.parametrize("size", [(2, 3, 5, 4), (2, 1, 3, 5, 4)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(size: tuple, align_corners: bool) -> None:
    k = len(size) - 2
    theta = RNG.standard_normal((2, k, k + 1))
    up = RNG.standard_normal((2, *size[2:], k))
    tt = torch.tensor(theta, requires_grad=True)
    tgrid = TF.affine_grid(tt, size, align_corners=align_corners)
    tgrid.backward(torch.tensor(up))
    mt_t = mt.tensor(theta, requires_grad=True)
    grid = F.affine_grid(mt_t, size, align_corners=align_corners)
    grid.backward(mt.tensor(up))
    assert tuple(grid.shape) == tuple(tgrid.shape)
    assert_close(grid.detach().numpy(), tgrid.detach().numpy(), np.float64, what="grid")
    assert_close(mt_t.grad.numpy(), tt.grad.numpy(), np.float64, what="d theta")


def test_spatial_transformer_chain_float32() -> None:
    """The STN tutorial's pair: affine_grid(theta, x.size()) then grid_sample, both gradients, float32."""
    x = RNG.standard_normal((3, 2, 8, 8))
    theta = np.tile(np.array([[1.0, 0, 0], [0, 1, 0]]), (3, 1, 1)) + 0.2 * RNG.standard_normal((3, 2, 3))
    up = RNG.standard_normal((3, 2, 8, 8))

    def run(lib, dtype):
        f = TF if lib is torch else F
        xi = lib.tensor(x.astype(dtype), requires_grad=True)
        th = lib.tensor(theta.astype(dtype), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            y = f.grid_sample(xi, f.affine_grid(th, xi.size()))
        y.backward(lib.tensor(up.astype(dtype)))
        return [t.detach().numpy() for t in (y, xi.grad, th.grad)]

    truth = run(torch, np.float64)
    for o, t in zip(run(mt, np.float64), truth):
        assert_close(o, t, np.float64)
    for o, t, t32 in zip(run(mt, np.float32), truth, run(torch, np.float32)):
        assert_f32_close(o, t, torch32=t32)


def test_default_align_corners_warns_as_torch() -> None:
    theta = mt.tensor([[[1.0, 0, 0], [0, 1, 0]]])
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        grid = F.affine_grid(theta, (1, 1, 3, 3))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(mt.ones(1, 1, 3, 3), grid)


@pytest.mark.parametrize("args, kwargs, err, match", [
    ((np.zeros((2, 3)), (2, 3, 4, 4)), {}, ValueError, "Nx2x3"),
    ((np.zeros((2, 2, 3)), (2, 0, 4, 4)), {}, ValueError, "non-zero, positive"),
    ((np.zeros((2, 2, 3)), (2, 3, 4)), {}, NotImplementedError, "4D and 5D sizes"),
    ((np.zeros((2, 2, 3)), (2, 3, 1, 5, 4)), {}, ValueError, "Nx3x4"),
    ((np.zeros((2, 2, 3), dtype=np.int64), (2, 3, 4, 4)), {}, ValueError, "floating point type"),
])
def test_affine_grid_errors(args, kwargs, err, match) -> None:
    theta, size = args
    with pytest.raises(err, match=match):
        F.affine_grid(mt.tensor(theta), size, align_corners=False, **kwargs)
    with pytest.raises(err, match=match):
        TF.affine_grid(torch.tensor(theta), size, align_corners=False, **kwargs)


@pytest.mark.parametrize("x, g, kw, err, match", [
    ((2, 3, 4, 4), (3, 4, 4, 2), {}, RuntimeError, "same batch size"),
    ((2, 3, 4, 4), (2, 4, 4, 3), {}, RuntimeError, "size 2 in last dimension"),
    ((2, 3, 4, 4), (2, 4, 2), {}, RuntimeError, "same number of dimensions"),
    ((2, 3, 4, 4), (2, 4, 4, 2), {"mode": "cubic"}, ValueError, "expected mode"),
    ((2, 3, 4, 4), (2, 4, 4, 2), {"padding_mode": "wrap"}, ValueError, "expected padding_mode"),
])
def test_grid_sample_errors(x, g, kw, err, match) -> None:
    with pytest.raises(err, match=match):
        F.grid_sample(mt.zeros(*x), mt.zeros(*g), align_corners=False, **kw)
    with pytest.raises(err, match=match):
        TF.grid_sample(torch.zeros(*x), torch.zeros(*g), align_corners=False, **kw)


def test_grid_sample_refuses_what_it_does_not_offer() -> None:
    with pytest.raises(NotImplementedError, match="volumetric sampling is not offered"):
        F.grid_sample(mt.zeros(1, 1, 2, 4, 4), mt.zeros(1, 2, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="same floating dtype"):
        F.grid_sample(mt.zeros(1, 1, 4, 4), mt.zeros(1, 2, 2, 2, dtype=mt.float64), align_corners=False)


@pytest.mark.parametrize("mode, padding_mode, align_corners", [
    ("bilinear", "zeros", False), ("bilinear", "border", True), ("bilinear", "reflection", False),
    ("nearest", "zeros", False), ("bicubic", "zeros", False), ("bicubic", "reflection", True),
])
def test_grid_sample_second_order_matches_torch(mode: str, padding_mode: str, align_corners: bool) -> None:
    """create_graph=True, then the gradient of <v1, d input> + <v2, d grid> (a penalty on the gradients, as
    WGAN-GP takes one) to input and grid: torch's double backward of the sampler."""
    x, g = RNG.standard_normal((2, 2, 4, 5)), RNG.uniform(-1.3, 1.3, (2, 3, 3, 2))
    up, v1, v2 = RNG.standard_normal((2, 2, 3, 3)), RNG.standard_normal(x.shape), RNG.standard_normal(g.shape)

    def run(lib):
        f = TF if lib is torch else F
        xi, gi = lib.tensor(x, requires_grad=True), lib.tensor(g, requires_grad=True)
        y = f.grid_sample(xi, gi, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        dx, dg = lib.autograd.grad(y, (xi, gi), lib.tensor(up), create_graph=True)
        penalty = (dx * lib.tensor(v1)).sum() + (dg * lib.tensor(v2)).sum()
        second = lib.autograd.grad(penalty, (xi, gi), allow_unused=True) if penalty.requires_grad else (None, None)
        return [dx.detach().numpy(), dg.detach().numpy()] + [
            np.zeros(t.shape) if s is None else s.detach().numpy() for s, t in zip(second, (xi, gi))]

    for what, o, t in zip(("d input", "d grid", "d2 input", "d2 grid"), run(mt), run(torch)):
        assert_close(o, t, np.float64, what=what)
