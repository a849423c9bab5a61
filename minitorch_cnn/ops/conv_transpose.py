"""Transposed 2-d convolution (``torch.nn.functional.conv_transpose2d``): conv2d's backward run forwards.

A conv2d with weight W maps y (N, C_out, H_out, W_out) to x (N, C_in, H, W); its input gradient maps an
upstream gradient shaped like x back to one shaped like y. The transposed convolution is exactly that map:

    forward:   y = conv_transpose2d(x; W) + b     (conv2d's input gradient, x in the place of dL/d(conv output))
    backward:  dL/dx = conv2d(g; W)               (conv2d's forward on the upstream gradient g = dL/dy)
               dL/dW = convW(g; x)                (conv2d's weight gradient: input g, upstream x)
               dL/db = Σ_{n, h, w} g

with W (C_in, C_out/G, kh, kw) read as a conv2d weight (O = C_in, C/G = C_out/G), and the geometry that of that
conv2d (its output size is x's). So all three are the kernels of ``kernels.conv_schedule``.

H_out = (H - 1)·sh - 2·ph + dh·(kh - 1) + output_padding_h + 1: the output padding adds rows at the bottom that
no stride step reaches (they get the bias only), which picks one of the sizes a strided conv2d maps onto H.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Function, Tensor
from ..kernels.conv_schedule import ConvGeometry, conv2d_forward, conv2d_input_grad, conv2d_weight_grad
from ._pairs import pair
from .conv import Conv2d, ConvWeightGrad, check_conv_bias_and_types, check_conv_tensors


class ConvTranspose2d(Function):
    """y[n, o] = b[o] + Σ_{c in o's group, h, w, i, j : h·sh - ph + i·dh = oh, w·sw - pw + j·dw = ow}
    W[c, o mod (C_out/G), i, j] · x[n, c, h, w]  (each input pixel scatters a kernel-sized patch)."""

    def forward(self, x: Any, w: Any, b: Any, geometry: ConvGeometry, out_size: tuple) -> Any:
        # x: (N, C_in, H, W)   w: (C_in, C_out/G, kh, kw)   b: (C_out,) or None   →   y: (N, C_out, H_out, W_out)
        xp = backend.array_module(x)
        x, w = xp.ascontiguousarray(x), xp.ascontiguousarray(w)
        y = conv2d_input_grad(x, w, geometry, (x.shape[0], w.shape[1] * geometry.groups, *out_size))
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        self.x = x if need_w else None
        self.w = w if need_x else None
        self.need_b, self.geometry = need_b, geometry
        return y

    def backward(self, g: Any) -> tuple:
        # g = dL/dy: (N, C_out, H_out, W_out)  →  dx: (N, C_in, H, W),  dW: (C_in, C_out/G, kh, kw),  db: (C_out,)
        g = backend.array_module(g).ascontiguousarray(g)
        dx = conv2d_forward(g, self.w, None, self.geometry) if self.w is not None else None
        dw = conv2d_weight_grad(self.x, g, self.geometry)[0] if self.x is not None else None
        db = g.sum(axis=(0, 2, 3), dtype="float64").astype(g.dtype) if self.need_b else None
        return dx, dw, db

    def backward_graph(self, g: Tensor) -> tuple:
        # the same three maps as nodes (see ops.conv), whose own backward are convolutions again
        dx = Conv2d.apply(g, self.input_tensor(1, self.w), None, self.geometry) if self.w is not None else None
        dw = ConvWeightGrad.apply(g, self.input_tensor(0, self.x), self.geometry) if self.x is not None else None
        db = g.sum(dim=(0, 2, 3)) if self.need_b else None
        return dx, dw, db


def _check(input: Any, weight: Any, bias: Any, groups: Any) -> None:  # noqa: A002 - torch's name
    """Shapes, channels, groups, dtypes and devices, as torch checks them; errors name what came."""
    check_conv_tensors("conv_transpose2d", input, weight, "(in_channels, out_channels/groups, kh, kw)")
    shape, wshape = tuple(input.shape), tuple(weight.shape)
    if not isinstance(groups, int) or groups < 1 or wshape[0] % groups:
        raise RuntimeError(f"conv_transpose2d: groups={groups!r} must be a positive int dividing the {wshape[0]} "
                           f"input channels of weight {wshape}")
    if input.shape[-3] != wshape[0]:
        raise RuntimeError(f"conv_transpose2d: weight {wshape} expects {wshape[0]} input channels, got input {shape}")
    check_conv_bias_and_types("conv_transpose2d", input, weight, bias, wshape[1] * groups)


def output_size(size: tuple, kernel: tuple, stride: tuple, padding: tuple, output_padding: tuple,
                dilation: tuple) -> tuple:
    """The transposed convolution's output size, per axis: (n - 1)·s - 2·p + d·(k - 1) + output_padding + 1 (2-d and
    3-d alike)."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, k, s, p, op, d in zip(size, kernel, stride, padding, output_padding, dilation))


def conv_transpose2d(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """``torch.nn.functional.conv_transpose2d``: input (N, C_in, H, W) or (C_in, H, W), weight
    (C_in, C_out/groups, kh, kw), bias (C_out,) -> (N, C_out, H_out, W_out) (see the module docstring for H_out).

    Note torch's argument order: ``groups`` comes before ``dilation``. ``output_padding`` must be smaller than the
    stride or the dilation on its axis (otherwise another stride step would reach those rows).
    """
    _check(input, weight, bias, groups)
    op = "conv_transpose2d"
    stride, dilation = pair(stride, "stride", op, 1), pair(dilation, "dilation", op, 1)
    padding, output_padding = pair(padding, "padding", op, 0), pair(output_padding, "output_padding", op, 0)
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise RuntimeError(f"conv_transpose2d: output padding must be smaller than either stride or dilation, "
                               f"but got output_padding={output_padding}, stride={stride}, dilation={dilation}")
    kernel = tuple(weight.shape[2:])
    out = output_size(tuple(input.shape[-2:]), kernel, stride, padding, output_padding, dilation)
    if min(out) < 1:
        raise RuntimeError(f"conv_transpose2d: input {tuple(input.shape)} with kernel {kernel}, {stride=}, "
                           f"{padding=}, {dilation=} gives a non-positive output size {out}")
    # the conv2d whose input gradient this is maps y's size onto the input's
    geometry = ConvGeometry(kernel, stride, padding, dilation, groups, tuple(input.shape[-2:]))
    if input.ndim == 3:
        return ConvTranspose2d.apply(input.unsqueeze(0), weight, bias, geometry, out).squeeze(0)
    return ConvTranspose2d.apply(input, weight, bias, geometry, out)
