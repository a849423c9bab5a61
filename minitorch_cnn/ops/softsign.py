"""Softsign, composed of differentiable ops as torch's own (``input.div(input.abs() + 1)``, a DivBackward0 node):

    y = x / (1 + |x|),      dy/dx = 1 / (1 + |x|)²
"""

from __future__ import annotations

from ..autograd import Tensor
from ._util import to_float


def softsign(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.softsign`` of ``input`` (any shape)."""
    x = to_float(input)
    return x / (x.abs() + 1)
