"""3-d max pooling on the compiled window loop (``numba_kernels/pool3d.py``): values, argmax and gradients equal to
the NumPy reference (``use_kernels("numpy")``) and to torch, over padding, dilation, ceil_mode, adaptive windows,
ties and NaNs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt

CASES = [dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=2), dict(kernel_size=(3, 2, 3), stride=(2, 1, 2),
         padding=(1, 0, 1), dilation=(1, 2, 1)), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]


def _input(dtype: type) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (2, 3, 7, 8, 9)).astype(dtype)  # few values: many ties
    x[0, 1, 2, 3, 4] = x[1, 2, 5, 0, 0] = np.nan
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", CASES)
def test_values_indices_and_gradient_match_the_reference_and_torch(kw: dict, dtype: type) -> None:
    x = _input(dtype)
    results = []
    for path in ("numba", "numpy"):
        with mt.backends.use_kernels(path):
            a = mt.tensor(x, requires_grad=True)
            y, i = mt.nn.functional.max_pool3d(a, return_indices=True, **kw)
            y.backward(mt.tensor(np.ones(y.shape, dtype)))
            results.append((y.detach().numpy(), i.numpy(), a.grad.numpy()))
    t = torch.tensor(x, requires_grad=True)
    yt, it = torch.nn.functional.max_pool3d(t, return_indices=True, **kw)
    yt.backward(torch.ones_like(yt))
    expected = (yt.detach().numpy(), it.numpy(), t.grad.numpy())
    for got in results:
        for ours, theirs in zip(got, expected):
            np.testing.assert_array_equal(ours, theirs)


def test_adaptive_max_pool3d_matches_torch() -> None:
    x = _input(np.float64)
    y, i = mt.nn.functional.adaptive_max_pool3d(mt.tensor(x), (3, 5, 4), return_indices=True)
    yt, it = torch.nn.functional.adaptive_max_pool3d(torch.from_numpy(x), (3, 5, 4), return_indices=True)
    np.testing.assert_array_equal(y.numpy(), yt.numpy())
    np.testing.assert_array_equal(i.numpy(), it.numpy())
