"""``LocalResponseNorm``: AlexNet's normalisation across neighbouring channels of (N, C, *)."""

from __future__ import annotations

from ..autograd import Tensor
from . import functional as F
from .module import Module


class LocalResponseNorm(Module):
    """x / (k + α/size · Σ over ``size`` neighbouring channels of x²)^β."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
