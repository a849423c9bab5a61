"""``torch.func.functional_call``: a module called with other tensors in place of its parameters and buffers (the
swapping itself is module bookkeeping and lives on the nn floor, ``nn/utils/stateless.py``)."""

from __future__ import annotations

from typing import Any

from ..nn.module import Module
from ..nn.utils.stateless import _functional_call


def functional_call(module: Module, parameter_and_buffer_dicts: Any, args: Any = None, kwargs: dict | None = None,
                    *, tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the given ones for this call only
    (restored afterwards, also on an exception). ``parameter_and_buffer_dicts``: one dict name -> tensor, or a tuple
    of dicts (no name in two of them); ``args``: a tuple, or one argument; ``tie_weights``: a tensor registered
    under two names takes the given value under both; ``strict``: every name given, and nothing else."""
    return _functional_call(module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights,
                            strict=strict)
