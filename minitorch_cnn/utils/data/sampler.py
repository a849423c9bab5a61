"""Samplers: which dataset indices a DataLoader visits, and in what order (torch.utils.data's samplers).

Randomness: a sampler given ``generator`` (a ``np.random.Generator``, or an int seed that makes one) draws from
it, so its orders are reproducible on their own; without one it draws from the global generator
(``mt.manual_seed``), so seeding the framework fixes the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from ... import backend


def as_generator(generator: np.random.Generator | backend.Generator | int | None) -> np.random.Generator | None:
    """``generator`` as a ``np.random.Generator`` (an int is a seed; an ``mt.Generator`` gives the one it wraps,
    which its ``manual_seed`` reseeds in place); None stays None (use the global one)."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, backend.Generator):
        return generator.rng
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be an mt.Generator, a numpy.random.Generator, an int seed or None, got "
                    f"{type(generator).__name__}")


class Sampler:
    """Base class: ``__iter__`` yields dataset indices (or, for a batch sampler, lists of them)."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class _InfiniteConstantSampler(Sampler):
    """An IterableDataset's sampler, as torch's: None forever (the dataset decides what comes and when it ends)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices (or ``num_samples`` draws with replacement).

    Without a generator each pass draws one seed from the global generator and shuffles with a fresh generator
    made from it, as torch does, so the global stream advances by one draw per epoch whatever the dataset size.
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: np.random.Generator | int | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = as_generator(generator)
        if self.num_samples <= 0:  # torch's check, also for an empty dataset (nothing to shuffle is a bug)
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        gen = self.generator
        if gen is None:
            gen = np.random.default_rng(int(backend.generator().integers(0, 2**63)))
        if self.replacement:
            return iter(gen.integers(0, n, size=self.num_samples).tolist())
        full, rest = divmod(self.num_samples, n)
        parts = [gen.permutation(n) for _ in range(full)] + ([gen.permutation(n)[:rest]] if rest else [])
        return iter(np.concatenate(parts).tolist() if parts else [])

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a fresh permutation each pass)."""

    def __init__(self, indices: Sequence[int], generator: np.random.Generator | int | None = None) -> None:
        self.indices = indices
        self.generator = as_generator(generator)

    def __iter__(self) -> Iterator[int]:
        gen = self.generator if self.generator is not None else backend.generator()
        return (self.indices[i] for i in gen.permutation(len(self.indices)).tolist())

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
