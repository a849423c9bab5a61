"""Anomaly detection (``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``): for debugging NaN gradients.

While it is on, every recorded op keeps the stack of the Python call that made it (``Function.apply``), and the
backward pass checks each node's gradients: the first node whose backward returns a NaN raises RuntimeError
naming it, as torch's ("Function 'SqrtBackward0' returned nan values in its 0th output."), after a warning that
shows where that node was made. ``check_nan=False`` keeps the stacks and skips the check. Off, it costs one list
read per op and per node.
"""

from __future__ import annotations

import functools
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from .. import backend

_anomaly = [False, True]  # [enabled, check_nan]


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on."""
    return _anomaly[0]


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly detection checks the gradients for NaN."""
    return _anomaly[1]


class detect_anomaly:  # noqa: N801 - torch's name
    """``with mt.autograd.detect_anomaly():`` (or as a decorator): anomaly detection on inside the block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self._prev = tuple(_anomaly)
        _anomaly[:] = [True, self.check_nan]

    def __exit__(self, *exc: Any) -> None:
        _anomaly[:] = list(self._prev)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - torch's name
    """``mt.autograd.set_detect_anomaly(True)`` turns it on at once; as a context manager it restores the previous
    setting at the end of the block."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = tuple(_anomaly)
        _anomaly[:] = [bool(mode), bool(check_nan)]

    def __enter__(self) -> None:
        """The setting was made when the object was; the block only restores it at the end."""

    def __exit__(self, *exc: Any) -> None:
        _anomaly[:] = list(self._prev)


def forward_stack() -> str:
    """Where the op being recorded was called from (this module and the autograd core left out)."""
    frames = [f for f in traceback.extract_stack()[:-2] if "/autograd/" not in f.filename.replace("\\", "/")]
    return "".join(traceback.format_list(frames))


def check_grads(node: Any, grads: tuple) -> None:
    """Raise, naming ``node``, if any gradient it returned holds a NaN (arrays, or Tensors under create_graph)."""
    for i, g in enumerate(grads):
        if g is None:
            continue
        data = getattr(g, "_data", g)
        if data.dtype.kind in "fc" and bool(backend.array_module(data).isnan(data).any()):
            stack = node.__dict__.get("_anomaly_stack")
            if stack is not None:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                              f"{stack}", UserWarning, stacklevel=3)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
