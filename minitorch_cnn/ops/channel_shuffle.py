"""Channel shuffle (ShuffleNet): (N, C, *) -> (N, g, C/g, *) -> swap the two channel axes -> (N, C, *), i.e.
output channel i·g + j is input channel j·(C/g) + i. A permutation (reshape and transpose), so its gradient is the
inverse permutation of the upstream gradient, to every order."""

from __future__ import annotations

from ..autograd import Tensor


def channel_shuffle(input: Tensor, groups: int) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.channel_shuffle``: input (N, C, *) with C divisible by ``groups``."""
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, rest = input.shape[0], input.shape[1], tuple(input.shape[2:])
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)
