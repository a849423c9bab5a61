"""erf and exact GELU on float32 computed in float32 (``kernels/erf32_numba.py``): erf over every region, its edges
and the special values held to 2 float32 ulps of the float64 truth and beside torch's own float32 error on the same
inputs; GELU's forward, backward (random upstream gradient) and second order in float32 against torch's float64
truth; float64 still on the float64 kernel; nothing compiled at import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close, to_np

import minitorch_cnn as mt
from minitorch_cnn.kernels import special_math

EDGES = [0.84375, 1.25, 1 / 0.35, 4.0, 6.0]
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-40, 1e-30, 2.0 ** -14, 3.9, 27.0, 3e38]


def _points() -> np.ndarray:
    rng = np.random.default_rng(0)
    edges = np.array(EDGES, np.float32)
    around = np.concatenate([np.nextafter(edges, np.float32(0)), edges, np.nextafter(edges, np.float32(np.inf))])
    spread = (rng.standard_normal(20000) * 3).astype(np.float32)
    x = np.concatenate([np.linspace(-7, 7, 20001, dtype=np.float32), spread, around, np.array(SPECIAL, np.float32)])
    return np.concatenate([x, -x])


def _ulps(y: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """|y - truth| in float32 ulps of the truth (the spacing of float32 at |truth|, subnormal spacing near 0)."""
    return np.abs(y.astype(np.float64) - truth) / np.spacing(np.abs(truth).astype(np.float32)).astype(np.float64)


def test_erf_float32_within_two_ulps_of_the_float64_truth_beside_torch() -> None:
    x = _points()
    ours = to_np(mt.erf(mt.tensor(x)))
    assert ours.dtype == np.float32
    truth = torch.erf(torch.from_numpy(x).double()).numpy()
    theirs = torch.erf(torch.from_numpy(x)).numpy()
    fin = np.isfinite(truth)
    assert np.array_equal(ours[~fin], truth[~fin], equal_nan=True)
    ours_ulps, torch_ulps = _ulps(ours[fin], truth[fin]), _ulps(theirs[fin], truth[fin])
    assert ours_ulps.max() <= 2.0, f"worst {ours_ulps.max():.3g} ulp at x = {x[fin][ours_ulps.argmax()]!r}"
    assert ours_ulps.max() <= torch_ulps.max() + 1.0  # torch's own float32 error is about 0.65 ulp
    assert_f32_close(ours, truth, torch32=theirs, rtol=1e-7, what="erf float32")


def test_erf_float32_keeps_signed_zero_limits_and_nan() -> None:
    y = to_np(mt.erf(mt.tensor(np.array([0.0, -0.0, np.inf, -np.inf, 4.0, -40.0, np.nan], np.float32))))
    assert np.signbit(y[:2]).tolist() == [False, True]
    assert y[2:6].tolist() == [1.0, -1.0, 1.0, -1.0]
    assert np.isnan(y[6])


def test_erf_float32_reads_strided_inputs_and_stays_float32() -> None:
    x = (np.random.default_rng(1).standard_normal((64, 48)) * 2).astype(np.float32)
    assert np.array_equal(special_math.erf(x.T), special_math.erf(np.ascontiguousarray(x.T)))
    assert special_math.erf(x[:, ::3]).dtype == np.float32
    y, cdf = special_math.gelu_float32(x[:, ::3])
    y2, cdf2 = special_math.gelu_float32(np.ascontiguousarray(x[:, ::3]))
    assert np.array_equal(y, y2) and np.array_equal(cdf, cdf2)


@pytest.mark.parametrize("shape", [(), (0,), (3, 4)])
def test_gelu_float32_keeps_shapes_zero_d_empty_and_strided(shape: tuple) -> None:
    x = (np.random.default_rng(5).standard_normal(shape) * 2).astype(np.float32)
    a = mt.tensor(x, requires_grad=True)
    src = a[:, ::2] if len(shape) == 2 else a
    y = mt.nn.functional.gelu(src)
    g = np.random.default_rng(6).standard_normal(y.shape).astype(np.float32)
    y.backward(mt.tensor(g))
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tsrc = t[:, ::2] if len(shape) == 2 else t
    ty = torch.nn.functional.gelu(tsrc)
    ty.backward(torch.tensor(g, dtype=torch.float64))
    assert tuple(y.shape) == tuple(ty.shape) and tuple(a.grad.shape) == tuple(t.grad.shape)
    assert_f32_close(y, ty.detach(), rtol=4e-7, what="gelu forward")
    assert_f32_close(a.grad, t.grad, rtol=4e-7, what="gelu backward")


def test_erf_float64_path_unchanged() -> None:
    x = _points().astype(np.float64)
    from minitorch_cnn.kernels import erf_numba

    out = np.empty_like(x)
    erf_numba.erf_flat(x, out)
    assert np.array_equal(to_np(mt.erf(mt.tensor(x))), out, equal_nan=True)


def test_gelu_float32_forward_backward_against_the_float64_truth() -> None:
    rng = np.random.default_rng(2)
    x = np.concatenate([(rng.standard_normal(6000) * 3).astype(np.float32), np.array(EDGES, np.float32) * np.sqrt(2),
                        np.array([0.0, -0.0, 1e-30, -9.0, 12.0, -40.0, 13.5, 14.5, np.inf, np.nan], np.float32)])
    x = np.concatenate([x, -x]).astype(np.float32).reshape(2, -1)
    g = rng.standard_normal(x.shape).astype(np.float32)
    a = mt.tensor(x, requires_grad=True)
    y = mt.nn.functional.gelu(a)
    y.backward(mt.tensor(g))
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = torch.nn.functional.gelu(t)
    ty.backward(torch.tensor(g, dtype=torch.float64))
    t32 = torch.tensor(x, requires_grad=True)
    ty32 = torch.nn.functional.gelu(t32)
    ty32.backward(torch.tensor(g))
    assert to_np(y).dtype == np.float32 and to_np(a.grad).dtype == np.float32
    assert y.grad_fn.name() == ty.grad_fn.name()
    # GELU = x Φ(x) does not cancel: each element against its own magnitude (|x| for y, |g|·(Φ + |x|φ) for x's grad)
    phi = np.exp(-0.5 * x.astype(np.float64) ** 2) / np.sqrt(2 * np.pi)
    with np.errstate(invalid="ignore"):  # inf · 0 at x = inf: a NaN condition where the truth is NaN too
        grad_cond = np.abs(g) * (1 + np.abs(x) * phi)
    assert_f32_close(y, ty.detach(), torch32=ty32.detach(), cond=np.abs(x) + 1e-38, rtol=2e-7, what="gelu forward")
    assert_f32_close(a.grad, t.grad, torch32=t32.grad, cond=grad_cond, rtol=4e-7, what="gelu backward")


def test_gelu_float32_second_order_against_the_float64_truth() -> None:
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((8, 64)) * 2).astype(np.float32)
    g, h = rng.standard_normal(x.shape).astype(np.float32), rng.standard_normal(x.shape).astype(np.float32)
    a = mt.tensor(x, requires_grad=True)
    (da,) = mt.autograd.grad(mt.nn.functional.gelu(a), a, mt.tensor(g), create_graph=True)
    (dda,) = mt.autograd.grad(da, a, mt.tensor(h))
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (dt,) = torch.autograd.grad(torch.nn.functional.gelu(t), t, torch.tensor(g, dtype=torch.float64), create_graph=True)
    (ddt,) = torch.autograd.grad(dt, t, torch.tensor(h, dtype=torch.float64))
    scale = np.abs(g) * np.abs(h) * (2 + x.astype(np.float64) ** 2)
    assert_f32_close(da, dt.detach(), cond=np.abs(g) * (1 + np.abs(x)), rtol=4e-7, what="gelu grad")
    assert_f32_close(dda, ddt, cond=scale, rtol=4e-7, what="gelu second order")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float64_unchanged_against_torch(approximate: str) -> None:
    x = np.random.default_rng(4).standard_normal((16, 32)) * 3
    y = mt.nn.functional.gelu(mt.tensor(x), approximate=approximate)
    assert_close(y, torch.nn.functional.gelu(torch.from_numpy(x), approximate=approximate), np.float64,
                 what=f"gelu {approximate} float64")


def test_importing_the_package_compiles_no_float32_erf() -> None:
    code = ("import sys, minitorch_cnn; "
            "print('minitorch_cnn.kernels.erf32_numba' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
