"""Padding layers: ``ZeroPad*``, ``ConstantPad*``, ``ReflectionPad*``, ``ReplicationPad*``, ``CircularPad*``
(1-d and 2-d), ``F.pad`` as modules with torch's arguments: ``padding`` an int (every side) or the
(left, right[, top, bottom]) tuple."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.padding import pad
from .module import Module


class _Pad(Module):
    _mode = "constant"
    _dims = 2

    def __init__(self, padding: Any) -> None:
        super().__init__()
        sides = 2 * self._dims
        self.padding = (int(padding),) * sides if isinstance(padding, int) else tuple(int(p) for p in padding)
        if len(self.padding) != sides:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a {sides}-tuple, got {padding!r}")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPad(_ConstantPad):
    """ZeroPad1d/2d/3d: ConstantPad with value 0, the repr only the padding."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_ConstantPad):
    _dims = 1


class ConstantPad2d(_ConstantPad):
    _dims = 2


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """``ConstantPad1d`` with value 0."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """``ConstantPad2d`` with value 0."""


class ReflectionPad1d(_Pad):
    _mode, _dims = "reflect", 1


class ReflectionPad2d(_Pad):
    _mode, _dims = "reflect", 2


class ReplicationPad1d(_Pad):
    _mode, _dims = "replicate", 1


class ReplicationPad2d(_Pad):
    _mode, _dims = "replicate", 2


class CircularPad1d(_Pad):
    _mode, _dims = "circular", 1


class CircularPad2d(_Pad):
    _mode, _dims = "circular", 2
