"""Local response normalisation across channels (the original AlexNet's), composed of differentiable ops:

    y[n, c] = x[n, c] / (k + α/size · Σ_{c' = c - ⌊size/2⌋}^{c + ⌈size/2⌉ - 1} x[n, c']²)^β

(channels outside [0, C) count as 0; the window sum over the size is an average pool of x² along the channels,
count_include_pad, as torch's). x (N, C, *) with at least one trailing dim; y has x's shape. Gradients (every order)
come from the composition.
"""

from __future__ import annotations

from ..autograd import Tensor
from .pooling import avg_pool2d
from .shape import pad as _constant_pad


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                        k: float = 1.0) -> Tensor:
    """``torch.nn.functional.local_response_norm`` over the channels (dim 1) of (N, C, *)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    n, c = input.shape[:2]
    squares = (input * input).reshape(n, 1, c, -1)  # channels as rows of a one-channel image
    squares = _constant_pad(squares, (0, 0, size // 2, (size - 1) // 2), "constant", 0.0)
    mean = avg_pool2d(squares, (size, 1), stride=1).reshape(tuple(input.shape))
    return input / (mean * alpha + k) ** beta
