"""``mt.utils``: torch.utils's names for the parts CNN training uses (``mt.utils.data``, ``mt.utils.hooks``,
``mt.utils.tensorboard``, ``mt.utils.checkpoint``).

The submodules load on first use, not with this package: ``hooks`` serves the autograd floor, which must be able to
import it before ``data`` (which needs autograd's Tensor) can load.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_SUBMODULES = ("benchmark", "checkpoint", "data", "hooks", "tensorboard")


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
