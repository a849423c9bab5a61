"""Arrays in memory that processes share: torch's ``Tensor.share_memory_()`` on NumPy.

``share(a)`` copies a host array into an anonymous shared mapping (``mmap(-1, n)``: MAP_SHARED | MAP_ANONYMOUS)
and returns an array over it. A process forked after that maps the same pages, so a write by either side is seen
by the other: what Hogwild training relies on (a model's parameters shared, each worker's optimizer updating them
in place). Processes started by ``spawn``/``forkserver`` receive pickled copies, so sharing needs ``fork``.
A device (CuPy) array is returned as it is: torch's CUDA tensors count as shared already.
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np


def is_shared(a: Any) -> bool:
    """Whether ``a`` lives in shared memory (a device array always counts as shared, as in torch)."""
    if not isinstance(a, np.ndarray):
        return True
    base = a
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)


def share(a: Any) -> Any:
    """``a``'s values in a C-contiguous array on a fresh shared mapping (``a`` itself when shared already)."""
    if is_shared(a):
        return a
    buffer = mmap.mmap(-1, max(a.nbytes, 1))  # a mapping cannot be empty
    out = np.frombuffer(memoryview(buffer)[:a.nbytes], dtype=a.dtype).reshape(a.shape)
    out[...] = a
    return out
