"""multinomial, bernoulli, isin and unravel_index against torch: exact for the deterministic ones; for the draws
(our generator's stream, not torch's) shapes, dtypes, supports, frequencies and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize(("elements", "tests"), [
    ([[1, 2], [3, 4]], [2, 3]), ([1.5, 2.0, -0.0], [0.0, 2.0]), ([5, 6], [7]), ([[0, 1]], []),
])
def test_isin_matches_torch(elements: list, tests: list, invert: bool) -> None:
    te = torch.tensor(elements)
    tt = torch.tensor(tests, dtype=te.dtype)
    theirs = torch.isin(te, tt, invert=invert)
    ours = mt.isin(mt.tensor(elements), mt.tensor(np.asarray(tests, dtype=te.numpy().dtype)), invert=invert)
    assert ours.dtype == mt.bool
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_isin_takes_a_number_on_either_side() -> None:
    assert bool(mt.isin(2, mt.tensor([2, 3]))) == bool(torch.isin(2, torch.tensor([2, 3])))
    np.testing.assert_array_equal(mt.isin(mt.tensor([1, 2]), 2).numpy(), torch.isin(torch.tensor([1, 2]), 2).numpy())
    with pytest.raises(TypeError, match="isin\\(\\) received an invalid combination of arguments"):
        mt.isin(1, 2)


@pytest.mark.parametrize(("indices", "shape"), [([4, 1, 0, 5], (2, 3)), ([7], (2, 2)), ([-1, 11], (2, 3, 2)),
                                                ([3], 4), ([[0, 5], [2, 3]], (3, 2))])
def test_unravel_index_matches_torch(indices: list, shape: tuple) -> None:
    theirs = torch.unravel_index(torch.tensor(indices), shape)
    ours = mt.unravel_index(mt.tensor(indices), shape)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.dtype == mt.int64
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda lib: lib.unravel_index(lib.tensor([1.0]), (2,)), TypeError, "expected 'indices' to be integer dtype"),
    (lambda lib: lib.unravel_index(lib.tensor([1]), (0,)), ValueError, "cannot have zero dimensions"),
    (lambda lib: lib.unravel_index(lib.tensor([1]), (-1, 2)), ValueError, "cannot have negative values"),
    (lambda lib: lib.multinomial(lib.tensor([0.5, 0.5]), 3), RuntimeError, "cannot sample n_sample > prob_dist"),
    (lambda lib: lib.multinomial(lib.tensor([-0.5, 0.5]), 1), RuntimeError, "element < 0"),
    (lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1), RuntimeError, "sum of probabilities <= 0"),
    (lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    (lambda lib: lib.multinomial(lib.tensor([0.5, 0.5]), 0), RuntimeError, "cannot sample n_sample <= 0"),
    (lambda lib: lib.multinomial(lib.tensor([1, 2]), 1), RuntimeError, "only supports floating-point dtypes"),
    (lambda lib: lib.bernoulli(lib.tensor([2.0])), RuntimeError, "Expected p_in >= 0 && p_in <= 1"),
])
def test_errors_as_torch(call: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        call(torch)
    with pytest.raises(exc, match=match):
        call(mt)


def test_multinomial_with_replacement_frequencies() -> None:
    mt.manual_seed(0)
    p = mt.tensor([[0.1, 0.0, 0.6, 0.3], [2.0, 1.0, 1.0, 0.0]], dtype=mt.float64)  # unnormalised rows too
    draws = mt.multinomial(p, 20000, replacement=True)
    assert tuple(draws.shape) == (2, 20000) and draws.dtype == mt.int64
    expected = np.array([[0.1, 0.0, 0.6, 0.3], [0.5, 0.25, 0.25, 0.0]])
    for row, want in zip(draws.numpy(), expected):
        freq = np.bincount(row, minlength=4) / row.size
        assert freq[want == 0].sum() == 0  # a zero-probability index is never drawn
        assert np.abs(freq - want).max() < 0.015  # ~5 standard errors at 20000 draws


def test_multinomial_without_replacement() -> None:
    mt.manual_seed(1)
    p = mt.tensor([0.05, 0.0, 0.6, 0.35])
    draws = np.stack([mt.multinomial(p, 3).numpy() for _ in range(3000)])
    assert all(len(set(row)) == 3 for row in draws)  # distinct indices
    assert not (draws[:, :3] == 1).any()  # zero probability never before the positive ones (3 positive here)
    first = np.bincount(draws[:, 0], minlength=4) / len(draws)
    np.testing.assert_allclose(first, [0.05, 0.0, 0.6, 0.35], atol=0.03)  # the first draw follows p
    # second draw given the first (sequential sampling without replacement): P(2 then 3) = 0.6 · 0.35 / 0.4
    pair = np.mean((draws[:, 0] == 2) & (draws[:, 1] == 3))
    assert abs(pair - 0.6 * 0.35 / 0.4) < 0.03
    # torch's shape, and the zero-probability indices after the positive ones once those run out
    t = torch.multinomial(torch.tensor([0.0, 1.0, 0.0]), 2)
    o = mt.multinomial(mt.tensor([0.0, 1.0, 0.0]), 2)
    assert tuple(o.shape) == tuple(t.shape) and int(o[0]) == int(t[0]) == 1


def test_bernoulli_draws_and_methods() -> None:
    mt.manual_seed(2)
    p = mt.tensor([0.0, 1.0, 0.25, 0.75], dtype=mt.float64)
    draws = np.stack([mt.bernoulli(p).numpy() for _ in range(4000)])
    assert draws.dtype == np.float64 and set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(axis=0), [0.0, 1.0, 0.25, 0.75], atol=0.03)
    x = mt.zeros(3, 4)
    half = x.bernoulli(0.5)
    assert half.dtype == mt.float32 and tuple(half.shape) == (3, 4)
    assert tuple(p.multinomial(2).shape) == (2,)
