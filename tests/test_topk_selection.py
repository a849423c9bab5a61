"""topk's selection path (a few of many: the k-th key by partition, then only k sorted): the same indices as the
stable argsort it replaced, ties to the lowest index, and torch's values (and indices, where there are no ties),
along every dim, largest and smallest, with NaN and integer inputs on the full sort."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt


def _stable_first(a: np.ndarray, k: int, d: int, largest: bool) -> np.ndarray:
    return np.take(np.argsort(-a if largest else a, axis=d, kind="stable"), np.arange(k), axis=d)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize(("shape", "k", "d"), [((64, 1000), 5, 1), ((40, 50), 3, 0), ((6, 7, 90), 10, -1),
                                               ((3, 100), 1, 1), ((5, 300, 2), 7, 1)])
def test_distinct_values_match_torch_values_and_indices(shape: tuple, k: int, d: int, largest: bool) -> None:
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    v, i = mt.topk(mt.tensor(a), k, d, largest)
    vt, it = torch.topk(torch.from_numpy(a), k, d, largest)
    assert np.array_equal(v.numpy(), vt.numpy()) and np.array_equal(i.numpy(), it.numpy())


@pytest.mark.parametrize("largest", [True, False])
def test_ties_go_to_the_lowest_index_as_the_stable_sort(largest: bool) -> None:
    a = np.random.default_rng(1).integers(0, 6, (30, 200)).astype(np.float64)
    a[:, 50] = -0.0  # -0.0 and 0.0 tie
    v, i = mt.topk(mt.tensor(a), 9, 1, largest)
    ref = _stable_first(a, 9, 1, largest)
    assert np.array_equal(i.numpy(), ref) and np.array_equal(v.numpy(), np.take_along_axis(a, ref, 1))
    assert np.array_equal(v.numpy(), torch.topk(torch.from_numpy(a), 9, 1, largest).values.numpy())


def test_nan_and_integer_inputs_take_the_full_sort() -> None:
    a = np.random.default_rng(2).standard_normal((4, 100))
    a[1, 7] = np.nan
    assert np.array_equal(mt.topk(mt.tensor(a), 3, 1).indices.numpy(), _stable_first(a, 3, 1, True))
    b = np.random.default_rng(3).integers(-50, 50, (4, 100))
    assert np.array_equal(mt.topk(mt.tensor(b), 3, 1).values.numpy(), torch.topk(torch.from_numpy(b), 3, 1).values)


def test_gradient_flows_to_the_selected_elements() -> None:
    rng = np.random.default_rng(4)
    a, g = rng.standard_normal((8, 120)), rng.standard_normal((8, 4))
    x, t = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    mt.topk(x, 4, 1).values.backward(mt.tensor(g))
    torch.topk(t, 4, 1).values.backward(torch.from_numpy(g))
    assert np.array_equal(x.grad.numpy(), t.grad.numpy())
