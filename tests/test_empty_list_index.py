"""``x[[]]``, ``x[:, []]`` and ``x[range(0)]`` select nothing, as torch's empty long index: shapes, gradients
(zeros) and assignment (a no-op) equal torch's. An empty Python list reads as float64 in NumPy, so it is made an
integer index explicitly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt

INDEXES = {
    "x[[]]": lambda x: x[[]],
    "x[:, []]": lambda x: x[:, []],
    "x[range(0)]": lambda x: x[range(0)],
    "x[[], 1]": lambda x: x[[], 1],
}


@pytest.mark.parametrize("name", list(INDEXES))
def test_empty_index_matches_torch(name: str) -> None:
    fn = INDEXES[name]
    data = np.arange(6.0).reshape(2, 3)
    tx = torch.tensor(data, requires_grad=True)
    mx = mt.tensor(data, requires_grad=True)
    ty, my = fn(tx), fn(mx)
    assert tuple(my.shape) == tuple(ty.shape)
    assert my.dtype == mt.float64
    ty.sum().backward()
    my.sum().backward()
    np.testing.assert_array_equal(mx.grad.numpy(), tx.grad.numpy())


def test_empty_index_assignment_is_a_no_op() -> None:
    t, m = torch.zeros(2, 3), mt.zeros(2, 3)
    t[[]] = 1
    m[[]] = 1
    np.testing.assert_array_equal(m.numpy(), t.numpy())
