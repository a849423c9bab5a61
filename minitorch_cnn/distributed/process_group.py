"""The default process group and torch.distributed's collectives on Tensors.

One group per process, made by :func:`init_process_group`: "mpi" (CPU, NumPy arrays, ranks started by
``mpiexec``) or "nccl" (CUDA, CuPy arrays, one GPU per rank). Every collective writes its result into the given
Tensors in place, as torch's do, and waits with the group's timeout (default 30 minutes, torch's), so a rank that
never arrives makes the others raise ``DistBackendError`` instead of hanging. Collectives must be called by every
rank in the same order, as with any MPI or NCCL program.
"""

from __future__ import annotations

import atexit
import datetime
import os
import pickle
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import launch
from .mpi_backend import Work
from .reduce_op import ReduceOp

_group: list[Any] = [None]  # the default group's backend (MPIBackend or NCCLBackend), None before init
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


def is_available() -> bool:
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py imports (it brings an MPI library with it)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available() -> bool:
    """Whether CuPy sees a GPU and was built with NCCL."""
    if not backend.cuda_available():
        return False
    return bool(getattr(backend.require_cuda().cuda.nccl, "available", False))


def is_initialized() -> bool:
    return _group[0] is not None


def _backend() -> Any:
    if _group[0] is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _group[0]


def _check_group(group: Any) -> None:
    if group is not None:
        raise ValueError("mt.distributed has one process group, the default: pass group=None")


def _seconds(timeout: datetime.timedelta | float | None) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT.total_seconds()
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
    if seconds <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return seconds


def _env_int(name: str, given: int) -> int:
    if given >= 0:
        return given
    if name not in os.environ:
        raise ValueError(f"init_process_group(backend='nccl') outside mpiexec needs {name.lower()}= or the "
                         f"environment variable {name} (with MASTER_ADDR and MASTER_PORT), as torchrun sets")
    return int(os.environ[name])


def _init_nccl(init_method: str | None, world_size: int, rank: int, timeout_s: float) -> Any:
    from . import nccl_backend, rendezvous

    if launch.under_mpiexec() and init_method is None:
        from .mpi_backend import load_mpi

        world = load_mpi().COMM_WORLD
        rank, world_size = world.Get_rank(), world.Get_size()
        uid = world.bcast(nccl_backend.make_unique_id() if rank == 0 else None, root=0)
    else:
        rank, world_size = _env_int("RANK", rank), _env_int("WORLD_SIZE", world_size)
        if init_method is not None and init_method.startswith("tcp://"):
            addr, port = init_method[len("tcp://"):].rsplit(":", 1)
        elif init_method in (None, "env://"):
            addr, port = os.environ.get("MASTER_ADDR", "127.0.0.1"), os.environ.get("MASTER_PORT", "")
            if not port:
                raise ValueError("init_process_group(backend='nccl'): set MASTER_PORT (and MASTER_ADDR), or pass "
                                 "init_method='tcp://host:port'")
        else:
            raise ValueError(f"init_method must be 'env://' or 'tcp://host:port', got {init_method!r}")
        uid = rendezvous.share_from_rank0(nccl_backend.make_unique_id() if rank == 0 else None, rank, world_size,
                                          addr, int(port), timeout_s)
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    devices = backend.require_cuda().cuda.runtime.getDeviceCount()
    return nccl_backend.NCCLBackend(rank, world_size, uid, local_rank % devices, timeout_s)


def _abort(code: int) -> None:
    """End every rank: through MPI when the ranks were started by mpiexec, else this process at once (a launcher
    such as torchrun then ends the others)."""
    if launch.under_mpiexec():
        from .mpi_backend import load_mpi

        load_mpi().COMM_WORLD.Abort(code)
    os._exit(code)


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | float | None = None, world_size: int = -1,
                       rank: int = -1) -> None:
    """Join the job's ranks into the default process group, torch's ``init_process_group``.

    backend: "mpi" (the default; rank and world size come from ``mpiexec``) or "nccl" (one GPU per rank; rank and
    size from ``mpiexec``, or ``rank``/``world_size``/``RANK``/``WORLD_SIZE`` with ``MASTER_ADDR``/``MASTER_PORT``
    or ``init_method='tcp://host:port'``). Waits up to ``timeout`` for every rank to join, then makes an uncaught
    exception on any rank end the whole job, and caps each rank's BLAS/Numba threads to its share of the cores.
    """
    if _group[0] is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    timeout_s = _seconds(timeout)
    if name == "mpi":
        from .mpi_backend import MPIBackend

        group = MPIBackend(timeout_s)
        if (world_size not in (-1, group.size)) or (rank not in (-1, group.rank)):
            warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are ignored since they are "
                          "assigned by the MPI runtime.", stacklevel=2)
        share = launch.thread_share(group.local_size())
    elif name == "nccl":
        group = _init_nccl(init_method, world_size, rank, timeout_s)
        share = None
    else:
        raise ValueError(f"init_process_group: backend must be 'mpi' (CPU) or 'nccl' (CUDA), got {backend!r}")
    launch.abort_on_exception(_abort, group.rank)
    _group[0] = group
    try:
        group.barrier().wait()  # every rank has joined (or the timeout says which has not)
    except BaseException:
        _group[0] = None
        raise
    atexit.register(_release_at_exit, group)
    if share is not None:
        launch.cap_threads(share)


def _release_at_exit(group: Any) -> None:
    """Free the group's communicator before MPI is finalised (mpi4py's own exit handler, registered earlier, runs
    later), when the program did not call destroy_process_group."""
    if _group[0] is group:
        destroy_process_group()


def destroy_process_group(group: Any = None) -> None:
    _check_group(group)
    _backend().close()
    _group[0] = None


def get_rank(group: Any = None) -> int:
    _check_group(group)
    return _backend().rank


def get_world_size(group: Any = None) -> int:
    _check_group(group)
    return _backend().size


def get_backend(group: Any = None) -> str:
    _check_group(group)
    return _backend().name


def _raw(tensor: Any, what: str) -> Any:
    """The array under ``tensor``, checked against the group's device."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(tensor).__name__}")
    arr = tensor._data
    on_cuda = not isinstance(arr, np.ndarray)
    if on_cuda != (_backend().name == "nccl"):
        raise ValueError(f"{what}: the {_backend().name} backend communicates "
                         f"{'CUDA' if _backend().name == 'nccl' else 'CPU'} tensors, got one on {tensor.device}")
    return arr


def _staged(arr: Any) -> tuple[Any, Any]:
    """A C-contiguous buffer for ``arr`` and what copies it back after the collective (None when ``arr`` is one)."""
    if arr.flags.c_contiguous:
        return arr, None
    buf = arr.copy()

    def back() -> None:
        arr[...] = buf

    return buf, back


def _finish(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> Work | None:
    """Combine ``tensor`` over the ranks with ``op``, in place on every rank."""
    _check_group(group)
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a ReduceOp, got {op!r}")
    buf, back = _staged(_raw(tensor, "all_reduce"))
    work = _backend().allreduce(buf, op, finish=back)
    tensor._version_counter[0] += 1
    return _finish(work, async_op)


def _check_src(src: int) -> None:
    size = _backend().size
    if not 0 <= src < size:
        raise ValueError(f"src rank {src} is out of range for a world of {size} ranks")


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False) -> Work | None:
    """Overwrite ``tensor`` on every rank with rank ``src``'s (same shape and dtype on every rank)."""
    _check_group(group)
    _check_src(src)
    buf, back = _staged(_raw(tensor, "broadcast"))
    work = _backend().broadcast(buf, src, finish=back)
    tensor._version_counter[0] += 1
    return _finish(work, async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank."""
    _check_group(group)
    arr = _raw(tensor, "all_gather")
    size = _backend().size
    if len(tensor_list) != size:
        raise ValueError(f"all_gather: tensor_list must hold world_size={size} tensors, got {len(tensor_list)}")
    outs = [_raw(t, "all_gather") for t in tensor_list]
    for o in outs:
        if o.shape != arr.shape or o.dtype != arr.dtype:
            raise ValueError(f"all_gather: every output must be shaped and typed like the input {tuple(arr.shape)} "
                             f"{arr.dtype}, got {tuple(o.shape)} {o.dtype}")
    xp = backend.array_module(arr)
    recv = xp.empty((size,) + arr.shape, dtype=arr.dtype)

    def scatter_rows() -> None:
        for o, row in zip(outs, recv):
            o[...] = row

    work = _backend().allgather(xp.ascontiguousarray(arr), recv, finish=scatter_rows)
    for t in tensor_list:
        t._version_counter[0] += 1
    return _finish(work, async_op)


def barrier(group: Any = None, async_op: bool = False) -> Work | None:
    """Wait until every rank has reached this call."""
    _check_group(group)
    return _finish(_backend().barrier(), async_op)


def _bytes_array(payload: bytes) -> Any:
    arr = np.frombuffer(payload, dtype=np.uint8).copy()
    return backend.move_to(arr, "cuda") if _backend().name == "nccl" else arr


def _to_bytes(arr: Any) -> bytes:
    return backend.move_to(arr, "cpu").tobytes()


def broadcast_object_list(object_list: list, src: int = 0, group: Any = None, device: Any = None) -> None:
    """Replace ``object_list``'s items on every rank with rank ``src``'s (pickled), in place."""
    _check_group(group)
    _check_src(src)
    g = _backend()
    payload = pickle.dumps(list(object_list)) if g.rank == src else b""
    size = _bytes_array(np.array([len(payload)], dtype=np.int64).tobytes()).view(np.int64)
    g.broadcast(size, src).wait()
    buf = _bytes_array(payload) if g.rank == src else _bytes_array(bytes(int(size[0])))
    g.broadcast(buf, src).wait()
    if g.rank != src:
        received = pickle.loads(_to_bytes(buf))
        if len(received) != len(object_list):
            raise ValueError(f"broadcast_object_list: rank {src} sent {len(received)} objects, this rank's list "
                             f"holds {len(object_list)}")
        object_list[:] = received


def all_gather_object(object_list: list, obj: Any, group: Any = None) -> None:
    """Fill ``object_list[r]`` with rank r's ``obj`` (pickled), on every rank."""
    _check_group(group)
    g = _backend()
    if len(object_list) != g.size:
        raise ValueError(f"all_gather_object: object_list must hold world_size={g.size} items, got "
                         f"{len(object_list)}")
    payload = pickle.dumps(obj)
    mine = _bytes_array(np.array([len(payload)], dtype=np.int64).tobytes()).view(np.int64)
    sizes = _bytes_array(bytes(8 * g.size)).view(np.int64).reshape(g.size, 1)
    g.allgather(mine, sizes).wait()
    sizes = [int(s) for s in backend.move_to(sizes, "cpu").ravel()]
    padded = _bytes_array(payload + bytes(max(sizes) - len(payload)))
    everyone = _bytes_array(bytes(max(sizes) * g.size)).reshape(g.size, max(sizes))
    g.allgather(padded, everyone).wait()
    rows = backend.move_to(everyone, "cpu")
    object_list[:] = [pickle.loads(rows[r, : sizes[r]].tobytes()) for r in range(g.size)]
