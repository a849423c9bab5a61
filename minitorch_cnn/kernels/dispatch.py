"""The one place that picks which implementation of a kernel runs.

An implementation ("path") is a module beside this one named ``<path>_kernels.py`` that defines kernel
functions with the names and signatures of ``numpy_kernels.py`` (the reference, always present and
complete). Adding ``numba_kernels.py`` or ``cupy_kernels.py`` is all it takes for a path to join.

Which path runs, for ``get(name, arr)``:
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
from . import numpy_kernels

ENV_VAR = "MINITORCH_KERNELS"
KERNELS = (
    "im2col",
    "col2im",
    "conv2d_forward_chunks",
    "conv2d_backward_chunks",
    "max_pool2d_forward",
    "adaptive_max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "batch_norm_forward",
    "batch_norm_backward",
    "relu_forward",
    "resize_pil_pass",
    "relu_backward",
)
DEVICES = {"numpy": ("cpu", "cuda"), "numba": ("cpu",), "cupy": ("cuda",)}  # the arrays each path runs on
_AUTO = {"cpu": ("numba", "numpy"), "cuda": ("cupy", "numpy")}  # fastest first

_choice: list[str | None] = [None]  # set_kernels / use_kernels; None defers to the environment
_modules: dict[str, Any] = {"numpy": numpy_kernels}  # path -> module, or the reason it cannot load (str)
_resolved: dict[tuple[str, str, str], Callable] = {}  # (kernel, device, choice) -> function


def _load(path: str) -> Any:
    """The module of ``path``, or a string saying why it is not available (looked up once)."""
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
    if path == "auto":
        return path
    if path not in DEVICES:
        raise ValueError(f"{origin}: unknown kernels {path!r}; expected one of 'auto', {', '.join(map(repr, DEVICES))}")
    module = _load(path)
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
    return [p for p in DEVICES if not isinstance(_load(p), str) and (device is None or device in DEVICES[p])]


def _device(arr: Any) -> str:
    return "cpu" if isinstance(arr, np.ndarray) or backend.array_module(arr) is np else "cuda"


def _resolve(name: str, device: str, choice: str) -> Callable:
    if name not in KERNELS:
        raise KeyError(f"no kernel named {name!r}; kernels are {', '.join(KERNELS)}")
    if choice == "auto":
        for path in _AUTO[device]:
            fn = getattr(_load(path), name, None)
            if fn is not None:
                return fn
    path = _check_choice(choice, f"kernels (from {'set_kernels/use_kernels' if _choice[0] else ENV_VAR})")
    if device not in DEVICES[path]:
        raise RuntimeError(
            f"kernels {path!r} run on {' and '.join(DEVICES[path])} arrays, but {name} got a {device} array; "
            f"choose kernels that suit it or 'auto'"
        )
    return getattr(_modules[path], name, None) or getattr(numpy_kernels, name)


def get(name: str, arr: Any) -> Callable:
    """The implementation of kernel ``name`` to run on array ``arr`` under the current choice."""
    choice = selected()
    if getattr(arr, "dtype", None) == np.float16:
        raise TypeError(f"{name}: float16 input is not supported (the kernels compute in float32 or float64); "
                        "convert with .float() first")
    key = (name, _device(arr), choice)
    fn = _resolved.get(key)
    if fn is None:
        fn = _resolved[key] = _resolve(*key)
    return fn
