"""torch.nn.functional's deprecated upsampling names, each ``interpolate`` with torch's fixed arguments and its
deprecation warning: ``upsample`` (any mode), ``upsample_nearest`` (mode 'nearest'), ``upsample_bilinear``
(mode 'bilinear' with align_corners=True, as torch's; interpolate's own default is False)."""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd import Tensor
from .interpolate import interpolate


def _deprecated(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",  # noqa: A002
             align_corners: bool | None = None) -> Tensor:
    """``torch.nn.functional.upsample``: ``interpolate(input, size, scale_factor, mode, align_corners)``."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """``torch.nn.functional.upsample_nearest``: nearest-neighbour ``interpolate``."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    """``torch.nn.functional.upsample_bilinear``: bilinear ``interpolate`` with align_corners=True."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
