"""The hyper-parameter checks the Adam family shares, with torch's messages."""

from __future__ import annotations


def check_adam_like(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    """lr, eps, weight_decay >= 0 and both betas in [0, 1), refused as torch refuses them."""
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
