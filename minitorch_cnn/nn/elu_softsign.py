"""Activation layers ``ELU`` and ``Softsign`` (any input shape), over ``ops/exponential_linear.py`` and
``ops/softsign.py``. ``inplace=True`` writes into the input as in the other activation layers (see
``activation.py``)."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.exponential_linear import elu
from ..ops.softsign import softsign
from .module import Module


class ELU(Module):
    """x for x > 0, α(eˣ - 1) else."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return softsign(input)
