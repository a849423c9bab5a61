"""v2's ``UniformTemporalSubsample``: ``num_samples`` frames of a video (..., T, C, H, W) at the indices
trunc(linspace(0, T - 1, num_samples)) (float32 ``linspace``, as torch's; more samples than frames repeat frames)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....autograd import Tensor
from ..warp import torch_linspace
from ._sample import Transform


def uniform_temporal_subsample(inpt: Tensor, num_samples: int) -> Tensor:
    """The frames at trunc(linspace(0, T - 1, num_samples)) along the time axis (-4)."""
    if inpt.ndim < 4:
        raise ValueError(f"a video must be (..., T, C, H, W), got shape {tuple(inpt.shape)}")
    indices = torch_linspace(0, inpt.shape[-4] - 1, num_samples, np.dtype(np.float32)).astype(np.int64)
    return Tensor._wrap(np.ascontiguousarray(np.take(inpt._data, indices, axis=-4)))


def get_num_frames(inpt: Tensor) -> int:
    """T of a video (..., T, C, H, W)."""
    return inpt.shape[-4]


class UniformTemporalSubsample(Transform):
    """``uniform_temporal_subsample(video, num_samples)`` on the sample's video."""

    def __init__(self, num_samples: int) -> None:
        self.num_samples = num_samples

    def transform(self, inpt: Any, params: dict) -> Any:
        return uniform_temporal_subsample(inpt, self.num_samples)

    def __repr__(self) -> str:
        return f"UniformTemporalSubsample(num_samples={self.num_samples})"
