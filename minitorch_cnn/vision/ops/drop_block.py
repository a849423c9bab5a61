"""DropBlock (Ghiasi et al. 2018), as torchvision.ops.drop_block2d: in training, whole block_size × block_size
squares of each feature map are zeroed and the rest rescaled so the mean is kept.

    γ = p·H·W / (block² · (H - block + 1)(W - block + 1))
    seeds ~ Bernoulli(γ) on (N, C, H - block + 1, W - block + 1), zero-padded by block // 2 on each side
    mask  = 1 - max_pool(seeds, block, stride 1, padding block // 2)          (N, C, H, W)
    out   = x · mask · numel(mask) / (eps + Σ mask)
    backward (autograd's, through the products): dx = g · mask · numel / (eps + Σ mask)

The seeds come from the global generator (``mt.manual_seed``), not torch's stream.
"""

from __future__ import annotations

from ... import nn
from ...autograd import Tensor, no_grad
from ...nn.functional import max_pool2d, pad
from ...ops.factories import empty


def drop_block2d(input: Tensor, p: float, block_size: int, inplace: bool = False, eps: float = 1e-06,  # noqa: A002
                 training: bool = True) -> Tensor:
    """DropBlock of ``input`` (N, C, H, W) with drop probability ``p`` and odd ``block_size``."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != 4:
        raise ValueError(f"input should be 4 dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    n, c, h, w = input.shape
    block_size = min(block_size, w, h)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    gamma = (p * h * w) / ((block_size ** 2) * ((h - block_size + 1) * (w - block_size + 1)))
    with no_grad():
        noise = empty((n, c, h - block_size + 1, w - block_size + 1), dtype=input.dtype, device=input.device)
        noise.bernoulli_(gamma)
        noise = pad(noise, [block_size // 2] * 4, value=0)
        noise = max_pool2d(noise, stride=(1, 1), kernel_size=(block_size, block_size), padding=block_size // 2)
        noise = 1 - noise
        normalize_scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(normalize_scale)
    return input * noise * normalize_scale


class DropBlock2d(nn.Module):
    """``drop_block2d`` as a layer, active in training mode only."""

    def __init__(self, p: float, block_size: int, inplace: bool = False, eps: float = 1e-06) -> None:
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p}, block_size={self.block_size}, inplace={self.inplace})"
