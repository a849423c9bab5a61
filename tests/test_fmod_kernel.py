"""The compiled fmod family (``numba_kernels/division.py``): fmod, remainder and floor_divide of float tensors bit for
bit equal to torch on ordinary operands (divisor tensor or scalar), to the NumPy reference (``use_kernels("numpy")``)
on a grid of hard values (zeros of both signs, infinities, NaN, huge quotients, subnormals), and the gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close, to_np

import minitorch_cnn as mt

OPS = ["fmod", "remainder", "floor_divide"]
HARD = np.array([0.0, -0.0, 1.0, -1.0, 5.0, -5.0, 3.0, -3.0, 7.5, 1.4, -1.4, 0.1, 0.7, 2.0 ** 60, -2.0 ** 60, 1e300,
                 -1e300, 1e-300, 1e-320, np.inf, -np.inf, np.nan])


def _same_bits(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Elementwise: equal values with equal signs (zeros included), or both NaN."""
    return ((ours == theirs) & (np.signbit(ours) == np.signbit(theirs))) | (np.isnan(ours) & np.isnan(theirs))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("divisor", ["tensor", "scalar"])
def test_matches_torch_bit_for_bit(op: str, dtype: type, divisor: str) -> None:
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(4099) * 40).astype(dtype)
    a[::7] = np.round(a[::7])  # exact multiples: zero results, with a's sign
    b = rng.uniform(-3, 3, 4099).astype(dtype) if divisor == "tensor" else dtype(-0.7)
    ours = getattr(mt, op)(mt.tensor(a), mt.tensor(b) if divisor == "tensor" else float(b))
    theirs = getattr(torch, op)(torch.from_numpy(a), torch.from_numpy(b) if divisor == "tensor" else float(b))
    assert to_np(ours).dtype == dtype
    assert _same_bits(to_np(ours), theirs.numpy()).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", OPS)
def test_hard_values_match_the_numpy_reference_and_torch(op: str, dtype: type) -> None:
    with np.errstate(over="ignore"):  # float32: the huge values become infinities, hard values too
        a, b = np.repeat(HARD, HARD.size).astype(dtype), np.tile(HARD, HARD.size).astype(dtype)
    ours = to_np(getattr(mt, op)(mt.tensor(a), mt.tensor(b)))
    with mt.backends.use_kernels("numpy"):
        reference = to_np(getattr(mt, op)(mt.tensor(a), mt.tensor(b)))
    assert _same_bits(ours, reference).all()
    theirs = getattr(torch, op)(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    with np.errstate(all="ignore"):
        # torch's vectorised fmod (SLEEF) gives NaN where a / b overflows; libm's (and ours) the exact remainder
        overflow = ~np.isfinite(a.astype(np.float64) / b) & np.isfinite(a) & np.isfinite(b) & (b != 0)
    assert _same_bits(ours, theirs)[~overflow].all()


def test_broadcast_and_integer_operands_keep_their_paths() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 6)) * 9, rng.uniform(0.5, 2, (1, 6))
    assert _same_bits(to_np(mt.remainder(mt.tensor(a), mt.tensor(b))),
                      torch.remainder(torch.from_numpy(a), torch.from_numpy(b)).numpy()).all()
    assert _same_bits(to_np(mt.remainder(mt.tensor(b[0, :1]), mt.tensor(a))),
                      torch.remainder(torch.from_numpy(b[0, :1]), torch.from_numpy(a)).numpy()).all()
    i = np.arange(-9, 9)
    assert to_np(mt.remainder(mt.tensor(i), 4)).tolist() == torch.remainder(torch.from_numpy(i), 4).tolist()


@pytest.mark.parametrize("op", ["fmod", "remainder"])
def test_gradients_match_torch_with_a_random_upstream_gradient(op: str) -> None:
    rng = np.random.default_rng(2)
    a, b, g = rng.standard_normal(300) * 9, rng.uniform(-3, 3, 300), rng.standard_normal(300)
    ours = [mt.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    getattr(mt, op)(*ours).backward(mt.tensor(g))
    getattr(torch, op)(*theirs).backward(torch.from_numpy(g))
    for x, t in zip(ours, theirs):
        assert_close(x.grad, t.grad, np.float64, tol=0.0, what=op)
