"""v2's ``AugMix``: v1's algorithm (``augmix.py``) with v2's operations (``_auto_augment._apply_op``: v2's kernels,
Solarize's threshold a fraction of the dtype's range), v2's sign draw (a uniform <= 0.5 negates), the fill passed as
given, and v2's repr; it takes v2 samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....autograd import Tensor
from .. import augmix as v1
from ..warp import torch_linspace
from ._auto_augment import _apply_op
from ._sample import SampleTransform


class AugMix(SampleTransform, v1.AugMix):
    """See ``augmix.py``; the defaults are v2's."""

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1, alpha: float = 1.0,
                 all_ops: bool = True, interpolation: Any = "bilinear", fill: Any = None) -> None:
        super().__init__(severity, mixture_width, chain_depth, alpha, all_ops, interpolation, fill)

    def space(self, height: int, width: int) -> dict[str, tuple[np.ndarray | None, bool]]:
        ops = super().space(height, width)
        ops["Solarize"] = (torch_linspace(1.0, 0.0, 10, np.dtype(np.float32)), False)
        return ops

    def negate(self, gen: np.random.Generator) -> bool:
        return bool(gen.random() <= 0.5)

    def apply_op(self, img: Tensor, op: str, magnitude: float, fill: Any) -> Tensor:
        return _apply_op(img, op, magnitude, self.interpolation, fill)

    def fill_for(self, channels: int) -> Any:
        return self.fill

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        fill = f", fill={self.fill}" if self.fill is not None else ""
        return (f"AugMix(interpolation={mode}{fill}, severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops})")
