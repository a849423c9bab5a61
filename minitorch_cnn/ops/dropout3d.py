"""Channel dropout over three spatial axes, as torch's ``dropout3d``: input (N, C, D, H, W) or unbatched
(C, D, H, W); each channel (n, c) is zeroed with probability p, the rest scaled by 1/(1 - p):

    y = x · m,   m = keep_{n,c} / (1 - p) broadcast over D, H, W;    dy/dx = m   (the ``Dropout`` node of dropout.py)

Other ranks warn as torch's and are read as torch reads them: an input that is not 5-d is taken as unbatched
(dim 0 its channels).
"""

from __future__ import annotations

import warnings

from ..autograd import Tensor
from .dropout import _check_p, channel_dropout


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """``torch.nn.functional.dropout3d``; ``inplace`` multiplies ``input`` by the mask in place."""
    _check_p(p, "dropout3d")
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on "
                      "inputs with 3 spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 4D or 5D inputs).", stacklevel=2)
    if not training or p == 0 or input.numel() == 0:
        return input
    if input.ndim == 5:
        shape = (*input.shape[:2], 1, 1, 1)  # one draw per (sample, channel)
    else:
        shape = (input.shape[0],) + (1,) * (input.ndim - 1)  # unbatched: one draw per channel
    return channel_dropout(input, p, shape, inplace, "dropout3d_")
