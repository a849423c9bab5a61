"""``repeat_interleave``, ``unbind`` and ``finfo``/``iinfo`` against torch: values, every gradient under random
upstream gradients (float64 to 1e-10, float32 against the float64 truth), errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._attn_parity import parity

R = np.random.default_rng(0)
X = R.standard_normal((2, 3, 4))

CASES = {
    "int_dim1": lambda lib, x: x.repeat_interleave(2, dim=1),
    "int_flat": lambda lib, x: lib.repeat_interleave(x, 3),
    "counts_dim_neg": lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 0, 2, 3]), dim=-1),
    "zero_d_tensor_repeats": lambda lib, x: x.repeat_interleave(lib.tensor(2), dim=0),
    "gqa_heads": lambda lib, x: x.unsqueeze(0).repeat_interleave(2, -3),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_repeat_interleave_matches_torch(case: str, dtype: Any) -> None:
    parity(None, lambda lib, mod, x: CASES[case](lib, x), {"x": X}, dtype)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_matches_torch(dim: int) -> None:
    parity(None, lambda lib, mod, x: tuple(p * (i + 1) for i, p in enumerate(x.unbind(dim))), {"x": X},
           np.float64)
    parity(None, lambda lib, mod, x: lib.unbind(x, dim)[0], {"x": X}, np.float64)


def test_repeat_interleave_of_counts_and_errors() -> None:
    counts = [2, 0, 3]
    np.testing.assert_array_equal(mt.repeat_interleave(mt.tensor(counts)).numpy(),
                                  torch.repeat_interleave(torch.tensor(counts)).numpy())
    x = mt.tensor(X)
    with pytest.raises(RuntimeError, match=r"repeats must have the same size as input along dim, but got "
                                           r"repeats.size\(0\) = 2 and input.size\(1\) = 3"):
        x.repeat_interleave(mt.tensor([1, 2]), dim=1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(-1, dim=0)
    with pytest.raises(IndexError, match="dimension out of range"):
        x.unbind(3)


def test_finfo_and_iinfo_are_torchs() -> None:
    for ours, theirs in ((mt.finfo(mt.float32), torch.finfo(torch.float32)),
                         (mt.finfo(mt.float64), torch.finfo(torch.float64)), (mt.finfo(), torch.finfo())):
        for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
            assert getattr(ours, field) == getattr(theirs, field), field
        assert repr(ours) == repr(theirs)
    for ours, theirs in ((mt.iinfo(mt.int64), torch.iinfo(torch.int64)),
                         (mt.iinfo(mt.uint8), torch.iinfo(torch.uint8))):
        assert (ours.bits, ours.max, ours.min, ours.dtype) == (theirs.bits, theirs.max, theirs.min, theirs.dtype)
        assert repr(ours) == repr(theirs)
    with pytest.raises(TypeError, match="requires a floating point input type"):
        mt.finfo(mt.int64)
    with pytest.raises(TypeError, match="torch.bool is not supported by torch.iinfo"):
        mt.iinfo(mt.bool)
