"""Which kernel path the user chose, and the accelerated paths' modules, loaded on first use.

The state that ``dispatch`` and the reference kernels share: ``dispatch`` asks it which function to run,
and the reference's composite kernels (chunked conv: im2col + GEMM) ask it for the chosen path's im2col and
col2im. Kept apart from both so that neither imports the other's importer: the reference is the fallback
each caller holds itself, and this module never names it.

Which path runs, for an array on a device:
- the user's choice: ``set_kernels(path)``, the context manager ``use_kernels(path)``, or else the
  environment variable ``MINITORCH_KERNELS``; one of "numpy", "numba", "cupy", or "auto";
- "auto" (nothing asked): the fastest path present for the array's device (numba, else numpy for
  NumPy arrays; cupy, else numpy for CuPy arrays), silently falling back to the reference;
- a path asked for by name must exist and suit the array's device, or a clear error says why not.
  A path may implement a subset of the kernels; the rest run the reference.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .. import backend

ENV_VAR = "MINITORCH_KERNELS"
REFERENCE = "numpy"  # always present: numpy_kernels.py, which every caller falls back to itself
DEVICES = {"numpy": ("cpu", "cuda"), "numba": ("cpu",), "cupy": ("cuda",)}  # the arrays each path runs on
_AUTO = {"cpu": ("numba", "numpy"), "cuda": ("cupy", "numpy")}  # fastest first

_choice: list[str | None] = [None]  # set_kernels / use_kernels; None defers to the environment
_modules: dict[str, Any] = {}  # accelerated path -> its module, or the reason it cannot load (str)


def load(path: str) -> Any:
    """The module ``<path>_kernels`` of an accelerated path, or a string saying why it is not available
    (looked up once). Paths are found by name, so adding ``<path>_kernels.py`` is all it takes to join."""
    if path not in _modules:
        name = f"{__package__}.{path}_kernels"
        if importlib.util.find_spec(name) is None:
            _modules[path] = f"no {path}_kernels.py in {__package__} yet"
        else:
            try:
                _modules[path] = importlib.import_module(name)
            except ImportError as exc:
                _modules[path] = f"{name} failed to import: {exc}"
    return _modules[path]


def _check_choice(path: str, origin: str) -> str:
    if path == "auto" or path == REFERENCE:
        return path
    if path not in DEVICES:
        raise ValueError(f"{origin}: unknown kernels {path!r}; expected one of 'auto', {', '.join(map(repr, DEVICES))}")
    module = load(path)
    if isinstance(module, str):
        raise RuntimeError(f"{origin}: kernels {path!r} were asked for but are not available: {module}")
    return path


def selected() -> str:
    """The path asked for now: set_kernels/use_kernels, else $MINITORCH_KERNELS, else "auto"."""
    return _choice[0] or os.environ.get(ENV_VAR) or "auto"


def set_kernels(path: str | None) -> None:
    """Run kernels with ``path`` ("numpy", "numba", "cupy"); "auto" or None: back to the environment/auto."""
    _choice[0] = None if path is None else _check_choice(path, "set_kernels")


@contextmanager
def use_kernels(path: str) -> Iterator[None]:
    """``with use_kernels("numba"): ...`` runs the block with that path, then restores the previous choice."""
    previous = _choice[0]
    _choice[0] = _check_choice(path, "use_kernels")
    try:
        yield
    finally:
        _choice[0] = previous


def available(device: str | None = None) -> list[str]:
    """The paths whose module loads (on ``device`` "cpu"/"cuda" when given), reference first."""
    return [
        p for p in DEVICES
        if (p == REFERENCE or not isinstance(load(p), str)) and (device is None or device in DEVICES[p])
    ]


def device_of(arr: Any) -> str:
    """"cpu" for NumPy arrays, "cuda" for CuPy arrays."""
    return "cpu" if isinstance(arr, np.ndarray) or backend.array_module(arr) is np else "cuda"


def accelerated(name: str, device: str, choice: str) -> Callable | None:
    """The function ``name`` of the path ``choice`` picks for ``device`` arrays, or None where the reference
    runs (the choice is the reference, or the picked path does not implement ``name``)."""
    if choice == "auto":
        for path in _AUTO[device]:
            fn = None if path == REFERENCE else getattr(load(path), name, None)
            if fn is not None:
                return fn
        return None
    path = _check_choice(choice, f"kernels (from {'set_kernels/use_kernels' if _choice[0] else ENV_VAR})")
    if device not in DEVICES[path]:
        raise RuntimeError(
            f"kernels {path!r} run on {' and '.join(DEVICES[path])} arrays, but {name} got a {device} array; "
            f"choose kernels that suit it or 'auto'"
        )
    return None if path == REFERENCE else getattr(_modules[path], name, None)


def chosen(name: str, arr: Any) -> Callable | None:
    """``accelerated(name, ...)`` for ``arr``'s device under the current choice."""
    return accelerated(name, device_of(arr), selected())
