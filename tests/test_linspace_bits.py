"""mt.linspace equals torch.linspace bit for bit (torch's two-sided fused multiply-add stepping), in float32,
float64 and integer dtypes, and the fused multiply-add kernel rounds once."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.kernels.fused_multiply_add import fma

CASES = [(0, 1, 50), (-3.3, 7.1, 1000), (0.1, 0.9, 333), (-1, 1, 224), (0, 6.283185307179586, 1001),
         (1e-3, 1e5, 100001), (5, -2, 7), (0, 1, 2), (0, 1, 1), (0, 1, 0), (-1e6, 1e6, 4097)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("start", "end", "steps"), CASES)
def test_float_linspace_is_torchs(start: float, end: float, steps: int, dtype: str) -> None:
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    ours = mt.linspace(start, end, steps, dtype=getattr(mt, dtype)).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(("start", "end", "steps"), [(0, 10, 7), (-5, 17, 13), (3, -9, 5), (0, 1, 1)])
def test_integer_linspace_is_torchs(start: int, end: int, steps: int) -> None:
    theirs = torch.linspace(start, end, steps, dtype=torch.int64).numpy()
    ours = mt.linspace(start, end, steps, dtype=mt.int64).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_negative_steps_refused_as_torch() -> None:
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        torch.linspace(0, 1, -1)
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        mt.linspace(0, 1, -1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_rounds_once(dtype: type) -> None:
    # a·b + c where a·b's low bits decide the result: 1 + 2^-p squared, minus its rounded square
    eps = np.finfo(dtype).eps
    a = np.array([1 + eps], dtype=dtype)
    c = -(a * a)  # the twice-rounded product, negated: the fused result is the rounding error itself
    assert fma(a, a, c)[0] == dtype(eps * eps)
    assert (a * a + c)[0] == 0
