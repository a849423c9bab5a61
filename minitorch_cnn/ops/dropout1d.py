"""Channel dropout over one spatial axis, as torch's ``dropout1d``: input (N, C, L) or unbatched (C, L); each
channel (n, c) is zeroed with probability p, the rest scaled by 1/(1 - p):

    y = x · m,   m = keep_{n,c} / (1 - p) broadcast over L;    dy/dx = m   (the ``Dropout`` node of dropout.py)
"""

from __future__ import annotations

from ..autograd import Tensor
from .dropout import _check_p, channel_dropout


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """``torch.nn.functional.dropout1d``; ``inplace`` multiplies ``input`` by the mask in place."""
    _check_p(p, "dropout1d")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if not training or p == 0 or input.numel() == 0:
        return input
    shape = (*input.shape[:-1], 1)  # one draw per channel (per sample when batched)
    return channel_dropout(input, p, shape, inplace, "dropout1d_")
