"""Autograd details users see when they inspect graphs, each against torch: views of a tensor's own shape."""

from __future__ import annotations

import numpy as np
import torch
from _parity import assert_close

import minitorch_cnn as mt


def test_view_of_own_shape_is_a_new_view() -> None:
    arr = np.random.default_rng(0).standard_normal((2, 3))
    seen = []
    for lib in (mt, torch):
        x = lib.tensor(arr.copy())
        y = x.view(x.shape)
        before = x._version
        y.add_(1.0)
        seen.append((y is x, y._is_view(), y._base is x, x._is_view(), x._version - before, y._version == x._version,
                     np.asarray(x.tolist())))
    for ours, theirs in zip(*seen):
        if isinstance(ours, np.ndarray):
            assert_close(ours, theirs, np.float64)
        else:
            assert ours == theirs


def test_in_place_write_into_own_shape_view_flows_gradients() -> None:
    rng = np.random.default_rng(1)
    arr, g = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    grads = []
    for lib in (mt, torch):
        x = lib.tensor(arr, requires_grad=True)
        y = x * 1.5
        v = y.view(y.shape)
        v.mul_(lib.tensor(arr))
        y.backward(lib.tensor(g))
        grads.append(x.grad.detach().numpy())
    assert_close(grads[0], grads[1], np.float64)
