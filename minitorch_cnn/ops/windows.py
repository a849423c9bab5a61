"""Window functions for signal processing, as torch's (``periodic=True``: the window of length N + 1 with its
last point dropped, for spectral analysis). With M = N - 1 (N + 1 - 1 when periodic) and n = 0 .. N-1:

    hamming:  alpha - beta * cos(2 pi n / M)                (alpha 0.54, beta 0.46)
    hann:     0.5 - 0.5 * cos(2 pi n / M)                   (hamming with alpha = beta = 0.5)
    bartlett: 1 - |2 n / M - 1|
    blackman: 0.42 - 0.5 * cos(2 pi n / M) + 0.08 * cos(4 pi n / M)
    kaiser:   I0(beta * sqrt(1 - ((n - M/2) / (M/2))^2)) / I0(beta)      (beta 12)
Length 0 gives an empty window, length 1 a single 1. Floating dtypes only; not differentiable (no inputs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor
from .factories import _finish, _float


def _window(name: str, window_length: int, periodic: bool, dtype: Any, device: Any, requires_grad: bool,
            shape: Any) -> Tensor:
    dt = _float(dtype)
    if dt.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if window_length <= 1:
        return _finish(np.ones(window_length, dtype=dt), device, requires_grad)
    m = window_length if periodic else window_length - 1  # the symmetric window's last index
    n = np.arange(window_length, dtype=np.float64)
    return _finish(shape(n, m).astype(dt), device, requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype: Any = None, device: Any = None, requires_grad: bool = False, layout: Any = None) -> Tensor:
    """``alpha - beta cos(2 pi n / M)``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, m: alpha - beta * np.cos(n * (2 * np.pi / m)))


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None, device: Any = None,
                requires_grad: bool = False, layout: Any = None) -> Tensor:
    """``0.5 - 0.5 cos(2 pi n / M)``."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, m: 0.5 - 0.5 * np.cos(n * (2 * np.pi / m)))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None, device: Any = None,
                    requires_grad: bool = False, layout: Any = None) -> Tensor:
    """The triangle ``1 - |2 n / M - 1|``."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, m: 1 - np.abs(n * (2 / m) - 1))


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None, device: Any = None,
                    requires_grad: bool = False, layout: Any = None) -> Tensor:
    """``0.42 - 0.5 cos(2 pi n / M) + 0.08 cos(4 pi n / M)``."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, m: 0.42 - 0.5 * np.cos(n * (2 * np.pi / m)) + 0.08 * np.cos(n * (4 * np.pi / m)))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype: Any = None,
                  device: Any = None, requires_grad: bool = False, layout: Any = None) -> Tensor:
    """``I0(beta sqrt(1 - ((n - M/2) / (M/2))^2)) / I0(beta)``."""
    def shape(n: Any, m: int) -> Any:
        half = m / 2
        return np.i0(beta * np.sqrt(np.clip(1 - ((n - half) / half) ** 2, 0, None))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, shape)
