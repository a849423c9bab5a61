"""The bilinear form y[..., o] = Σ_ij x1[..., i] A[o, i, j] x2[..., j] + b[o], composed of differentiable ops:

    x1 (*, in1), x2 (*, in2), A (out, in1, in2), b (out,) -> (*, out)
    t = x1 @ A viewed (in1, out·in2)    (*, out, in2);    y = Σ_j t[..., o, j] x2[..., j]
    dx1 = Σ_oj g_o A[o, i, j] x2_j,  dx2 = Σ_oi g_o x1_i A[o, i, j],  dA = Σ_* g_o x1_i x2_j,  db = Σ_* g
"""

from __future__ import annotations

from ..autograd import Tensor


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``torch.nn.functional.bilinear`` (see the module docstring)."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional (out, in1, in2), got {tuple(weight.shape)}")
    out, in1, in2 = weight.shape
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {in2}")
    if bias is not None and tuple(bias.shape) != (out,):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {list(bias.shape)} but "
                           f"expected [{out}]")
    lead = tuple(input1.shape[:-1])
    t = (input1.reshape(-1, in1) @ weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
    y = (t * input2.reshape(-1, 1, in2)).sum(-1).reshape(*lead, out)
    return y if bias is None else y + bias
