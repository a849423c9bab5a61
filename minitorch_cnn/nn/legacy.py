"""torch's deprecated ``nn`` names that old scripts still call: ``NLLLoss2d`` (NLLLoss, which takes (N, C, H, W)
itself) and ``Container`` (a Module whose keyword arguments become submodules; deprecated with torch's warning)."""

from __future__ import annotations

import warnings
from typing import Any

from .loss import NLLLoss
from .module import Module


class NLLLoss2d(NLLLoss):
    """NLLLoss under its old name (same arguments)."""


class Container(Module):
    def __init__(self, **kwargs: Any) -> None:
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
                      "Subclass that instead.", FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
