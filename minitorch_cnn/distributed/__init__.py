"""``mt.distributed``: torch.distributed's process group and collectives on an existing engine.

"mpi" runs on CPU through mpi4py (``pip install 'minitorch_cnn[dist]'``; start the ranks with ``mpiexec -n N``);
"nccl" runs on GPUs through CuPy's NCCL. Nothing here is imported until used: mpi4py and CuPy stay optional.
"""

from . import launch
from .errors import DistBackendError, DistError
from .mpi_backend import Work
from .process_group import (
    DEFAULT_TIMEOUT,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
)
from .reduce_op import ReduceOp

__all__ = [
    "DEFAULT_TIMEOUT", "DistBackendError", "DistError", "ReduceOp", "Work", "all_gather", "all_gather_object",
    "all_reduce", "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "get_backend",
    "get_rank", "get_world_size", "init_process_group", "is_available", "is_initialized", "is_mpi_available",
    "is_nccl_available",
]
