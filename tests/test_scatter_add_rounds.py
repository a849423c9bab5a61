"""``backend.scatter_add`` on an index of one axis (the gradient of index_select, embedding and x[i]) in rounds of
distinct targets: bit for bit np.add.at's result (the same additions in the same order) into zeros and into
non-zero targets, along every axis, with repeats, up to the fallback cases; and the gradients it serves against
torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt
from minitorch_cnn import backend


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b) and np.array_equal(np.signbit(a), np.signbit(b)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("d", "shape"), [(0, (40, 8)), (1, (3, 40, 5)), (2, (2, 3, 40))])
@pytest.mark.parametrize("repeats", [1, 3, 40])
@pytest.mark.parametrize("zero_target", [True, False])
def test_equals_add_at_bit_for_bit(d: int, shape: tuple, dtype: type, repeats: int, zero_target: bool) -> None:
    rng = np.random.default_rng(d + repeats)
    idx = rng.permutation(np.repeat(np.arange(shape[d]), repeats))[: 100 + repeats]
    values = rng.standard_normal(shape[:d] + idx.shape + shape[d + 1:]).astype(dtype)
    values[..., 0] = -0.0  # signed zeros must come out as add.at's
    start = np.zeros(shape, dtype) if zero_target else rng.standard_normal(shape).astype(dtype)
    ours, reference = start.copy(), start.copy()
    index = (slice(None),) * d + (idx,)
    backend.scatter_add(ours, index, values)
    np.add.at(reference, index, values)
    assert _bits_equal(ours, reference)


@pytest.mark.parametrize("idx", [np.array([3, -1, 9, -1]), np.array([2]), np.array([[1, 2], [2, 3]])])
def test_other_indices_keep_add_at(idx: np.ndarray) -> None:
    values = np.random.default_rng(0).standard_normal(idx.shape + (4,))
    ours, reference = np.zeros((10, 4)), np.zeros((10, 4))
    backend.scatter_add(ours, idx, values)
    np.add.at(reference, idx, values)
    assert _bits_equal(ours, reference)


def test_embedding_and_index_select_gradients_match_torch() -> None:
    rng = np.random.default_rng(1)
    w, g = rng.standard_normal((50, 6)), rng.standard_normal((7, 9, 6))
    idx = rng.integers(0, 50, (7, 9))
    ours, theirs = mt.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    mt.nn.functional.embedding(mt.tensor(idx), ours).backward(mt.tensor(g))
    torch.nn.functional.embedding(torch.from_numpy(idx), theirs).backward(torch.from_numpy(g))
    assert_close(ours.grad, theirs.grad, np.float64, what="embedding")
    x, sel, h = rng.standard_normal((5, 30, 2)), rng.integers(0, 30, 80), rng.standard_normal((5, 80, 2))
    ours, theirs = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mt.index_select(ours, 1, mt.tensor(sel)).backward(mt.tensor(h))
    torch.index_select(theirs, 1, torch.from_numpy(sel)).backward(torch.from_numpy(h))
    assert_close(ours.grad, theirs.grad, np.float64, what="index_select")
