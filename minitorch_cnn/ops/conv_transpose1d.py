"""The transposed 1-d convolution: exactly ``conv_transpose2d`` over a height of one row, as conv1d is conv2d's.

    input (N, C_in, L) -> (N, C_in, 1, L),  weight (C_in, C_out/groups, k) -> (C_in, C_out/groups, 1, k),
    stride (1, s), padding (0, p), output_padding (0, o), dilation (1, d);
    L_out = (L - 1)·s - 2p + d·(k - 1) + o + 1

The unit kernel height adds no terms, so values and gradients (forward and backward side by side in
``conv_transpose.py``) are conv_transpose2d's, to every order.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from ._pairs import single
from .conv_transpose import conv_transpose2d


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """``torch.nn.functional.conv_transpose1d``: input (N, C_in, L) or (C_in, L), weight (C_in, C_out/groups, k),
    bias (C_out,) -> (N, C_out, L_out) or (C_out, L_out). torch's argument order: ``groups`` before ``dilation``."""
    op = "conv_transpose1d"
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to {op}, but got input of size: {got}")
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        got = list(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"{op}: weight must be 3-d (in_channels, out_channels/groups, k), got {got}")
    if input.shape[-2] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.shape[0]} channels, but got {input.shape[-2]} "
                           "channels instead")
    out = conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, single(stride, "stride", op)),
                           (0, single(padding, "padding", op)), (0, single(output_padding, "output_padding", op)),
                           groups, (1, single(dilation, "dilation", op)))
    return out.squeeze(-2)
