"""``torch.multiprocessing``: Python's ``multiprocessing`` under torch's name, plus ``spawn`` / ``start_processes``
(``spawn.py``) and the sharing-strategy settings.

Tensors and modules are shared between processes with ``Tensor.share_memory_()`` / ``Module.share_memory()``,
which move their storage into shared memory files (``backend.shared_memory``): a process forked later reads and
writes the very same memory, and one started by ``spawn``/``forkserver`` or reached through a Queue receives
shared tensors by file descriptor (``reductions``), so it does too (Hogwild training). That is torch's
"file_descriptor" strategy; "file_system" is accepted and shares the same way.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F403 - torch re-exports the whole of Python's multiprocessing

from .reductions import init_reductions
from .spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    spawn,
    start_processes,
)

_all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = ["file_descriptor"]


def set_sharing_strategy(new_strategy: str) -> None:
    """Choose torch's strategy for sharing CPU tensors ("file_descriptor" or "file_system"); both share by
    descriptor here (see the module docstring), so the choice is recorded for ``get_sharing_strategy``."""
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"Invalid sharing strategy {new_strategy!r}: expected one of "
                             f"{sorted(_all_sharing_strategies)}")
    _sharing_strategy[0] = new_strategy


def get_sharing_strategy() -> str:
    """The strategy last set (torch's default on Linux: "file_descriptor")."""
    return _sharing_strategy[0]


def get_all_sharing_strategies() -> set[str]:
    """The strategies ``set_sharing_strategy`` accepts."""
    return set(_all_sharing_strategies)


init_reductions()

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException", "ProcessRaisedException",
           "get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy", "spawn",
           "start_processes", *multiprocessing.__all__]
