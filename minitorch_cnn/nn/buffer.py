"""``Buffer``: a Tensor that, assigned as a Module attribute, is registered as a buffer (torch ≥ 2.5's
``nn.Buffer(data, persistent=True)``): module state that is not learned, in ``state_dict`` unless not persistent."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.factories import empty


class Buffer(Tensor):
    """``Buffer(data)`` shares ``data``'s storage, detached (``requires_grad`` kept, as torch's); ``persistent``
    says whether ``Module.__setattr__`` registers it into ``state_dict``."""

    __slots__ = ("persistent",)

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        if data is None:
            data = empty(0)
        self._set(data._data)
        if data.requires_grad:
            self.requires_grad_(True)
        self.persistent = persistent

    def __reduce_ex__(self, protocol: int) -> tuple:
        """Tensor's pickle, with ``persistent`` as the slot state."""
        return (*super().__reduce_ex__(protocol), (None, {"persistent": self.persistent}))

    def __deepcopy__(self, memo: dict) -> Any:
        new = super().__deepcopy__(memo)
        new.persistent = self.persistent
        return new
