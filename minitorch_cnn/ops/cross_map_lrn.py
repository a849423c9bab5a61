"""``nn.CrossMapLRN2d``: torch's legacy (Lua Torch) cross-channel response normalisation of (N, C, H, W), with its
own forward and backward kept as torch has them, windows included.

    s_c = k + α/size · Σ_{j ∈ W(c)} x_j²,   y_c = x_c · s_c^(-β)
    W(c): the running window of the legacy loop — channels 0 … p-1 for c = 0 (p = ⌊(size-1)/2⌋ + 1), then one
          channel added on the right per step and, from c = p + 1 on, one removed on the left (channel 0 is never
          removed: the loop tests c > p where c ≥ p was meant)
    dx_c = s_c^(-β) g_c - (2αβ/size) · x_c · Σ_{i=c-q}^{c+size-1-q} g_i y_i / s_i,   q = size - ⌊(size-1)/2⌋
          (torch's backward, as written: not the exact derivative of the forward above, which it was derived for
          the symmetric window of)

The backward is torch's first-order formula only: differentiating it again raises, as torch's legacy Function
offers no double backward either.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor


class CrossMapLRN2dFn(Function):
    torch_name = "CrossMapLRN2dBackward"

    def forward(self, x: Any, size: int, alpha: float, beta: float, k: float) -> Any:
        xp = backend.array_module(x)
        sq = x * x
        channels = x.shape[1]
        pre_pad = int((size - 1) / 2 + 1)
        scale = xp.empty_like(x)
        scale[:, 0] = sq[:, :min(pre_pad, channels)].sum(axis=1)
        for c in range(1, channels):
            scale[:, c] = scale[:, c - 1]
            if c < channels - pre_pad + 1:
                scale[:, c] += sq[:, c + pre_pad - 1]
            if c > pre_pad:
                scale[:, c] -= sq[:, c - pre_pad]
        self.scale = scale * x.dtype.type(alpha / size) + x.dtype.type(k)
        self.x, self.size, self.beta, self.alpha = x, size, beta, alpha
        self.y = self.scale ** x.dtype.type(-beta) * x
        return self.y

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        size, channels = self.size, self.x.shape[1]
        inverse_pre_pad = int(size - (size - 1) / 2)
        ratio = g * self.y / self.scale  # (N, C, H, W)
        padded = xp.zeros((ratio.shape[0], channels + size - 1) + ratio.shape[2:], dtype=ratio.dtype)
        padded[:, inverse_pre_pad:inverse_pre_pad + channels] = ratio
        # window sums Σ padded[c … c+size-1] for every c, as a difference of running sums
        csum = xp.concatenate([xp.zeros_like(padded[:, :1]), xp.cumsum(padded, axis=1)], axis=1)
        windows = csum[:, size:size + channels] - csum[:, :channels]
        dx = self.scale ** g.dtype.type(-self.beta) * g
        dx = dx - g.dtype.type(2 * self.alpha * self.beta / size) * self.x * windows
        return dx, None, None, None, None


def cross_map_lrn2d(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                    k: float = 1.0) -> Tensor:
    """torch's legacy CrossMapLRN2d function on (N, C, H, W)."""
    if input.ndim != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
    return CrossMapLRN2dFn.apply(input, size, alpha, beta, k)
