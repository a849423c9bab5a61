"""``torch.use_deterministic_algorithms`` and its two queries.

torch's flag makes nondeterministic kernels (atomics-based scatter-adds and the like on CUDA) pick a deterministic
variant, or raise where none exists. The kernels here are deterministic already (fixed reduction orders; the
scatter-adds are sequential or bincounts), so there is nothing to switch: the setting is checked, kept and
reported, and results are the same either way, run after run.
"""

from __future__ import annotations

_state = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the setting (see the module docstring); ``mode`` and ``warn_only`` must be bools, as torch's."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    _state["mode"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]
