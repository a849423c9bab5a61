"""``autocast``: the region in which torch runs chosen ops in a lower precision (float16/bfloat16).

This library computes in float32 or float64 only, so a region that would really lower precision cannot be had:
``autocast(..., enabled=True)`` on the CPU (bfloat16 or float16) or on a CUDA device raises, saying so. What
torch itself turns off is turned off the same way, with torch's warning: "cuda" when no GPU is present, and a
dtype CPU autocast does not take. ``enabled=False`` (``enabled=use_amp`` with use_amp False, the usual idiom) is
a region that changes nothing, as in torch.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .. import backend

_DEVICE_TYPES = ("cpu", "cuda")


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether an autocast region lowers precision for ``device_type``: never here (enabling one raises)."""
    if device_type is not None and device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: "
                           f"{device_type}")
    return False


class autocast:  # noqa: N801 - torch's name
    """``with mt.autocast(device_type, dtype=None, enabled=True, cache_enabled=None):`` or as a decorator."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device string: "
                               f"{device_type}")
        self.device = device_type
        self.fast_dtype = dtype
        self._cache_enabled = cache_enabled
        if enabled and device_type == "cuda" and not backend.cuda_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
            enabled = False
        if enabled and device_type == "cpu" and dtype is not None and backend.to_dtype(dtype) != backend.float16:
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtype of torch.bfloat16, torch.float16 currently.", stacklevel=2)
            enabled = False
        if enabled:
            lowered = "bfloat16" if dtype is None and device_type == "cpu" else "float16" if dtype is None else dtype
            raise RuntimeError(f"autocast('{device_type}') would run ops in {lowered}: minitorch_cnn computes in "
                               "float32 and float64 only, so mixed precision is not available; use enabled=False "
                               "(the model then runs in float32, as torch's does without autocast)")
        self._enabled = enabled

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper
