"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset`` and ``random_split``, as torch's.

Besides torch's ``__getitem__``/``__len__``, a dataset may offer ``get_batch(indices)``: the batch that
``default_collate([self[i] for i in indices])`` would make, built at once (one fancy index, one vectorised
transform), or None when it cannot. The DataLoader uses it with the default collate to skip the per-item loop.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from .sampler import AnyGenerator, as_generator


def batch_getter(dataset: Any) -> Any:
    """``dataset.get_batch`` when it stands for collating ``dataset[i]``, else None.

    It does when ``get_batch`` was written in a class at least as derived as the one defining ``__getitem__``: a
    subclass that overrides ``__getitem__`` alone (to remap labels, edit images) must be read item by item.
    """
    mro = type(dataset).__mro__
    where = {name: next((i for i, c in enumerate(mro) if name in vars(c)), None) for name in ("__getitem__",
                                                                                          "get_batch")}
    if where["get_batch"] is None or where["__getitem__"] is None or where["get_batch"] > where["__getitem__"]:
        return None
    return dataset.get_batch


class Dataset:
    """Base class: subclasses define ``__getitem__(index)`` and usually ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    def get_batch(self, indices: np.ndarray) -> Any:
        """The collated batch for ``indices`` (int64 array), or None to let the loader collate item by item."""
        return None


class IterableDataset(Dataset):
    """Base class of a stream of samples: subclasses define ``__iter__``. A DataLoader reads it in order (no
    sampler, no shuffle); with ``num_workers`` each worker iterates its own copy (``get_worker_info()`` tells it
    which part to yield, as in torch) and batches come round-robin from the workers still running."""

    def __iter__(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it is iterated, not indexed")

    def __add__(self, other: Any) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable datasets one after the other."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Any:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class TensorDataset(Dataset):
    """Samples are ``tuple(t[i] for t in tensors)``; every tensor has the same first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset takes minitorch Tensors, got {type(t).__name__}")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"Size mismatch between tensors: first dimensions {sizes}")
        self.tensors = tensors

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor._wrap(t._data[index]) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: np.ndarray) -> list[Tensor]:
        # default_collate turns a tuple sample into a list of stacked fields
        return [Tensor._wrap(t._data[backend.move_to(indices, t.device)]) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._index_cache: tuple[Any, np.ndarray] | None = None

    def __getitem__(self, idx: int | list[int]) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    def get_batch(self, indices: np.ndarray) -> Any:
        get = batch_getter(self.dataset)
        if get is None:
            return None
        # the index list becomes an array once, not once per batch (it may hold 50,000 entries)
        if self._index_cache is None or self._index_cache[0] is not self.indices:
            self._index_cache = (self.indices, np.asarray(self.indices, dtype=np.int64))
        return get(self._index_cache[1][indices])


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Fractions summing to 1 become counts as torch makes them: floors, then the remainder one by one."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"Fractions should be between 0 and 1, got {list(lengths)}")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                              stacklevel=3)
        return counts
    return [int(c) for c in lengths]


def random_split(
    dataset: Any, lengths: Sequence[float], generator: AnyGenerator | int | None = None
) -> list[Subset]:
    """Disjoint random ``Subset``s of the given lengths (counts, or fractions that sum to 1).

    The permutation comes from ``generator`` (an ``mt.Generator``: torch's permutation, so the same split as torch's
    for the same seed; a ``np.random.Generator`` or an int seed: NumPy's), else from the global generator
    (``mt.manual_seed``).
    """
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    if sum(counts) != n:
        raise ValueError(
            f"Sum of input lengths does not equal the length of the input dataset! (lengths {list(lengths)} -> "
            f"{counts}, dataset of {n})"
        )
    gen = as_generator(generator) or backend.generator()
    order = gen.permutation(n).tolist()
    offsets = np.cumsum(counts).tolist()
    return [Subset(dataset, order[end - c : end]) for end, c in zip(offsets, counts)]
