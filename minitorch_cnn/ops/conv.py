"""2-d convolution (``torch.nn.functional.conv2d``), and its two gradient maps as nodes of their own.

With x (N, C, H, W), W (O, C/G, kh, kw), b (O,) and g = dL/dy (N, O, OH, OW):

    forward:   y  = conv2d(x; W) + b        y[n, o] = b[o] + Σ_{c in o's group, i, j} W[o, c, i, j] · x_pad[n, c, tap]
    backward:  dx = conv_transpose2d(g; W)  each output pixel's gradient goes back through W to the pixels it read
               dW = convW(x; g)             dW[o, c, i, j] = Σ_{n, oh, ow} g[n, o, oh, ow] · x_pad[n, c, tap]
               db = Σ_{n, oh, ow} g

where tap (i, j) of output (oh, ow) is input pixel (oh·sh - ph + i·dh, ow·sw - pw + j·dw). dx and dW are linear in
each of their two operands, so their own derivatives are these same three convolutions again: as nodes
(``ConvInputGrad``, ``ConvWeightGrad``) they give every order of derivative. The convolutions are the kernels of
``kernels.conv_schedule`` (im2col + GEMM in chunks, the batch split over threads); first-order backward asks for
dx, dW and db in one pass, which lays g out once for all three.

``conv1d`` is this convolution over a height of one row (see its docstring).
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function, Tensor
from ..kernels.conv_schedule import (
    ConvGeometry,
    conv2d_backward,
    conv2d_forward,
    conv2d_input_grad,
    conv2d_weight_grad,
)
from ._pairs import pair, single


class Conv2d(Function):
    """y = conv2d(x; W) + b, and its gradients (see the module docstring)."""

    fresh_grads = True  # new arrays from the kernels
    torch_edges = (0, 1, 2)  # torch lists an absent bias as (None, 0)

    def forward(self, x: Any, w: Any, b: Any, geometry: ConvGeometry) -> Any:
        # x: (N, C, H, W)   w: (O, C/G, kh, kw)   b: (O,) or None   →   y: (N, O, OH, OW)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        self.x = x if need_w else None  # dW needs x (its columns are rebuilt from it, never kept)
        self.w = w if need_x else None  # dx needs W
        self.x_shape, self.need_b, self.geometry = x.shape, need_b, geometry
        return conv2d_forward(x, w, b, geometry)

    def backward(self, g: Any) -> tuple:
        # g = dL/dy: (N, O, OH, OW)  →  dx = conv_transpose2d(g; W): (N, C, H, W),  dW = convW(x; g): (O, C/G, kh, kw),
        # db = Σ_{n, oh, ow} g: (O,), each only where needed, in one pass over the batch
        return conv2d_backward(g, self.x, self.w, self.geometry, self.x_shape, self.need_b)

    def backward_graph(self, g: Tensor) -> tuple:
        # the same three maps as nodes, whose own backward are convolutions again
        dx = ConvInputGrad.apply(g, self.input_tensor(1, self.w), self.x_shape, self.geometry) if (
            self.w is not None) else None
        dw = ConvWeightGrad.apply(self.input_tensor(0, self.x), g, self.geometry) if self.x is not None else None
        db = g.sum(dim=(0, 2, 3)) if self.need_b else None
        return dx, dw, db


class ConvInputGrad(Function):
    """dx = conv_transpose2d(g; W): conv2d's input gradient as a node, g (N, O, OH, OW) and W (O, C/G, kh, kw) →
    x_shape (N, C, H, W).

    Bilinear in (g, W): for an upstream h shaped like x, dL/dg = conv2d(h; W) and dL/dW = convW(h; g).
    """

    fresh_grads = True

    def forward(self, g: Any, w: Any, x_shape: tuple, geometry: ConvGeometry) -> Any:
        need_g, need_w = self.needs_input_grad[:2]
        self.g = g if need_w else None
        self.w = w if need_g else None
        self.geometry = geometry
        return conv2d_input_grad(g, w, geometry, x_shape)

    def backward(self, h: Any) -> tuple:
        # h: (N, C, H, W)  →  dg: (N, O, OH, OW),  dW: (O, C/G, kh, kw)
        dg = conv2d_forward(h, self.w, None, self.geometry) if self.w is not None else None
        dw = conv2d_weight_grad(self.g, h, self.geometry)[0] if self.g is not None else None
        return dg, dw

    def backward_graph(self, h: Tensor) -> tuple:
        dg = Conv2d.apply(h, self.input_tensor(1, self.w), None, self.geometry) if self.w is not None else None
        dw = ConvWeightGrad.apply(h, self.input_tensor(0, self.g), self.geometry) if self.g is not None else None
        return dg, dw


class ConvWeightGrad(Function):
    """dW = convW(x; g): conv2d's weight gradient as a node, x (N, C, H, W) and g (N, O, OH, OW) →
    (O, C/G, kh, kw).

    Bilinear in (x, g): for an upstream k shaped like W, dL/dx = conv_transpose2d(g; k) and dL/dg = conv2d(x; k).
    """

    fresh_grads = True

    def forward(self, x: Any, g: Any, geometry: ConvGeometry) -> Any:
        need_x, need_g = self.needs_input_grad[:2]
        self.x = x if need_g else None
        self.g = g if need_x else None
        self.x_shape, self.geometry = x.shape, geometry
        return conv2d_weight_grad(g, x, geometry)[0]

    def backward(self, k: Any) -> tuple:
        # k: (O, C/G, kh, kw)  →  dx: (N, C, H, W),  dg: (N, O, OH, OW)
        dx = conv2d_input_grad(self.g, k, self.geometry, self.x_shape) if self.g is not None else None
        dg = conv2d_forward(self.x, k, None, self.geometry) if self.x is not None else None
        return dx, dg

    def backward_graph(self, k: Tensor) -> tuple:
        dx = ConvInputGrad.apply(self.input_tensor(1, self.g), k, self.x_shape, self.geometry) if (
            self.g is not None) else None
        dg = Conv2d.apply(self.input_tensor(0, self.x), k, None, self.geometry) if self.x is not None else None
        return dx, dg


def check_conv_tensors(op: str, input: Any, weight: Any, weight_layout: str) -> None:  # noqa: A002 - torch's name
    """What conv2d and conv_transpose2d both check first: Tensors, a 3-d or 4-d input, a 4-d weight laid out as
    ``weight_layout`` with no size 0; errors name what came."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        got = f"{type(input).__name__} and {type(weight).__name__}"
        raise TypeError(f"{op}: input and weight must be Tensors, got {got}")
    shape, wshape = tuple(input.shape), tuple(weight.shape)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched one (C, H, W), got {shape}")
    if weight.ndim != 4:
        raise RuntimeError(f"{op}: weight must be 4-d {weight_layout}, got {wshape}")
    if 0 in wshape:
        # a 0-size kernel would make the kernels index outside their buffers (torch refuses it too)
        raise RuntimeError(f"{op}: weight {weight_layout} must have every size >= 1, got {wshape}")


def check_conv_bias_and_types(op: str, input: Any, weight: Any, bias: Any, out_channels: int) -> None:  # noqa: A002
    """What conv2d and conv_transpose2d both check last: a bias of (out_channels,), one floating dtype, one device."""
    if bias is not None and (not isinstance(bias, Tensor) or tuple(bias.shape) != (out_channels,)):
        got = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise RuntimeError(f"{op}: bias must be a Tensor of shape ({out_channels},) for weight "
                           f"{tuple(weight.shape)}, got {got}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (input.dtype.kind != "f" or t.dtype != input.dtype):
            raise RuntimeError(f"{op}: input ({input.dtype}) and {name} ({t.dtype}) must share a floating dtype")
        if t is not None and type(t._data) is not type(input._data):
            raise RuntimeError(f"{op}: input is on {input.device} but {name} is on {t.device}")


def _check_operands(input: Any, weight: Any, bias: Any, groups: Any) -> None:  # noqa: A002 - torch's name
    """Shapes, channels, groups, dtypes and devices, as torch checks them; errors name what came."""
    check_conv_tensors("conv2d", input, weight, "(out_channels, in_channels/groups, kh, kw)")
    shape, wshape = tuple(input.shape), tuple(weight.shape)
    O, cg = wshape[:2]
    if not isinstance(groups, int) or groups < 1 or O % groups:
        raise RuntimeError(f"conv2d: groups={groups!r} must be a positive int dividing the {O} output channels")
    c = cg * groups
    if input.shape[-3] != c:
        want = f"(N, {c}, H, W)" if input.ndim == 4 else f"({c}, H, W)"
        raise RuntimeError(
            f"conv2d: weight {wshape} with groups={groups} expects {c} input channels: expected {want}, got {shape}"
        )
    check_conv_bias_and_types("conv2d", input, weight, bias, O)


def _conv_geometry(x: Tensor, w: Tensor, stride: Any, padding: Any, dilation: Any, groups: int) -> ConvGeometry:
    """The windows' geometry (top/left padding, output size) from torch's arguments; errors name the sizes."""
    stride, dilation = pair(stride, "stride", "conv2d", 1), pair(dilation, "dilation", "conv2d", 1)
    k = tuple(w.shape[2:])
    span = tuple(d * (kk - 1) + 1 for d, kk in zip(dilation, k))  # the dilated kernel's extent
    size = tuple(x.shape[-2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0), (0, 0))
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError(f"conv2d: padding='same' is not supported for strided convolutions ({stride=})")
            # torch pads d·(k-1) in all, the odd one on the bottom/right
            pads = tuple(((s - 1) // 2, s - 1 - (s - 1) // 2) for s in span)
        else:
            raise RuntimeError(f"conv2d: invalid padding string {padding!r}: expected 'same', 'valid' or ints")
    else:
        p = pair(padding, "padding", "conv2d", 0)
        pads = ((p[0], p[0]), (p[1], p[1]))
    padded = tuple(n + a + b for n, (a, b) in zip(size, pads))
    if padded[0] < span[0] or padded[1] < span[1]:
        raise RuntimeError(
            f"conv2d: padded input per channel is ({padded[0]} x {padded[1]}) but the kernel spans "
            f"({span[0]} x {span[1]}) (kernel {k[0]}x{k[1]}, dilation {dilation}); the kernel can't be larger "
            f"than the padded input {tuple(x.shape)}"
        )
    out_size = tuple((n - s) // st + 1 for n, s, st in zip(padded, span, stride))
    return ConvGeometry(k, stride, (pads[0][0], pads[1][0]), dilation, groups, out_size)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """``torch.nn.functional.conv2d``: input (N, C, H, W) or (C, H, W), weight (O, C/groups, kh, kw), bias (O,).

    padding: int, pair, 'valid' or 'same' (stride 1; an odd total puts the extra row/col at the end).
    Returns (N, O, OH, OW) (or (O, OH, OW)), OH = (H + 2·ph - dh·(kh - 1) - 1) // sh + 1.
    """
    _check_operands(input, weight, bias, groups)
    geometry = _conv_geometry(input, weight, stride, padding, dilation, groups)
    if input.ndim == 3:
        return Conv2d.apply(input.unsqueeze(0), weight, bias, geometry).squeeze(0)
    return Conv2d.apply(input, weight, bias, geometry)


def conv1d(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """``torch.nn.functional.conv1d``: input (N, C, L) or (C, L), weight (O, C/groups, k), bias (O,) ->
    (N, O, L_out) or (O, L_out), L_out = (L + 2p - d·(k - 1) - 1) // s + 1.

    Exactly conv2d over a height of one row: input (N, C, 1, L), weight (O, C/groups, 1, k), stride (1, s),
    padding (0, p), dilation (1, d); the unit kernel height adds no terms, so values and gradients (forward and
    backward side by side with conv2d's) are conv2d's. padding: an int, 'valid' or 'same' (stride 1).
    """
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: {got}")
    if not isinstance(weight, Tensor) or weight.ndim != 3:
        got = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"conv1d: weight must be 3-d (out_channels, in_channels/groups, k), got {got}")
    pad2 = padding if isinstance(padding, str) else (0, single(padding, "padding", "conv1d"))
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, single(stride, "stride", "conv1d")), pad2,
                 (1, single(dilation, "dilation", "conv1d")), groups)
    return out.squeeze(-2)
