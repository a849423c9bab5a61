"""``DistributedSampler``: each rank's share of a dataset, the same indices torch's sampler gives.

Shuffling draws ``torch.randperm(len(dataset))`` from a generator seeded with ``seed + epoch``. torch's CPU
generator is the 32-bit Mersenne Twister (mt19937) seeded with the low 32 bits of the seed, and its randperm
swaps position ``i`` with ``i + r_i mod (n - i)`` for i = 0 .. n-2, r_i the twister's successive outputs
(aten/src/ATen/native/TensorFactories.cpp, ``randperm_cpu``, for n below 2**32 / 20). NumPy's ``MT19937`` is the same
twister, seeded the same way by ``RandomState(seed)``, so the permutation is reproduced without torch.

Then, as torch: pad by repeating the head of the list to a multiple of the world size (or drop the tail with
``drop_last``), and give rank r the indices r, r + world, r + 2·world, ...
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from .sampler import Sampler


def torch_randperm(n: int, seed: int) -> np.ndarray:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed))`` on the CPU, as int64."""
    if n >= 2**32 // 20:
        raise ValueError(f"torch_randperm reproduces torch's 32-bit draw, used for n < {2**32 // 20}; got n={n}")
    _, key, pos, *_ = np.random.RandomState(seed & 0xFFFFFFFF).get_state()
    twister = np.random.MT19937()
    twister.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
    draws = twister.random_raw(max(n - 1, 0)).astype(np.int64)
    perm = np.arange(n, dtype=np.int64)
    offsets = draws % (n - np.arange(n - 1, dtype=np.int64)) if n > 1 else draws
    for i, z in enumerate(offsets.tolist()):  # each swap depends on the ones before: a loop
        j = i + z
        perm[i], perm[j] = perm[j], perm[i]
    return perm


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
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else np.arange(n, dtype=np.int64)
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
