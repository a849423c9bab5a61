"""``mt.nn.parallel``: DistributedDataParallel over ``mt.distributed``."""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
