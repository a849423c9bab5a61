"""``FractionalMaxPool3d``: max pooling over pseudo-random overlapping 3-d windows (``ops/fractional_max_pool3d.py``),
torch's arguments; ``_random_samples`` (N, C, 3), when given, is a buffer (None otherwise, as torch's)."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ..ops.fractional_max_pool3d import _triple, fractional_max_pool3d
from .module import Module


class FractionalMaxPool3d(Module):
    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Tensor | None = None) -> None:
        super().__init__()
        if (isinstance(kernel_size, int) and kernel_size <= 0) or (
                not isinstance(kernel_size, int) and any(k <= 0 for k in kernel_size)):
            raise ValueError(f"kernel_size must greater than 0, but got {kernel_size}")
        self.kernel_size = _triple(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _triple(output_size) if output_size is not None else None
        self.output_ratio = _triple(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError("FractionalMaxPool3d requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - torch's name
        return fractional_max_pool3d(input, self.kernel_size, self.output_size, self.output_ratio,
                                     self.return_indices, _random_samples=self._random_samples)
