"""mt.Generator draws torch's CPU numbers (randperm, randint, float64 rand) for the same seed, so splits, samplers
and shuffling DataLoaders given ``Generator().manual_seed(s)`` visit torch's indices in torch's order."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import minitorch_cnn as mt
import minitorch_cnn.utils.data as mdata


def _pair(seed: int) -> tuple[mt.Generator, torch.Generator]:
    return mt.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", [0, 42, 2**32 + 9])
def test_draws_are_torchs(seed: int) -> None:
    ours, theirs = _pair(seed)
    for n in (1, 2, 17, 600):
        assert ours.permutation(n).tolist() == torch.randperm(n, generator=theirs).tolist()
    for low, high, k in ((0, 10, 7), (-5, 1000, 33), (3, 2**40, 9)):
        assert ours.integers(low, high, size=(k,)).tolist() == torch.randint(low, high, (k,), generator=theirs).tolist()
    np.testing.assert_array_equal(ours.random((13,)), torch.rand(13, dtype=torch.float64, generator=theirs).numpy())
    assert ours.initial_seed() == theirs.initial_seed()


def test_factories_take_a_generator() -> None:
    ours, theirs = _pair(11)
    np.testing.assert_array_equal(mt.rand(3, 4, generator=ours).numpy(), torch.rand(3, 4, generator=theirs).numpy())
    np.testing.assert_array_equal(mt.rand(5, dtype=mt.float64, generator=ours).numpy(),
                                  torch.rand(5, dtype=torch.float64, generator=theirs).numpy())
    assert mt.randint(0, 10, (6,), generator=ours).tolist() == torch.randint(0, 10, (6,), generator=theirs).tolist()
    assert mt.randperm(9, generator=ours).tolist() == torch.randperm(9, generator=theirs).tolist()
    assert mt.randn(2, 3, generator=ours).shape == (2, 3)  # NumPy's normal draw on the same twister


def test_default_seed_state_and_device() -> None:
    ours, theirs = mt.Generator(), torch.Generator()
    assert ours.initial_seed() == theirs.initial_seed()
    assert ours.permutation(20).tolist() == torch.randperm(20, generator=theirs).tolist()
    state = ours.get_state()
    first = ours.integers(0, 100, size=(5,))
    ours.set_state(state)
    np.testing.assert_array_equal(ours.integers(0, 100, size=(5,)), first)
    assert ours.normal(size=3).shape == (3,)  # the rest of NumPy's surface, on the same twister
    with pytest.raises(RuntimeError, match="drawn on the CPU"):
        mt.Generator(device="cuda")


@pytest.mark.parametrize("lengths", [[30, 7], [0.5, 0.3, 0.2], [0.7, 0.3]])
def test_random_split_is_torchs(lengths: list) -> None:
    ours, theirs = _pair(42)
    a = [s.indices for s in mdata.random_split(range(37), lengths, generator=ours)]
    b = [list(s.indices) for s in tdata.random_split(range(37), lengths, generator=theirs)]
    assert [list(x) for x in a] == b


def test_samplers_are_torchs() -> None:
    for make_ours, make_theirs in (
        (lambda g: mdata.RandomSampler(range(30), generator=g), lambda g: tdata.RandomSampler(range(30), generator=g)),
        (lambda g: mdata.RandomSampler(range(30), num_samples=71, generator=g),
         lambda g: tdata.RandomSampler(range(30), num_samples=71, generator=g)),
        (lambda g: mdata.RandomSampler(range(30), replacement=True, num_samples=70, generator=g),
         lambda g: tdata.RandomSampler(range(30), replacement=True, num_samples=70, generator=g)),
        (lambda g: mdata.SubsetRandomSampler([5, 7, 9, 11, 2], generator=g),
         lambda g: tdata.SubsetRandomSampler([5, 7, 9, 11, 2], generator=g)),
    ):
        ours, theirs = _pair(3)
        s_ours, s_theirs = make_ours(ours), make_theirs(theirs)
        for _ in range(3):  # the generator carries on across passes as torch's does
            assert list(s_ours) == list(s_theirs)


def test_weighted_random_sampler_is_torchs() -> None:
    weights = np.random.default_rng(0).random(20)
    weights[3] = 0.0
    ours, theirs = _pair(5)
    s_ours = mdata.WeightedRandomSampler(weights.tolist(), 64, generator=ours)
    s_theirs = tdata.WeightedRandomSampler(weights.tolist(), 64, generator=theirs)
    assert len(s_ours) == 64 and s_ours.weights.dtype == mt.float64
    for _ in range(2):
        assert list(s_ours) == list(s_theirs)
    no_replacement = list(mdata.WeightedRandomSampler(weights, 10, replacement=False, generator=ours))
    assert len(set(no_replacement)) == 10 and 3 not in no_replacement  # torch's algorithm, NumPy's draws
    # more samples than positive weights: the zero-weight ones come last, as torch's
    assert sorted(mdata.WeightedRandomSampler([1.0, 0.0, 2.0], 3, replacement=False)) == [0, 1, 2]
    assert list(mdata.WeightedRandomSampler([1.0, 0.0, 2.0], 3, replacement=False))[2] == 1


@pytest.mark.parametrize(("weights", "n", "replacement"), [
    ([1.0, -1.0], 2, True), ([0.0, 0.0], 2, True), ([1.0, float("nan")], 1, True), ([1.0, 1.0], 3, False),
])
def test_weighted_random_sampler_errors_are_torchs(weights: list, n: int, replacement: bool) -> None:
    with pytest.raises(RuntimeError) as theirs:
        list(tdata.WeightedRandomSampler(weights, n, replacement=replacement))
    with pytest.raises(RuntimeError) as ours:
        list(mdata.WeightedRandomSampler(weights, n, replacement=replacement))
    assert str(ours.value) == str(theirs.value)
    for bad in ({"num_samples": 0}, {"num_samples": 2, "replacement": 1}):
        with pytest.raises(ValueError):
            mdata.WeightedRandomSampler([1.0, 2.0], **bad)


def test_shuffling_loader_with_a_generator_is_torchs() -> None:
    ours, theirs = _pair(0)
    loader_ours = mdata.DataLoader(list(range(10)), batch_size=4, shuffle=True, generator=ours)
    loader_theirs = tdata.DataLoader(list(range(10)), batch_size=4, shuffle=True, generator=theirs)
    for _ in range(3):  # each epoch draws torch's worker seed base, then its permutation
        assert [b.tolist() for b in loader_ours] == [b.tolist() for b in loader_theirs]


def test_distributed_sampler_uses_torchs_permutation() -> None:
    ours = list(mdata.DistributedSampler(range(23), num_replicas=3, rank=1, seed=4))
    theirs = list(tdata.distributed.DistributedSampler(range(23), num_replicas=3, rank=1, seed=4))
    assert ours == theirs
