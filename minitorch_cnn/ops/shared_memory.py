"""``Tensor.share_memory_()`` / ``Tensor.is_shared()``: a tensor's storage moved into memory that forked processes
share (``backend.shared_memory``). Not an op of the graph: the values, the tensor object and its autograd state
stay as they were; only the storage under them moves.
"""

from __future__ import annotations

from ..autograd import Tensor
from ..backend import shared_memory


def share_memory_(self: Tensor) -> Tensor:
    """Move the storage to shared memory (a no-op when it is there already, or on a GPU); returns ``self``."""
    self._data = shared_memory.share(self._data)
    return self


def is_shared(self: Tensor) -> bool:
    """Whether the storage is in shared memory (always for a GPU tensor, as torch)."""
    return shared_memory.is_shared(self._data)


METHODS = {"share_memory_": share_memory_, "is_shared": is_shared}
