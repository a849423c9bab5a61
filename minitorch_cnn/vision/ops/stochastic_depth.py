"""Stochastic depth (Huang et al. 2016), as torchvision.ops.stochastic_depth: in training, each sample ("row") or
the whole batch ("batch") of a residual branch is zeroed with probability ``p`` and the rest scaled by
1 / (1 - p); in eval it is the identity. The mask is drawn from the global generator (``mt.manual_seed``)."""

from __future__ import annotations

from ... import nn
from ...autograd import Tensor
from ...ops.factories import empty


def stochastic_depth(input: Tensor, p: float, mode: str, training: bool = True) -> Tensor:  # noqa: A002
    """input (N, ...) times a Bernoulli(1 - p) mask of shape (N, 1, ...) ("row") or (1, ...) ("batch"), / (1 - p)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        noise.div_(survival_rate)
    return input * noise


class StochasticDepth(nn.Module):
    """``stochastic_depth`` as a layer, active in training mode only."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return stochastic_depth(input, self.p, self.mode, self.training)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p}, mode={self.mode})"
