"""Whole-tensor comparisons, torch's: ``isclose`` (elementwise), ``allclose`` and ``equal`` (one Python bool).

isclose(a, b): |a - b| <= atol + rtol * |b| (not symmetric in a and b, as torch's), NaN equal to NaN only with
``equal_nan``; inputs broadcast. No gradients: the results are booleans.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor


def _arrays(a: Any, b: Any, fn: str) -> tuple[Any, Any]:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad = a if not isinstance(a, Tensor) else b
        raise TypeError(f"{fn}(): argument 'other' (position 2) must be Tensor, not {type(bad).__name__}")
    return a._data, b._data


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002 - torch's name
            equal_nan: bool = False) -> Tensor:
    """Elementwise |input - other| <= atol + rtol * |other| (a bool Tensor of the broadcast shape)."""
    a, b = _arrays(input, other, "isclose")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{a.dtype} did not match {b.dtype}")
    xp = backend.array_module(a)
    return Tensor._wrap(xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002 - torch's name
             equal_nan: bool = False) -> bool:
    """True when ``isclose`` holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002 - torch's name
    """True when the two have the same shape and the same values (NaN is never equal)."""
    a, b = _arrays(input, other, "equal")
    return a.shape == b.shape and bool(np.asarray(backend.move_to(a == b, "cpu")).all())
