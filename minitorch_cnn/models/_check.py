"""Input-shape check shared by the models: a clear error before any work is done."""

from __future__ import annotations

from typing import Any


def check_input(model: Any, x: Any) -> None:
    """Raise if ``x`` is not ``(N, *model.input_shape)``.

    x: (N, C, H, W). The models end in a Linear whose width fixes C, H and W, so a wrong size
    would otherwise fail deep inside with a message about matrix shapes.
    """
    expected = model.input_shape
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(expected):
        c, h, w = expected
        raise ValueError(
            f"{type(model).__name__} expects input of shape (N, {c}, {h}, {w}), got {tuple(x.shape)}"
        )
