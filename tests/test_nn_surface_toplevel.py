"""The torch top-level twins of the new functional forms (torch.pdist, rms_norm, conv_transpose1d, relu_, selu_,
celu_, rrelu_, threshold_, max_pool1d_with_indices) exist under mt and compute what torch's do."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4, 6))
W = rng.standard_normal((4, 2, 3))

CASES = [
    ("pdist", lambda lib: lib.pdist(lib.tensor(X[0]), 1.5)),
    ("rms_norm", lambda lib: lib.rms_norm(lib.tensor(X), [6], None, 1e-3)),
    ("conv_transpose1d", lambda lib: lib.conv_transpose1d(lib.tensor(X), lib.tensor(W), None, 2, 1, 1)),
    ("relu_", lambda lib: lib.relu_(lib.tensor(X))),
    ("selu_", lambda lib: lib.selu_(lib.tensor(X))),
    ("celu_", lambda lib: lib.celu_(lib.tensor(X), 0.7)),
    ("rrelu_", lambda lib: lib.rrelu_(lib.tensor(X), 0.1, 0.3, False)),
    ("threshold_", lambda lib: lib.threshold_(lib.tensor(X), 0.2, -1.0)),
    ("max_pool1d_with_indices", lambda lib: lib.max_pool1d_with_indices(lib.tensor(X), 2)[0]),
]


@pytest.mark.parametrize("name,call", CASES)
def test_top_level_twins_match_torch(name: str, call) -> None:
    ours, theirs = call(mt), call(torch)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)
