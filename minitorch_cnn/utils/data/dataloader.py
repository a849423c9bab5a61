"""``DataLoader`` and ``default_collate``: batches of minitorch Tensors from a dataset, as torch's.

Batches are built on the CPU; the caller moves them with ``x.to(device)``, as in torch. When the collate is
the default one and the dataset offers ``get_batch`` (the in-memory vision datasets and ``TensorDataset`` do,
and ``Subset`` passes it through), a whole batch is made with one fancy index and one vectorised transform, in the
calling process (that beats shipping the batch between processes); otherwise items are fetched one by one and
collated, in ``num_workers`` worker processes when asked (``worker.py``).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ... import backend
from ...autograd import Tensor
from ...backend.random import generator as global_generator
from .dataset import IterableDataset, batch_getter
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _InfiniteConstantSampler, as_generator
from .worker import WorkerPool


def _stack(arrays: list[Any], what: str) -> Tensor:
    try:
        return Tensor._wrap(backend.array_module(arrays[0]).stack(arrays))
    except ValueError:
        shapes = sorted({tuple(a.shape) for a in arrays})
        raise RuntimeError(f"default_collate: stack expects each {what} to have the same shape, got {shapes}") from None


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, field by field, as torch's ``default_collate``.

    Tensors and NumPy arrays are stacked on a new first dimension (keeping their dtype: a uint8 image stays
    uint8, a ToTensor image is float32); Python ints become int64, floats float64, bools bool; strings are
    kept as they come (the list or tuple of them); dicts, tuples and lists are collated per field (a tuple
    sample gives a list of fields).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([b._data for b in batch], "tensor")
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SUOV":
            raise TypeError(f"default_collate: numpy arrays of dtype {elem.dtype} cannot become tensors")
        return _stack(list(batch), "array")
    if isinstance(elem, np.generic):
        return Tensor._wrap(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch  # as given, torch's rule: a list from dict samples, a tuple from tuple samples
    if isinstance(elem, Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(field) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {type(elem)}"
    )


def default_convert(data: Any) -> Any:
    """Without batching: NumPy arrays become Tensors, containers are converted field by field."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SUOV":
        return Tensor._wrap(data)
    if isinstance(data, Mapping):
        return {key: default_convert(v) for key, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data


class DataLoader:
    """Iterates over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    shuffle: a fresh random order each epoch, drawn from ``generator`` (a ``np.random.Generator`` or an int
    seed, turned into a generator once, so successive epochs differ but the whole sequence is reproducible),
    else from the global generator (``mt.manual_seed``). ``batch_size=None`` turns batching off.
    ``num_workers > 0``: items are fetched and collated in that many processes (fork on Linux), seeded as torch's,
    with ``worker_init_fn``, ``prefetch_factor`` (batches in flight per worker, default 2), ``persistent_workers``
    (kept between epochs), ``timeout`` (seconds to wait for a batch; 0: no limit) and ``multiprocessing_context``;
    batches come in order. Where the vectorised batch path applies (and no ``worker_init_fn`` asks for workers)
    the batches are built in the calling process, with the draws of ``num_workers=0``.
    ``pin_memory`` pins nothing (there is no pinned host memory here); without a GPU each epoch warns that it is
    unused, as torch's does without an accelerator.
    An ``IterableDataset`` is read in its own order (no sampler, no shuffle), ``batch_size`` items at a time; with
    workers, each iterates its own copy and batches come from them in turn, skipping those that have ended.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler: Sampler | Iterable[int] | None = None,
        batch_sampler: Sampler | Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], Any] | None = None,
        multiprocessing_context: Any = None,
        generator: np.random.Generator | int | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
    ) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"num_workers option should be non-negative; use num_workers=0 to disable multiprocessing "
                f"(got {num_workers!r})"
            )
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"prefetch_factor option should be a positive int, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        self.generator = as_generator(generator)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (("shuffle", shuffle or None), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value is not None:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                                     f"{name}={value}")
            sampler = _InfiniteConstantSampler()
        if sampler is None:
            sampler = RandomSampler(dataset, generator=self.generator) if shuffle else SequentialSampler(dataset)
        elif shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None or not num_workers else 2
        self.persistent_workers = persistent_workers
        self._pool: WorkerPool | None = None
        self._auto_collation = batch_sampler is not None
        self._default_collate = collate_fn is None
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)

    def _fetch(self, dataset: Any, indices: Any) -> Any:
        """One batch (or one item without batching) in a worker, item by item as torch's fetcher. For an
        IterableDataset ``dataset`` is the worker's iterator over it, and StopIteration says it has ended."""
        if self._iterable:
            if not self._auto_collation:
                return self.collate_fn(next(dataset))
            items = list(itertools.islice(dataset, len(indices)))
            if not items or (self.drop_last and len(items) < len(indices)):
                raise StopIteration
            return self.collate_fn(items)
        if not self._auto_collation:
            return self.collate_fn(dataset[indices])
        return self.collate_fn([dataset[i] for i in indices])

    def _base_seed(self) -> int | None:
        """The epoch's worker seed base, one draw in [0, 2**63). From the loader's own generator it is drawn on
        every epoch, workers or not, before the sampler's draws, as torch's iterator does (so an ``mt.Generator``
        goes on to torch's shuffle); from the global generator only when workers start (None here), so that a
        loader without workers shuffles as its sampler alone does under ``mt.manual_seed``."""
        return None if self.generator is None else int(self.generator.integers(0, 2**63))

    def _workers(self, base_seed: int | None) -> WorkerPool:
        if self._pool is None or not self._pool.procs:
            seed = int(global_generator().integers(0, 2**63)) if base_seed is None else base_seed
            self._pool = WorkerPool(self.dataset, self._fetch, self.num_workers, self.prefetch_factor, self.timeout,
                                    self.worker_init_fn, self.multiprocessing_context, seed)
        return self._pool

    def __iter__(self) -> Iterator[Any]:
        if self.pin_memory and not backend.cuda_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=2)
        base_seed = self._base_seed()
        fast = (not self._iterable and self._auto_collation and self._default_collate
                and batch_getter(self.dataset) is not None)
        if self.num_workers and (self.worker_init_fn is not None or not fast):
            return self._from_workers(base_seed)
        return self._here()

    def _from_workers(self, base_seed: int | None) -> Iterator[Any]:
        pool = self._workers(base_seed)
        try:
            yield from pool.run(iter(self.batch_sampler if self._auto_collation else self.sampler))
        finally:
            if not self.persistent_workers:
                pool.close()
                self._pool = None

    def _here(self) -> Iterator[Any]:
        dataset, collate = self.dataset, self.collate_fn
        if self._iterable:
            stream = iter(dataset)
            for indices in self.batch_sampler if self._auto_collation else self.sampler:
                try:
                    yield self._fetch(stream, indices)
                except StopIteration:
                    return
        if not self._auto_collation:
            for index in self.sampler:
                yield collate(dataset[index])
            return
        get_batch = batch_getter(dataset) if self._default_collate else None
        for indices in self.batch_sampler:
            if get_batch is not None:
                batch = get_batch(np.asarray(indices, dtype=np.int64))
                if batch is not None:
                    yield batch
                    continue
            yield collate([dataset[i] for i in indices])

    def __len__(self) -> int:
        if self._iterable:  # torch's rule: the dataset's own length, in batches
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)  # type: ignore[arg-type]
