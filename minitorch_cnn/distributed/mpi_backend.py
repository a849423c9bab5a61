"""The "mpi" backend: collectives on NumPy arrays through mpi4py (MPICH or Open MPI underneath).

MPI's blocking collectives have no timeout, so each one is started non-blocking (``Iallreduce``, ``Ibcast``...)
and waited on in :class:`Work`, which polls with a growing sleep: a rank that never arrives makes the others raise
after the group's timeout instead of hanging, and a waiting rank leaves the cores to the ranks still computing
(MPICH's own blocking wait spins on a core).
"""

from __future__ import annotations

import faulthandler
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import DistBackendError
from .reduce_op import ReduceOp


def _import_mpi_waiting_for_every_rank_to_reach_init_process_group() -> Any:
    """Import mpi4py's MPI: MPI_Init, which returns once every rank of the job has called it. Named for what a
    timeout report (its traceback) should say."""
    from mpi4py import MPI

    return MPI


def load_mpi(timeout_s: float | None = None) -> Any:
    """mpi4py's ``MPI`` module, or a clear ImportError.

    Importing it initialises MPI, which waits for every rank of the job with no timeout, holding the GIL. With
    ``timeout_s``, faulthandler's watchdog (a thread of its own that needs no GIL) ends this rank if that wait is
    not over in time, printing where it waited, and ``mpiexec`` then ends the job.
    """
    watch = timeout_s is not None and "mpi4py.MPI" not in sys.modules
    if watch:
        faulthandler.dump_traceback_later(timeout_s, exit=True)
    try:
        return _import_mpi_waiting_for_every_rank_to_reach_init_process_group()
    except ImportError as e:
        raise ImportError(
            "the 'mpi' backend needs mpi4py and an MPI library: pip install 'minitorch_cnn[dist]' "
            "(mpi4py and mpich, which brings mpiexec)"
        ) from e
    finally:
        if watch:
            faulthandler.cancel_dump_traceback_later()


class Work:
    """A started collective, like torch's ``Work``: ``wait()`` blocks until it is done, then runs ``finish``
    (copying a contiguous staging buffer back, say). ``test`` polls it once; ``what`` names it in errors."""

    def __init__(self, test: Callable[[], bool], what: str, timeout_s: float,
                 finish: Callable[[], None] | None = None) -> None:
        self._test, self._what, self._timeout_s, self._finish = test, what, timeout_s, finish
        self._done = False

    def is_completed(self) -> bool:
        if not self._done and self._test():
            self._complete()
        return self._done

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the collective is done; raise DistBackendError after ``timeout`` seconds (default: the
        process group's)."""
        if self._done:
            return True
        limit = self._timeout_s if timeout is None else float(timeout)
        start, pause = time.monotonic(), 0.0
        while not self._test():
            if time.monotonic() - start > limit:
                raise DistBackendError(
                    f"mt.distributed: {self._what} did not complete within {limit:g} s: another rank has not "
                    "joined it (it is still computing, hung, or died before reaching it)"
                )
            if pause:
                time.sleep(pause)
            pause = min(2 * pause or 1e-5, 1e-3)
        self._complete()
        return True


class MPIBackend:
    """Collectives over ``MPI.COMM_WORLD`` (a duplicate of it, so a user's own MPI traffic cannot mix in)."""

    name = "mpi"

    def __init__(self, timeout_s: float) -> None:
        MPI = load_mpi(timeout_s)
        self.MPI = MPI
        self.rank, self.size, self.timeout_s = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size(), timeout_s
        self.comm, request = MPI.COMM_WORLD.Idup()  # collective: waited on with the timeout, as the others
        self._work(request, "init_process_group").wait()
        self._ops = {ReduceOp.SUM: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX,
                     ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}

    def local_size(self) -> int:
        """How many ranks share this machine."""
        node = self.comm.Split_type(self.MPI.COMM_TYPE_SHARED)
        try:
            return node.Get_size()
        finally:
            node.Free()

    def _work(self, request: Any, what: str, finish: Callable[[], None] | None = None) -> Work:
        return Work(request.Test, f"{what} (rank {self.rank} of {self.size})", self.timeout_s, finish)

    def allreduce(self, arr: np.ndarray, op: ReduceOp, finish: Callable[[], None] | None = None) -> Work:
        """Combine ``arr`` (C-contiguous) over the ranks, in place."""
        if op not in self._ops:
            raise ValueError(f"ReduceOp.{op.name} is not supported by the mpi backend (as with torch's gloo): "
                             "all_reduce with ReduceOp.SUM and divide by the world size")
        return self._work(self.comm.Iallreduce(self.MPI.IN_PLACE, arr, op=self._ops[op]), "all_reduce", finish)

    def broadcast(self, arr: np.ndarray, src: int, finish: Callable[[], None] | None = None) -> Work:
        """Overwrite ``arr`` (C-contiguous) on every rank with rank ``src``'s."""
        return self._work(self.comm.Ibcast(arr, root=src), "broadcast", finish)

    def allgather(self, send: np.ndarray, recv: np.ndarray, finish: Callable[[], None] | None = None) -> Work:
        """recv: (world_size, *send.shape), row r receiving rank r's ``send``."""
        return self._work(self.comm.Iallgather(send, recv), "all_gather", finish)

    def barrier(self) -> Work:
        return self._work(self.comm.Ibarrier(), "barrier")

    def abort(self, code: int) -> None:
        """End every rank of the job at once."""
        self.MPI.COMM_WORLD.Abort(code)

    def close(self) -> None:
        self.comm.Free()
