"""``DistributedSampler``: each rank's share of a dataset, the same indices torch's sampler gives.

Shuffling draws ``torch.randperm(len(dataset))`` from a generator seeded with ``seed + epoch``: an ``mt.Generator``,
which draws torch's permutation (``backend/generator.py``), so the order is torch's without torch.

Then, as torch: pad by repeating the head of the list to a multiple of the world size (or drop the tail with
``drop_last``), and give rank r the indices r, r + world, r + 2·world, ...
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from ...backend import Generator
from .sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of ``dataset`` for rank ``rank`` of ``num_replicas`` (default: the process group's).

    Call ``set_epoch(epoch)`` before each epoch so that every epoch shuffles differently (the same on all ranks).
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("Requires distributed package to be available")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        indices = (Generator().manual_seed(self.seed + self.epoch).permutation(n) if self.shuffle
                   else np.arange(n, dtype=np.int64))
        if not self.drop_last:
            padding = self.total_size - n
            if padding > 0:  # repeat the head, as often as needed when the dataset is smaller than the padding
                indices = np.concatenate([indices, np.resize(indices, padding)])
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
