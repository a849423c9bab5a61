"""The vectorised erf kernel (``kernels/erf_numba.py``) behind mt.erf, mt.special.erf/ndtr and GELU: each of
fdlibm's regions and their edges against torch elementwise (float64 to an ulp or two, float32 against the float64
truth), the special values, non-contiguous inputs, and that importing the package compiles nothing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close, to_np

import minitorch_cnn as mt
from minitorch_cnn.kernels import special_math

EDGES = [0.84375, 1.25, 1 / 0.35, 6.0]
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -1e-310, 1e-30, 2.0 ** -28, 27.0, 1e300]


def _points() -> np.ndarray:
    rng = np.random.default_rng(0)
    around = [np.nextafter(e, lim) for e in EDGES for lim in (0.0, np.inf)] + EDGES
    x = np.concatenate([np.linspace(-7, 7, 20001), rng.standard_normal(5000) * 3, around, SPECIAL])
    return np.concatenate([x, -x])


def test_erf_float64_matches_torch_elementwise_in_every_region() -> None:
    x = _points()
    ours, theirs = to_np(mt.erf(mt.tensor(x))), torch.erf(torch.from_numpy(x)).numpy()
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    fin = ~np.isnan(theirs)
    rel = np.abs(ours[fin] - theirs[fin]) / np.maximum(np.abs(theirs[fin]), np.finfo(np.float64).tiny)
    assert rel.max() <= 4e-16, f"worst {rel.max():.3g} at x = {x[fin][rel.argmax()]!r}"


def test_erf_keeps_the_sign_of_zero_and_the_limits() -> None:
    y = to_np(mt.erf(mt.tensor([0.0, -0.0, np.inf, -np.inf, 6.0, -40.0])))
    assert np.signbit(y[:2]).tolist() == [False, True]
    assert y[2:].tolist() == [1.0, -1.0, 1.0, -1.0]


def test_erf_float32_against_the_float64_truth_and_torch() -> None:
    with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, one more special value
        x = _points().astype(np.float32)
    ours = mt.erf(mt.tensor(x))
    assert to_np(ours).dtype == np.float32
    assert_f32_close(ours, torch.erf(torch.from_numpy(x).double()), torch32=torch.erf(torch.from_numpy(x)),
                     rtol=1e-7, what="erf float32")


def test_erf_kernel_reads_strided_inputs_and_scalars() -> None:
    x = np.random.default_rng(1).standard_normal((6, 8)) * 2
    assert np.array_equal(special_math.erf(x.T), special_math.erf(np.ascontiguousarray(x.T)))
    assert special_math.erf(np.float64(0.5)) == pytest.approx(torch.erf(torch.tensor(0.5, dtype=torch.float64)).item(),
                                                             rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_on_the_kernel_matches_torch_forward_and_backward(dtype: type) -> None:
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((64, 33)) * 3).astype(dtype)
    g = rng.standard_normal((64, 33)).astype(dtype)
    a, t = mt.tensor(x, requires_grad=True), torch.tensor(x.astype(np.float64), requires_grad=True)
    y, yt = mt.nn.functional.gelu(a), torch.nn.functional.gelu(t)
    y.backward(mt.tensor(g))
    yt.backward(torch.from_numpy(g.astype(np.float64)))
    if dtype == np.float64:
        assert_close(y, yt, np.float64, what="gelu")  # ½(1 + erf) cancels for x < 0: an ulp of erf shows there
        assert_close(a.grad, t.grad, np.float64, what="gelu grad")  # cdf + x·pdf cancels for x < 0
    else:
        assert_f32_close(y, yt, what="gelu float32")
        assert_f32_close(a.grad, t.grad, what="gelu grad float32")


def test_importing_the_package_compiles_no_erf_kernel() -> None:
    code = ("import sys, minitorch_cnn\n"
            "assert 'minitorch_cnn.kernels.erf_numba' not in sys.modules and 'numba' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
