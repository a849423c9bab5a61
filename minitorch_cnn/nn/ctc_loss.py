"""``CTCLoss``: the connectionist temporal classification loss layer over ``ops/ctc_loss.py``, torch's arguments."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.ctc_loss import ctc_loss
from .loss import _Loss


class CTCLoss(_Loss):
    """-log p(target | log_probs) summed over all alignments; log_probs (T, N, C), targets (N, S) or concatenated."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any) -> Tensor:
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)
