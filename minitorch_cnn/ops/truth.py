"""A tensor's truth value (``bool(x)``, ``if x:``, ``while x:``), as torch's ``Tensor.__bool__``.

A one-element tensor of any shape is true when its element is non-zero (NaN is true); a tensor of no elements or
of several is ambiguous and raises torch's RuntimeError, naming which. Not differentiable: the answer is a Python
bool.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor


def tensor_bool(self: Tensor) -> bool:
    """``bool(self)``: the one element's truth; RuntimeError for none or several, as torch."""
    size = self._data.size
    if size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self.item())


METHODS: dict[str, Any] = {"__bool__": tensor_bool}
