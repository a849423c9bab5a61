"""``Dropout1d``, ``AlphaDropout`` and ``FeatureAlphaDropout``: active in training mode only (identity in eval),
torch's arguments and reprs (``_DropoutNd`` of dropout.py)."""

from __future__ import annotations

from ..autograd import Tensor
from ..ops.alpha_dropout import alpha_dropout, feature_alpha_dropout
from ..ops.dropout1d import dropout1d
from .dropout import _DropoutNd


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) (or (C, L)) input with probability p, scale the rest by 1/(1-p)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return dropout1d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's zero mean and unit variance (dropped units take its saturation value). Its
    ``inplace`` is kept and shown but, as torch's module, not passed on: the result is out of place."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of (N, C, *) input."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return feature_alpha_dropout(input, self.p, self.training)
