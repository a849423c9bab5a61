"""Samplers: which dataset indices a DataLoader visits, and in what order (torch.utils.data's samplers).

Randomness: a sampler given ``generator`` draws from it, so its orders are reproducible on their own; without one it
draws from the global generator (``mt.manual_seed``), so seeding the framework fixes the order. An ``mt.Generator``
draws torch's numbers (``torch.Generator().manual_seed(s)`` gives the same orders and splits as torch's); a
``np.random.Generator`` or an int seed (which makes one) draws NumPy's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor

AnyGenerator = np.random.Generator | backend.Generator


def as_generator(generator: AnyGenerator | int | None) -> AnyGenerator | None:
    """``generator`` as something to draw from: an ``mt.Generator`` or ``np.random.Generator`` as given (the two
    share the ``permutation``/``integers`` calls the samplers make), an int as the seed of a NumPy one; None stays
    None (use the global one)."""
    if generator is None or isinstance(generator, (np.random.Generator, backend.Generator)):
        return generator
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
        generator: AnyGenerator | int | None = None,
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
        # drawn lazily, in torch's pieces (32 indices at a time; one permutation per pass, and a last one cut to
        # the remainder, drawn even when that is empty), so a generator shared with others advances as torch's
        n = len(self.data_source)
        gen = self.generator
        if gen is None:
            gen = np.random.default_rng(int(backend.generator().integers(0, 2**63)))
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from gen.integers(0, n, size=32).tolist()
            if self.num_samples % 32:
                yield from gen.integers(0, n, size=self.num_samples % 32).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from gen.permutation(n).tolist()
        yield from gen.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a fresh permutation each pass)."""

    def __init__(self, indices: Sequence[int], generator: AnyGenerator | int | None = None) -> None:
        self.indices = indices
        self.generator = as_generator(generator)

    def __iter__(self) -> Iterator[int]:
        gen = self.generator if self.generator is not None else backend.generator()
        return (self.indices[i] for i in gen.permutation(len(self.indices)).tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (torch.multinomial's draw).

    torch.multinomial's two algorithms: with replacement (and more than one sample), u ~ U[0, 1) per sample and
    the first index whose normalised cumulative weight reaches u; otherwise the indices of the largest w / q,
    q ~ Exp(1) (so zero weights come last, after every positive one). An ``mt.Generator`` gives torch's u, hence
    torch's indices, in the first case; the exponential draws are NumPy's.
    """

    def __init__(self, weights: Sequence[float] | Any, num_samples: int, replacement: bool = True,
                 generator: AnyGenerator | int | None = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.array(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        self.weights = Tensor._wrap(w)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = as_generator(generator)

    def __iter__(self) -> Iterator[int]:
        w = np.asarray(self.weights._data, dtype=np.float64)
        if (w < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not np.isfinite(w).all():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        total = w.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > w.size:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        gen = self.generator if self.generator is not None else backend.generator()
        if self.replacement and self.num_samples > 1:
            cumulative = np.cumsum(w) / total  # running sums in order, as torch's kernel adds them
            picks = np.searchsorted(cumulative, gen.random(self.num_samples), side="left")
        else:
            keys = w / gen.exponential(size=w.size)
            picks = np.argsort(-keys, kind="stable")[: self.num_samples]
        return iter(picks.tolist())

    def __len__(self) -> int:
        return self.num_samples


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
