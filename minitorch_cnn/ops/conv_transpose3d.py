"""Transposed 3-d convolution (``torch.nn.functional.conv_transpose3d``): conv3d's input gradient run forwards.

A conv3d with weight W maps y (N, C_out, D_out, H_out, W_out) to x (N, C_in, D, H, W); the transposed
convolution is its input-gradient map (``ops.conv3d``):

    forward:   y = conv_transpose3d(x; W) + b     (conv3d's input gradient, x in the place of dL/d(conv output))
    backward:  dL/dx = conv3d(g; W)               (conv3d's forward on the upstream gradient g = dL/dy)
               dL/dW = convW(g; x)                (conv3d's weight gradient: input g, upstream x)
               dL/db = Σ_{n, d, h, w} g

with W (C_in, C_out/G, kd, kh, kw) read as a conv3d weight (O = C_in), and that conv3d's geometry (its output size
is x's). D_out = (D - 1)·sd - 2·pd + dd·(kd - 1) + output_padding_d + 1 per axis; the output padding adds planes
at the end that no stride step reaches (they get the bias only). The gradient maps are the nodes of ``ops.conv3d``,
so every order of derivative follows.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from ..kernels.conv_schedule import ConvGeometry
from .conv3d import (
    Conv3d,
    Conv3dGeometry,
    Conv3dWeightGrad,
    check_types,
    conv3d_forward,
    conv3d_input_grad,
    conv3d_weight_grad,
    triple,
)
from .conv_transpose import output_size


class ConvTranspose3d(Function):
    """y = conv_transpose3d(x; W) + b and its gradients (see the module docstring)."""

    torch_name = "ConvolutionBackward0"
    fresh_grads = True
    torch_edges = (0, 1, 2)

    def forward(self, x: Any, w: Any, b: Any, geo: Conv3dGeometry, out_size: tuple) -> Any:
        # x: (N, C_in, D, H, W)   w: (C_in, C_out/G, kd, kh, kw)   →   y: (N, C_out, D_out, H_out, W_out)
        xp = backend.array_module(x)
        x, w = xp.ascontiguousarray(x), xp.ascontiguousarray(w)
        y = conv3d_input_grad(x, w, geo, (x.shape[0], w.shape[1] * geo.plane.groups, *out_size))
        if b is not None:
            y += b.reshape(1, -1, 1, 1, 1)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        self.x = x if need_w else None
        self.w = w if need_x else None
        self.need_b, self.geo = need_b, geo
        return y

    def backward(self, g: Any) -> tuple:
        g = backend.array_module(g).ascontiguousarray(g)
        dx = conv3d_forward(g, self.w, None, self.geo) if self.w is not None else None
        dw = conv3d_weight_grad(self.x, g, self.geo) if self.x is not None else None
        db = g.sum(axis=(0, 2, 3, 4), dtype="float64").astype(g.dtype) if self.need_b else None
        return dx, dw, db

    def backward_graph(self, g: Tensor) -> tuple:
        dx = Conv3d.apply(g, self.input_tensor(1, self.w), None, self.geo) if self.w is not None else None
        dw = Conv3dWeightGrad.apply(g, self.input_tensor(0, self.x), self.geo) if self.x is not None else None
        db = g.sum(dim=(0, 2, 3, 4)) if self.need_b else None
        return dx, dw, db


def _check(input: Any, weight: Any, bias: Any, groups: int) -> None:  # noqa: A002 - torch's name
    """Shapes, channels, groups, dtypes and devices, with torch's messages."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"conv_transpose3d(): input and weight must be Tensors, got {type(input).__name__} and "
                        f"{type(weight).__name__}")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d, but got input of "
                           f"size: {list(input.shape)}")
    wshape = list(weight.shape)
    if weight.ndim != 5 or 0 in wshape:
        raise RuntimeError(f"conv_transpose3d: weight must be 5-d (in_channels, out_channels/groups, kd, kh, kw) "
                           f"with every size >= 1, got {tuple(wshape)}")
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"non-positive groups is not supported, got groups={groups!r}")
    if wshape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{wshape}] instead")
    shape = list(input.shape) if input.ndim == 5 else [1, *input.shape]
    if shape[1] != wshape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {wshape}, expected input{shape} to have "
                           f"{wshape[0]} channels, but got {shape[1]} channels instead")
    out_channels = wshape[1] * groups
    if bias is not None and (not isinstance(bias, Tensor) or tuple(bias.shape) != (out_channels,)):
        got = list(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise RuntimeError(f"Given transposed=1, weight of size {wshape}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {got} instead")
    check_types("conv_transpose3d", input, weight, bias)


def conv_transpose3d(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """``torch.nn.functional.conv_transpose3d``: input (N, C_in, D, H, W) or (C_in, D, H, W), weight
    (C_in, C_out/groups, kd, kh, kw), bias (C_out,) -> (N, C_out, D_out, H_out, W_out) (see the module docstring).

    torch's argument order: ``groups`` before ``dilation``. ``output_padding`` must be smaller than the stride or
    the dilation on its axis.
    """
    _check(input, weight, bias, groups)
    stride, dilation = triple(stride, "stride"), triple(dilation, "dilation")
    padding, output_padding = triple(padding, "padding"), triple(output_padding, "output_padding")
    if min(stride) < 1:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) < 1:
        raise RuntimeError(f"dilation should be greater than zero, got dilation={list(dilation)}")
    if min(padding) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(output_padding) < 0:
        raise RuntimeError("negative output_padding is not supported")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        axes = ("depth", "height", "width")
        said = " ".join(f"{name}_{a}: {v}" for name, vals in (("output_padding", output_padding), ("stride", stride),
                                                               ("dilation", dilation)) for a, v in zip(axes, vals))
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got {said}")
    kernel = tuple(weight.shape[2:])
    size = tuple(input.shape[-3:])
    out = output_size(size, kernel, stride, padding, output_padding, dilation)
    if min(out) < 1:
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, size))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, out))}). Output size is too small")
    plane = ConvGeometry(kernel[1:], stride[1:], padding[1:], dilation[1:], groups, size[1:])
    geo = Conv3dGeometry((kernel[0], stride[0], padding[0], dilation[0], size[0]), plane)
    if input.ndim == 4:
        return ConvTranspose3d.apply(input.unsqueeze(0), weight, bias, geo, out).squeeze(0)
    return ConvTranspose3d.apply(input, weight, bias, geo, out)
