"""``Parameter``: a Tensor that a Module registers as learnable (requires_grad=True by default)."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.factories import empty, tensor


class Parameter(Tensor):
    """A leaf Tensor that ``Module.__setattr__`` registers as a parameter, as ``torch.nn.Parameter``.

    ``Parameter(tensor)`` shares the tensor's storage; arrays and lists are converted like ``mt.tensor``.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = empty(0)
        self._set(data._data if isinstance(data, Tensor) else tensor(data)._data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
