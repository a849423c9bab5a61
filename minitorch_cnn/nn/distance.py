"""``PairwiseDistance`` and ``CosineSimilarity``: ``F.pairwise_distance`` / ``F.cosine_similarity`` as modules."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.distance import cosine_similarity, pairwise_distance
from .module import Module


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖_p over the last axis: (*, D), (*, D) -> (*)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along ``dim`` (that axis reduced)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)
