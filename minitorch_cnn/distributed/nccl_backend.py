"""The "nccl" backend: collectives on CuPy arrays through NCCL (``cupy.cuda.nccl``), one GPU per rank.

NCCL runs each collective as a kernel on the current stream; :class:`Work` polls a CUDA event recorded after it,
so waiting has the same timeout as the MPI backend. The communicator's unique id is made on rank 0 and shared over
MPI (ranks started by ``mpiexec``) or over TCP at ``MASTER_ADDR``/``MASTER_PORT`` (``rendezvous``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from .mpi_backend import Work
from .reduce_op import ReduceOp

# NCCL's enums (nccl.h: ncclDataType_t, ncclRedOp_t), stable across its releases
_DTYPES = {np.dtype(np.int8): 0, np.dtype(np.uint8): 1, np.dtype(np.bool_): 1, np.dtype(np.int32): 2,
           np.dtype(np.uint32): 3, np.dtype(np.int64): 4, np.dtype(np.uint64): 5, np.dtype(np.float16): 6,
           np.dtype(np.float32): 7, np.dtype(np.float64): 8}
_OPS = {ReduceOp.SUM: 0, ReduceOp.PRODUCT: 1, ReduceOp.MAX: 2, ReduceOp.MIN: 3, ReduceOp.AVG: 4}


def make_unique_id() -> bytes:
    """A fresh NCCL unique id (on rank 0), as bytes to send to the others."""
    nccl = backend.require_cuda().cuda.nccl
    return bytes(np.asarray(nccl.get_unique_id(), dtype=np.int8).view(np.uint8))


class NCCLBackend:
    """A NCCL communicator over ``world_size`` ranks, this one on GPU ``device`` (local rank modulo the count)."""

    name = "nccl"

    def __init__(self, rank: int, world_size: int, unique_id: bytes, device: int, timeout_s: float) -> None:
        cp = backend.require_cuda()
        self.cp, self.nccl = cp, cp.cuda.nccl
        cp.cuda.Device(device).use()
        uid = tuple(int(v) for v in np.frombuffer(unique_id, dtype=np.int8))
        self.comm = self.nccl.NcclCommunicator(world_size, uid, rank)
        self.rank, self.size, self.timeout_s = rank, world_size, timeout_s

    def _dtype(self, arr: Any) -> int:
        code = _DTYPES.get(np.dtype(arr.dtype))
        if code is None:
            raise TypeError(f"the nccl backend cannot communicate {arr.dtype} arrays")
        return code

    def _work(self, what: str, finish: Callable[[], None] | None = None) -> Work:
        event = self.cp.cuda.Event(block=False, disable_timing=True)
        event.record()
        return Work(lambda: event.done, f"{what} (rank {self.rank} of {self.size})", self.timeout_s, finish)

    def allreduce(self, arr: Any, op: ReduceOp, finish: Callable[[], None] | None = None) -> Work:
        if op not in _OPS:
            raise ValueError(f"ReduceOp.{op.name} is not supported by the nccl backend")
        stream = self.cp.cuda.get_current_stream().ptr
        self.comm.allReduce(arr.data.ptr, arr.data.ptr, arr.size, self._dtype(arr), _OPS[op], stream)
        return self._work("all_reduce", finish)

    def broadcast(self, arr: Any, src: int, finish: Callable[[], None] | None = None) -> Work:
        stream = self.cp.cuda.get_current_stream().ptr
        self.comm.bcast(arr.data.ptr, arr.size, self._dtype(arr), src, stream)
        return self._work("broadcast", finish)

    def allgather(self, send: Any, recv: Any, finish: Callable[[], None] | None = None) -> Work:
        stream = self.cp.cuda.get_current_stream().ptr
        self.comm.allGather(send.data.ptr, recv.data.ptr, send.size, self._dtype(send), stream)
        return self._work("all_gather", finish)

    def barrier(self) -> Work:
        return self.allreduce(self.cp.zeros(1, dtype=np.float32), ReduceOp.SUM)

    def close(self) -> None:
        self.comm.destroy()
