"""The one place that picks which implementation of a kernel runs: ``get(name, arr)``.

An implementation ("path") is a module or package beside this one named ``<path>_kernels`` that defines kernel
functions with the names and signatures of ``numpy_kernels.py`` (the reference, always present and
complete). Adding ``numba_kernels/`` or ``cupy_kernels.py`` is all it takes for a path to join. The user's
switch and the rules that pick a path live in ``choice``; this module adds the reference where the picked
path has no function of that name, and remembers each answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import choice, numpy_kernels
from .choice import DEVICES, ENV_VAR, available, selected, set_kernels, use_kernels

__all__ = ["DEVICES", "ENV_VAR", "KERNELS", "available", "get", "selected", "set_kernels", "use_kernels"]

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
    "sgd_step",
    "adam_step",
)
_resolved: dict[tuple[str, str, str], Callable] = {}  # (kernel, device, choice) -> function


def _resolve(name: str, device: str, path: str) -> Callable:
    if name not in KERNELS:
        raise KeyError(f"no kernel named {name!r}; kernels are {', '.join(KERNELS)}")
    return choice.accelerated(name, device, path) or getattr(numpy_kernels, name)


def get(name: str, arr: Any) -> Callable:
    """The implementation of kernel ``name`` to run on array ``arr`` under the current choice."""
    if getattr(arr, "dtype", None) == np.float16:
        raise TypeError(f"{name}: float16 input is not supported (the kernels compute in float32 or float64); "
                        "convert with .float() first")
    key = (name, choice.device_of(arr), selected())
    fn = _resolved.get(key)
    if fn is None:
        fn = _resolved[key] = _resolve(*key)
    return fn
