"""``pixel_shuffle`` / ``pixel_unshuffle``: channels traded for space (sub-pixel convolution's last step).

pixel_shuffle, factor r: (*, C·r², H, W) -> (*, C, H·r, W·r) with

    out[..., c, h·r + i, w·r + j] = in[..., c·r² + i·r + j, h, w]

i.e. reshape (*, C, r, r, H, W), permute to (*, C, H, r, W, r), reshape. pixel_unshuffle is its inverse,
(*, C, H·r, W·r) -> (*, C·r², H, W). Both are permutations of the elements: the backward of one is the other
applied to the upstream gradient, which autograd derives from the reshape and permute nodes.
"""

from __future__ import annotations

from ..autograd import Tensor
from .shape import permute, reshape


def _check(name: str, factor_name: str, x: Tensor, factor: int) -> None:
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {x.ndim} "
                           "dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {factor_name}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:  # noqa: A002 - torch's name
    """(*, C·r², H, W) -> (*, C, H·r, W·r), r = ``upscale_factor``."""
    r = int(upscale_factor)
    _check("pixel_shuffle", "upscale_factor", input, r)
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(batch)
    x = reshape(input, *batch, c // (r * r), r, r, h, w)
    x = permute(x, *range(n), n, n + 3, n + 1, n + 4, n + 2)
    return reshape(x, *batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:  # noqa: A002 - torch's name
    """(*, C, H·r, W·r) -> (*, C·r², H, W), r = ``downscale_factor``."""
    r = int(downscale_factor)
    _check("pixel_unshuffle", "downscale_factor", input, r)
    *batch, c, h, w = input.shape
    for side, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {side} to be divisible by downscale_factor, but "
                               f"input.size({dim})={size} is not divisible by {r}")
    n = len(batch)
    x = reshape(input, *batch, c, h // r, r, w // r, r)
    x = permute(x, *range(n), n, n + 2, n + 4, n + 1, n + 3)
    return reshape(x, *batch, c * r * r, h // r, w // r)
