"""Process-wide switches a training script sets: deterministic algorithms and float32 matmul precision.

``use_deterministic_algorithms(True)``: every kernel here on the CPU is deterministic already (reductions and
scatter-adds run in a fixed order for a given thread count), so the switch records the request, as torch's does
on a CPU build, and changes no result. ``set_float32_matmul_precision``: float32 matmuls and convolutions here
always run in float32 ("highest"); "high" and "medium" only permit TF32/bfloat16 shortcuts on hardware torch
uses them on, which this library does not take, so the setting is recorded and results stay full float32.
"""

from __future__ import annotations

import warnings

_deterministic = {"mode": False, "warn_only": False}
_matmul_precision = ["highest"]
_PRECISIONS = ("highest", "high", "medium")


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        where = " (position 1)" if name == "mode" else ""
        raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{where} must be bool, not "
                        f"{type(value).__name__}")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic kernels (``torch.use_deterministic_algorithms``)."""
    _check_bool("mode", mode)
    _check_bool("warn_only", warn_only)
    _deterministic.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """"highest", "high" or "medium", as ``torch.set_float32_matmul_precision``; anything else warns and is ignored."""
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision[0]
