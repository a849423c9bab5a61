"""Starting and ending ranks: ``mpiexec`` for ``--nproc N``, one thread share per rank, abort on an uncaught error.

MPI has no timeouts, and a rank that dies with an exception would leave the others waiting in their next
collective for ever: :func:`abort_on_exception` makes an uncaught exception print its traceback and then end
every rank of the job (``MPI_Abort``), as mpi4py's ``python -m mpi4py`` runner does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def under_mpiexec() -> bool:
    """Whether this process was started by an MPI launcher (MPICH's hydra or Open MPI's)."""
    return "PMI_RANK" in os.environ or "OMPI_COMM_WORLD_RANK" in os.environ


def thread_share(ranks_on_node: int) -> int:
    """Each rank's share of this machine's cores (at least 1)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, ranks_on_node))


def cap_threads(n: int) -> None:
    """Run the CPU kernels on at most ``n`` threads in this process: the package's count (``mt.set_num_threads``:
    the batch-splitting pool; NumPy's OpenBLAS runs one thread under that policy anyway) and Numba's. Numba reads
    its ceiling when first imported, so before that the environment variable is set."""
    from ..kernels import threads

    if threads.get_num_threads() > n:
        threads.set_num_threads(n)
    numba = sys.modules.get("numba")
    if numba is None:
        os.environ["NUMBA_NUM_THREADS"] = str(n)
    elif numba.get_num_threads() > n:
        numba.set_num_threads(n)


ABORT_GRACE_S = 0.5  # for mpiexec to forward the report before MPI_Abort ends the job


def abort_on_exception(abort: Callable[[int], Any], rank: int) -> None:
    """Make an uncaught exception on this rank print its traceback, then end the whole job through ``abort``."""
    previous = sys.excepthook

    def hook(exc_type: type, exc: BaseException, tb: Any) -> None:
        sys.stdout.flush()
        head = f"mt.distributed: rank {rank} raised {exc_type.__name__}; ending every rank of the job\n"
        if previous is sys.__excepthook__:
            # one write of the whole report: the default hook writes it piecemeal, and MPI_Abort can end the
            # job while mpiexec is still forwarding the pieces (the message line was seen lost under load)
            data = (head + "".join(traceback.format_exception(exc_type, exc, tb))).encode(errors="replace")
            sys.stderr.flush()
            while data:
                data = data[os.write(2, data):]
        else:
            sys.stderr.write(head)
            previous(exc_type, exc, tb)
            sys.stderr.flush()
        time.sleep(ABORT_GRACE_S)
        abort(1)

    sys.excepthook = hook


def mpiexec_command(nproc: int, argv: Sequence[str]) -> list[str]:
    """``mpiexec -n nproc python argv...`` with this interpreter, or a clear error when there is no mpiexec."""
    if not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"--nproc must be a positive integer, got {nproc!r}")
    exe = shutil.which("mpiexec")
    if exe is None:
        raise RuntimeError("--nproc needs mpiexec on PATH: pip install 'minitorch_cnn[dist]' (mpi4py and mpich)")
    return [exe, "-n", str(nproc), sys.executable, *argv]


def spawn(nproc: int, argv: Sequence[str]) -> int:
    """Run ``python argv...`` as ``nproc`` MPI ranks, each capped to its share of the cores; the exit status of
    the job (non-zero when any rank failed)."""
    env = dict(os.environ)
    share = str(thread_share(nproc))
    for name in _THREAD_VARIABLES:
        env[name] = share
    return subprocess.run(mpiexec_command(nproc, argv), env=env, check=False).returncode
