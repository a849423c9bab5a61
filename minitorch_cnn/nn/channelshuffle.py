"""``ChannelShuffle``: ShuffleNet's interleaving of the channel groups of (N, C, *)."""

from __future__ import annotations

from ..autograd import Tensor
from . import functional as F
from .module import Module


class ChannelShuffle(Module):
    """(N, C, *) -> (N, C, *), channels regrouped: output channel i·g + j is input channel j·(C/g) + i."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
