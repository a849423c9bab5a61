"""``CrossMapLRN2d``: torch's legacy cross-channel response normalisation of (N, C, H, W) (``ops/cross_map_lrn.py``)."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.cross_map_lrn import cross_map_lrn2d
from .module import Module


class CrossMapLRN2d(Module):
    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
