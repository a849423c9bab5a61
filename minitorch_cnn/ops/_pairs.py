"""torch's (height, width) arguments: an int or a pair of ints, checked against a lower bound."""

from __future__ import annotations

import operator
from typing import Any


def pair(value: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    """``value`` (int, or a 1- or 2-sequence of ints; NumPy ints too) as (h, w), each ≥ ``minimum``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(items) == 1:
        items = items * 2
    try:
        if len(items) != 2:
            raise TypeError
        items = tuple(operator.index(v) for v in items)
    except TypeError:
        raise RuntimeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}") from None
    if min(items) < minimum:
        raise RuntimeError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return items
