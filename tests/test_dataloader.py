"""mt.utils.data against torch.utils.data: collation, samplers, random_split's lengths, DataLoader's batching
rules and errors; reproducible shuffling from mt.manual_seed or a generator; and the vectorised batch path
(dataset.get_batch) giving exactly what item-by-item loading and collation give.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import minitorch_cnn as mt
from minitorch_cnn.autograd import Tensor
from minitorch_cnn.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)
from minitorch_cnn.vision import datasets
from minitorch_cnn.vision import transforms as MT

Pair = namedtuple("Pair", ["a", "b"])


class Items(Dataset):
    """Samples built from an index, to see which indices a loader visits."""

    def __init__(self, n: int, make=lambda i: (np.full((2, 3), i, np.uint8), i)) -> None:
        self.n, self.make = n, make

    def __getitem__(self, i):
        return self.make(i)

    def __len__(self):
        return self.n


def _same(ours, theirs) -> None:
    """Collated structures equal: Tensors ↔ torch tensors (values and dtype), containers field by field."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, Tensor), type(ours)
        ref = theirs.numpy()
        assert ours.dtype == ref.dtype and np.array_equal(ours._data, ref), (ours._data, ref)
    elif isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _same(o, t)
    else:
        assert ours == theirs


def _indices(loader) -> list[int]:
    return [int(v) for _, y in loader for v in y._data]


# ---- collation ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda i, r: (r.integers(0, 256, (2, 3), dtype=np.uint8), i),
    lambda i, r: (r.random((3,)).astype(np.float32), float(i) / 3, i % 2 == 0),
    lambda i, r: {"x": r.random((2,)), "y": [i, i + 1], "name": f"s{i}"},
    lambda i, r: Pair(np.int64(i), r.random((1, 2))),
    lambda i, r: [np.float64(i), (i, float(i))],
])
def test_default_collate_matches_torch(make):
    rng = np.random.default_rng(0)
    samples = [make(i, rng) for i in range(4)]
    _same(default_collate(samples), tud.default_collate(samples))


def test_default_collate_stacks_tensors_and_reports_ragged_items():
    samples = [Tensor._wrap(np.full((2, 2), i, np.float32)) for i in range(3)]
    out = default_collate(samples)
    assert out.shape == (3, 2, 2) and out.dtype == np.float32 and out._data[2, 0, 0] == 2
    with pytest.raises(RuntimeError, match="same shape"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="found"):
        default_collate([object()])


# ---- samplers -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    ref = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(ref) and len(ours) == len(ref)


def test_batch_sampler_errors():
    with pytest.raises(ValueError, match="positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="boolean"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutes_reproducibly():
    data = range(50)
    mt.manual_seed(0)
    a = list(RandomSampler(data))
    mt.manual_seed(0)
    b = list(RandomSampler(data))
    assert a == b and sorted(a) == list(data) and a != list(data)
    assert list(RandomSampler(data, generator=7)) == list(RandomSampler(data, generator=np.random.default_rng(7)))
    more = list(RandomSampler(data, num_samples=120, generator=1))
    assert len(more) == 120 and sorted(more[:50]) == list(data) and sorted(more[50:100]) == list(data)
    drawn = list(RandomSampler(data, replacement=True, num_samples=500, generator=2))
    assert len(drawn) == 500 and len(set(drawn[:50])) < 50 and min(drawn) >= 0 and max(drawn) < 50
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(data, num_samples=0)
    with pytest.raises(TypeError, match="generator"):
        RandomSampler(data, generator="seed")


def test_subset_random_sampler_visits_only_its_indices():
    indices = [3, 9, 4, 17, 11]
    mt.manual_seed(1)
    first = list(SubsetRandomSampler(indices))
    mt.manual_seed(1)
    assert list(SubsetRandomSampler(indices)) == first and sorted(first) == sorted(indices)
    assert len(SubsetRandomSampler(indices)) == 5


# ---- datasets -----------------------------------------------------------------------------------------------
def test_tensor_dataset_subset_and_concat():
    x = Tensor._wrap(np.arange(12.0).reshape(6, 2))
    y = Tensor._wrap(np.arange(6))
    ds = TensorDataset(x, y)
    assert len(ds) == 6 and np.array_equal(ds[4][0]._data, [8.0, 9.0]) and ds[4][1].item() == 4
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, Tensor._wrap(np.arange(5)))
    sub = Subset(ds, [5, 0, 2])
    assert len(sub) == 3 and sub[0][1].item() == 5 and sub[-1][1].item() == 2
    both = ds + Items(3)
    assert isinstance(both, ConcatDataset) and len(both) == 9
    assert both[7][1] == 1 and both[-1][1] == 2 and both[5][1].item() == 5
    with pytest.raises(ValueError, match="should not exceed"):
        both[-10]


@pytest.mark.filterwarnings("ignore:Length of split")
@pytest.mark.parametrize("n,lengths", [
    (10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (7, [0.2, 0.2, 0.6]), (100, [0.1] * 10), (5, [0.9, 0.1]),
])
def test_random_split_lengths_match_torch(n, lengths):
    mt.manual_seed(0)
    parts = random_split(Items(n), lengths)
    ref = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [len(r) for r in ref]
    seen = sorted(i for p in parts for i in p.indices)
    assert seen == list(range(n))
    mt.manual_seed(0)
    assert [p.indices for p in random_split(Items(n), lengths)] == [p.indices for p in parts]
    assert [p.indices for p in random_split(Items(n), lengths, generator=3)] == [
        p.indices for p in random_split(Items(n), lengths, generator=np.random.default_rng(3))
    ]


def test_random_split_rejects_bad_lengths():
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(Items(5), [0.9, 0.1])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Items(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Items(10), [0.5, 0.6])


# ---- the loader ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (12, 4, True), (3, 8, False)])
def test_loader_batches_in_order_with_drop_last(n, batch_size, drop_last):
    loader = DataLoader(Items(n), batch_size=batch_size, drop_last=drop_last)
    ref = tud.DataLoader(Items(n), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(ref)
    batches = list(loader)
    assert len(batches) == len(ref)
    for ours, theirs in zip(batches, ref):
        _same(ours, theirs)


def test_loader_shuffle_is_reproducible_from_the_seed_or_a_generator():
    ds = Items(40)
    mt.manual_seed(0)
    epoch1 = _indices(DataLoader(ds, batch_size=7, shuffle=True))
    mt.manual_seed(0)
    again = DataLoader(ds, batch_size=7, shuffle=True)
    assert _indices(again) == epoch1 and sorted(epoch1) == list(range(40))
    assert _indices(again) != epoch1  # the next epoch is another order
    mt.manual_seed(1)
    assert _indices(DataLoader(ds, batch_size=7, shuffle=True)) != epoch1
    seeded = DataLoader(ds, batch_size=5, shuffle=True, generator=11)
    orders = [_indices(seeded) for _ in range(3)]
    assert len({tuple(o) for o in orders}) == 3
    assert [_indices(DataLoader(ds, batch_size=5, shuffle=True, generator=11)) for _ in range(1)][0] == orders[0]
    gen_loader = DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(11))
    assert [_indices(gen_loader) for _ in range(3)] == orders


def test_loader_with_samplers_and_without_batching():
    ds = Items(10)
    assert _indices(DataLoader(ds, batch_size=3, sampler=[9, 2, 5, 5])) == [9, 2, 5, 5]
    assert _indices(DataLoader(ds, batch_sampler=[[1, 2], [7], [0, 3, 4]])) == [1, 2, 7, 0, 3, 4]
    mt.manual_seed(2)
    picked = _indices(DataLoader(ds, batch_size=2, sampler=SubsetRandomSampler([1, 4, 6])))
    assert sorted(picked) == [1, 4, 6]
    single = list(DataLoader(ds, batch_size=None))
    assert len(single) == 10 and isinstance(single[3][0], Tensor) and single[3][1] == 3
    _same(single[3], list(tud.DataLoader(ds, batch_size=None))[3])
    assert len(DataLoader(ds, batch_size=None)) == 10
    custom = list(DataLoader(ds, batch_size=4, collate_fn=lambda items: [i for _, i in items]))
    assert custom == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_sampler": [[0]], "batch_size": 2}, "mutually exclusive"),
    ({"batch_sampler": [[0]], "shuffle": True}, "mutually exclusive"),
    ({"sampler": [0, 1], "shuffle": True}, "mutually exclusive with shuffle"),
    ({"batch_size": None, "drop_last": True}, "disables auto-batching"),
    ({"num_workers": -1}, "non-negative"),
])
def test_loader_rejects_what_torch_rejects(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Items(3), **kwargs)
    with pytest.raises(ValueError):
        tud.DataLoader(Items(3), **kwargs)


# ---- the vectorised path ------------------------------------------------------------------------------------
def _no_items(ds):
    """The dataset's class with __getitem__ forbidden: loading must go through get_batch (restated in the
    subclass, which vouches that it matches the items: a subclass overriding __getitem__ alone is read item by item).
    """

    def refuse(self, index):
        raise AssertionError("item-by-item path used")

    ds.__class__ = type("NoItems", (type(ds),), {"__getitem__": refuse, "get_batch": type(ds).get_batch})
    return ds


@pytest.mark.parametrize("transform", [
    None,
    MT.ToTensor(),
    MT.Compose([MT.ToTensor(), MT.Normalize((0.1307,), (0.3081,))]),
    MT.Compose([MT.RandomCrop(28, padding=2), MT.ToTensor(), MT.Normalize((0.1307,), (0.3081,))]),
])
def test_loader_batches_equal_item_by_item_collation(transform):
    plain = datasets.MNIST(datasets.sample_root(), train=False, transform=transform)
    fast = _no_items(datasets.MNIST(datasets.sample_root(), train=False, transform=transform))
    subset = Subset(plain, list(range(999, 0, -3)))
    fast_subset = Subset(fast, subset.indices)
    for a, b in ((plain, fast), (subset, fast_subset)):
        mt.manual_seed(4)
        expected = [default_collate([a[i] for i in idx]) for idx in BatchSampler(RandomSampler(a), 64, False)]
        mt.manual_seed(4)
        got = list(DataLoader(b, batch_size=64, shuffle=True))
        assert len(got) == len(expected)
        for (gx, gy), (ex, ey) in zip(got, expected):
            assert gx.dtype == ex.dtype and np.array_equal(gx._data, ex._data)
            assert gy.dtype == np.int64 and np.array_equal(gy._data, ey._data)


def test_loader_types_and_fallbacks():
    tf = MT.Compose([MT.ToTensor(), MT.Normalize((0.5,), (0.5,))])
    x, y = next(iter(DataLoader(datasets.MNIST(datasets.sample_root(), transform=tf), batch_size=8)))
    assert x.shape == (8, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    with_lambda = datasets.MNIST(datasets.sample_root(), transform=MT.Compose([MT.ToTensor(), MT.Lambda(lambda t: t)]))
    assert with_lambda.get_batch(np.arange(3)) is None
    targets = datasets.MNIST(datasets.sample_root(), transform=tf, target_transform=lambda t: t + 1)
    assert targets.get_batch(np.arange(3)) is None
    _, y2 = next(iter(DataLoader(targets, batch_size=8)))
    assert np.array_equal(y2._data, y._data + 1)
    ds = TensorDataset(Tensor._wrap(np.arange(10.0)), Tensor._wrap(np.arange(10) * 2))
    _same(list(DataLoader(ds, batch_size=4))[1], list(tud.DataLoader(
        tud.TensorDataset(torch.arange(10.0, dtype=torch.float64), torch.arange(10) * 2), batch_size=4))[1])
