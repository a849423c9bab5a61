"""``mt.nn.parallel``: DistributedDataParallel over ``mt.distributed``, and the one-device ``DataParallel``."""

from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
