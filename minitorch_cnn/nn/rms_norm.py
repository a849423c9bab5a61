"""``RMSNorm``: root-mean-square normalisation of the last len(normalized_shape) axes (``ops/rms_norm.py``), with a
learned scale ``weight`` (ones) of ``normalized_shape`` when ``elementwise_affine``, as torch's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor
from ..ops.factories import ones
from ..ops.rms_norm import rms_norm
from .module import Module
from .parameter import Parameter


class RMSNorm(Module):
    def __init__(self, normalized_shape: Any, eps: float | None = None, elementwise_affine: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
