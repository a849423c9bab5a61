"""Arrays in memory that processes share: torch's ``Tensor.share_memory_()`` on NumPy.

``share(a)`` copies a host array into a shared segment and returns an array over it. A segment is a memory file
(``memfd_create``; an unlinked file in /dev/shm or the temp folder where that is missing) mapped MAP_SHARED, and it
keeps its file descriptor open while mapped. So a process forked later maps the same pages, and a process started
by ``spawn``/``forkserver`` (or reached through a ``multiprocessing`` Queue) can map them too from a duplicate of
the descriptor (``multiprocessing/reductions.py`` sends it, as torch's "file_descriptor" strategy does). Either
way a write by one side is seen by the other: what Hogwild training relies on. A device (CuPy) array is returned
as it is: torch's CUDA tensors count as shared already.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import weakref
from typing import Any

import numpy as np


class Segment(mmap.mmap):
    """A shared mapping that knows its file descriptor (``fd``), closed when the mapping is collected."""

    fd: int


def _memory_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("minitorch-shared", os.MFD_CLOEXEC)
    folder = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    fd, path = tempfile.mkstemp(prefix="minitorch-shared-", dir=folder)
    os.unlink(path)  # the pages live as long as a descriptor or a mapping does
    return fd


def attach(fd: int, nbytes: int) -> Segment:
    """Map ``nbytes`` of the memory file ``fd`` (the segment owns ``fd`` from now on)."""
    segment = Segment(fd, nbytes)
    segment.fd = fd
    weakref.finalize(segment, os.close, fd)
    return segment


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def segment_of(a: Any) -> tuple[Segment, int] | None:
    """The segment under host array ``a`` and the byte offset of ``a``'s first element in it (None: not shared)."""
    if not isinstance(a, np.ndarray):
        return None
    base = _root(a).base
    segment = base.obj if isinstance(base, memoryview) else base  # NumPy keeps one or the other as the base
    if not isinstance(segment, Segment):
        return None
    start = np.frombuffer(segment, dtype=np.uint8, count=1).__array_interface__["data"][0]
    return segment, a.__array_interface__["data"][0] - start


def is_shared(a: Any) -> bool:
    """Whether ``a`` lives in shared memory (a device array always counts as shared, as in torch)."""
    return not isinstance(a, np.ndarray) or segment_of(a) is not None


def array_on(segment: Segment, offset: int, shape: tuple, strides: tuple, dtype: Any) -> np.ndarray:
    """The array of ``shape``/``strides``/``dtype`` that starts ``offset`` bytes into ``segment``."""
    return np.ndarray(shape, dtype=dtype, buffer=memoryview(segment), offset=offset, strides=strides)


def share(a: Any) -> Any:
    """``a``'s values in a C-contiguous array on a fresh shared segment (``a`` itself when shared already)."""
    if is_shared(a):
        return a
    fd = _memory_file()
    nbytes = max(a.nbytes, 1)  # a mapping cannot be empty
    os.ftruncate(fd, nbytes)
    out = array_on(attach(fd, nbytes), 0, a.shape, None, a.dtype)
    out[...] = a
    return out
