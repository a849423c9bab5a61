"""Root-mean-square normalisation (Zhang & Sennrich 2019), composed of differentiable ops as torch's own kernel
(so every order of derivative), over the last k = len(normalized_shape) axes D of x:

    r = 1 / √(mean_D(x²) + ε),     y = x · r (· w)     (normalized_shape non-empty)
    dL/dx = r·(w·g) - x · r³ · mean_D(x · w·g),      dL/dw = Σ_batch g · x · r

ε = None means the machine epsilon of x's dtype (``finfo(dtype).eps``), as torch's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..autograd import Tensor
from ._util import to_float


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,  # noqa: A002
             eps: float | None = None) -> Tensor:
    """``torch.nn.functional.rms_norm``: input (*, *normalized_shape), weight of ``normalized_shape``."""
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    shape = [int(s) for s in normalized_shape]
    k = len(shape)
    if k == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           f"element, but got normalized_shape = {shape}")
    if input.ndim < k or list(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape [*{', '.join(map(str, shape))}]"
                           f", but got input of size{list(input.shape)}")
    if weight is not None and list(weight.shape) != shape:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {shape}")
    x = to_float(input)
    eps = float(np.finfo(x.dtype.name).eps) if eps is None else eps
    dims = tuple(range(x.ndim - k, x.ndim))
    y = x / ((x * x).mean(dim=dims, keepdim=True) + eps).sqrt()
    return y if weight is None else y * weight
