"""``Size``: the shape of a tensor, a tuple as torch's ``torch.Size``."""

from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """A tuple of ints printing as ``mt.Size([2, 3])`` (torch's ``torch.Size([2, 3])``); slicing gives a Size."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"mt.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index: Any) -> Any:
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, tuple(other)))

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)
