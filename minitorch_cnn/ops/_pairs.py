"""torch's (height, width) arguments: an int or a pair of ints, checked against a lower bound; and the 1-d ones
(``single``): an int or a 1-sequence of one."""

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


def single(v: Any, name: str, op: str) -> int:
    """An int, or a 1-element tuple/list of one (torch's ``_single``)."""
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of 1 values to match "
                               f"the convolution dimensions, but got {name}={list(v)}")
        v = v[0]
    return int(v)
