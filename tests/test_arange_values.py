"""``arange`` gives torch's values bit for bit (its float64 accumulation, fused multiply-adds and vector lanes, not
NumPy's arange in the dtype, which misses float32 values by ~1e-5 over a few hundred steps: d2l's
``torch.arange(-8.0, 8.0, 0.1)`` then puts ReLU's kink on the wrong side of zero), and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt

RANGES = [(-8.0, 8.0, 0.1), (0.0, 1, 0.01), (-5.5, 1.0, 0.1), (0.3, 100.7, 0.37), (1.0, 1000.0, 0.1),
          (2.5, -7.1, -0.13), (0, 5, 1.5), (0.5, 5, 1.5), (-0.5, 5, 1), (5, 0, -1.5), (0, 0, 1), (3, 10, 2),
          (0, 40, 0.01), (0.0, 70000, 0.7)]
DTYPES = [("float16", torch.float16, mt.float16), ("float32", torch.float32, mt.float32),
          ("float64", torch.float64, mt.float64),
          ("int64", torch.int64, mt.int64), ("int32", torch.int32, mt.int32), ("default", None, None)]


@pytest.mark.parametrize("rng", RANGES, ids=[str(r) for r in RANGES])
@pytest.mark.parametrize("dtype", DTYPES, ids=[d[0] for d in DTYPES])
def test_arange_equals_torch_bit_for_bit(rng: tuple, dtype: tuple) -> None:
    theirs = torch.arange(*rng, dtype=dtype[1]).numpy()
    ours = mt.arange(*rng, dtype=dtype[2]).numpy()
    assert ours.dtype == theirs.dtype
    assert np.array_equal(ours, theirs), np.nonzero(ours != theirs)[0][:10]


def test_arange_under_float64_default_and_requires_grad() -> None:
    prev = (torch.get_default_dtype(), mt.get_default_dtype())
    torch.set_default_dtype(torch.float64)
    mt.set_default_dtype(mt.float64)
    try:
        theirs = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
        ours = mt.arange(-8.0, 8.0, 0.1, requires_grad=True)
    finally:
        torch.set_default_dtype(prev[0])
        mt.set_default_dtype(prev[1])
    assert ours.dtype == mt.float64 and ours.requires_grad and ours.is_leaf
    assert np.array_equal(ours.detach().numpy(), theirs.detach().numpy())
    mt.relu(ours).backward(mt.ones_like(ours))
    torch.relu(theirs).backward(torch.ones_like(theirs))
    assert np.array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("args, match", [((0, 5, 0), "step must be nonzero"),
                                         ((0, -5, 1), "upper bound and lower bound inconsistent with step sign"),
                                         ((5, 0, 1), "upper bound and lower bound inconsistent with step sign"),
                                         ((0, float("inf"), 1), "unsupported range"),
                                         ((float("nan"), 3, 1), "unsupported range")])
def test_arange_bad_ranges_raise_as_torch(args: tuple, match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        torch.arange(*args)
    with pytest.raises(RuntimeError, match=match):
        mt.arange(*args)
