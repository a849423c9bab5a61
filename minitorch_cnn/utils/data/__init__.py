"""``mt.utils.data``: datasets, samplers and the DataLoader, with torch.utils.data's names and semantics."""

from .dataloader import DataLoader, default_collate, default_convert
from .dataset import ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "DataLoader", "default_collate", "default_convert", "ChainDataset", "ConcatDataset", "IterableDataset", "Dataset",
    "Subset", "TensorDataset",
    "random_split", "BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "DistributedSampler", "WorkerInfo", "get_worker_info",
]
