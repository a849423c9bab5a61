"""``mt.nn.parallel``: DistributedDataParallel over ``mt.distributed``, and the one-device ``DataParallel``."""

from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
