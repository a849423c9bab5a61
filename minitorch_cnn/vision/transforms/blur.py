"""The Gaussian blur behind ``gaussian_blur`` and ``GaussianBlur`` (v1 and v2): a (kx, ky) separable Gaussian,
reflect padding, one depthwise convolution; integer images are blurred in float32 and rounded back. Written with our
Tensor ops, so the blur is differentiable.

The kernel: v2's softmax of -(x / σ)² over x = linspace(±(k - 1) / (2√2)); v1's exp(-x²/(2σ²)) over
x = linspace(±(k - 1)/2), normalised: the same Gaussian, rounded differently. The 2-D kernel is their outer product.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from ... import backend
from ...autograd import Tensor
from ...ops.conv import conv2d
from ...ops.padding import pad


def _kernel1d(kernel_size: int, sigma: float, dtype: np.dtype, v1: bool = False) -> np.ndarray:
    if v1:  # v1's form of the same Gaussian: exp(-x²/(2σ²)) over x = linspace(±(k - 1)/2), normalised
        half = (kernel_size - 1) * 0.5
        x = np.linspace(-half, half, kernel_size).astype(dtype)
        pdf = np.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
        return pdf / pdf.sum()
    lim = (kernel_size - 1) / (2.0 * math.sqrt(2.0))
    x = np.linspace(-lim, lim, kernel_size).astype(dtype)
    v = -((x / dtype.type(sigma)) ** 2)
    e = np.exp(v - v.max())
    return e / e.sum()


def gaussian_blur(image: Tensor, kernel_size: int | Sequence[int], sigma: float | Sequence[float] | None = None,
                  v1: bool = False) -> Tensor:
    """(..., C, H, W) image blurred as the module notes say; ``sigma`` None: 0.15 k + 0.35 per axis; ``v1``:
    v1's kernel formula (the same Gaussian, rounded differently)."""
    ks = [kernel_size, kernel_size] if isinstance(kernel_size, int) else list(kernel_size)
    if len(ks) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(ks)}")
    if any(k % 2 == 0 or k < 0 for k in ks):
        raise ValueError(f"kernel_size should have odd and positive integers. Got {ks}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in ks]
    elif isinstance(sigma, numbers.Number):
        sigma = [float(sigma)] * 2
    elif len(sigma) == 1:
        sigma = [sigma[0]] * 2
    elif len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    if any(s <= 0.0 for s in sigma):
        raise ValueError(f"sigma should have positive values. Got {sigma}")
    if image.numel() == 0:
        return image
    shape = tuple(image.shape)
    fp = image._data.dtype.kind == "f"
    dtype = image._data.dtype if fp else np.dtype(np.float32)
    kernel = _kernel1d(ks[1], sigma[1], dtype, v1)[:, None] * _kernel1d(ks[0], sigma[0], dtype, v1)
    weight = Tensor._wrap(backend.move_to(np.ascontiguousarray(np.broadcast_to(kernel, (shape[-3], 1) + kernel.shape)),
                                          image.device))
    x = image if fp else Tensor._wrap(image._data.astype(np.float32))
    x = x.reshape((-1,) + shape[-3:])
    out = conv2d(pad(x, [ks[0] // 2, ks[0] // 2, ks[1] // 2, ks[1] // 2], mode="reflect"), weight,
                 groups=shape[-3]).reshape(shape)
    if not fp:
        return Tensor._wrap(backend.array_module(out._data).round(out._data).astype(image._data.dtype))
    return out
