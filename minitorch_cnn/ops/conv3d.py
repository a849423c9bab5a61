"""3-d convolution (``torch.nn.functional.conv3d``) as a sum over kernel depth of conv2d's, and its gradient maps.

With x (N, C, D, H, W), W (O, C/G, kd, kh, kw), b (O,) and g = dL/dy (N, O, OD, OH, OW):

    forward:   y[n, :, od] = b + Σ_{k < kd} conv2d(x_pad[n, :, od·sd + k·dd]; W[:, :, k])
    backward:  dx_pad[n, :, od·sd + k·dd] += conv_transpose2d(g[n, :, od]; W[:, :, k])    for every k, od
               dW[:, :, k] = Σ_{n, od} convW(x_pad[n, :, od·sd + k·dd]; g[n, :, od])
               db = Σ_{n, od, oh, ow} g

where x_pad is x with pd zero planes in front along the depth (and as many behind as the windows reach); the
height/width padding, stride, dilation and groups are the 2-d convolution's. For one kernel depth k the slices
x_pad[:, :, od·sd + k·dd] of every od stack into one batch of N·OD planes, so each k is one call of the 2-d
kernels (``kernels.conv_schedule``: im2col + GEMM) — a vol2col taken one kernel plane at a time. The depth
positions od·sd + k·dd are distinct for one k, so dx's scatter is a plain add. dx and dW are linear in each of
their two operands, so their own derivatives are these same three maps again: as nodes (``Conv3dInputGrad``,
``Conv3dWeightGrad``) they give every order of derivative.
"""

from __future__ import annotations

import operator
from typing import Any, NamedTuple

from .. import backend
from ..autograd import Function, Tensor
from ..kernels.conv_schedule import ConvGeometry, conv2d_forward, conv2d_input_grad, conv2d_weight_grad


class Conv3dGeometry(NamedTuple):
    """The depth's (kernel, stride, front padding, dilation, output size) and the planes' 2-d geometry."""

    depth: tuple[int, int, int, int, int]
    plane: ConvGeometry


def _planes(xp: Any, x: Any, geo: Conv3dGeometry, k: int) -> Any:
    """x_pad[:, :, od·sd + k·dd] for every od, as one batch (N·OD, C, H, W) (zeros where it reads padding)."""
    _, s, p, d, out = geo.depth
    n, c, depth = x.shape[:3]
    planes = xp.zeros((n, out, c) + x.shape[3:], dtype=x.dtype)
    for od in range(out):
        src = od * s + k * d - p
        if 0 <= src < depth:
            planes[:, od] = x[:, :, src]
    return planes.reshape((n * out, c) + x.shape[3:])


def _stacked(g: Any) -> Any:
    """g (N, O, OD, OH, OW) as a batch of N·OD planes (N·OD, O, OH, OW)."""
    n, o, out = g.shape[:3]
    return backend.array_module(g).ascontiguousarray(g.transpose(0, 2, 1, 3, 4)).reshape((n * out, o) + g.shape[3:])


def conv3d_forward(x: Any, w: Any, b: Any, geo: Conv3dGeometry) -> Any:
    """y = conv3d(x; W) + b: (N, O, OD, OH, OW)."""
    xp = backend.array_module(x)
    n, out = x.shape[0], geo.depth[4]
    y = None
    for k in range(geo.depth[0]):
        part = conv2d_forward(_planes(xp, x, geo, k), xp.ascontiguousarray(w[:, :, k]), None, geo.plane)
        y = part if y is None else y + part
    y = xp.ascontiguousarray(y.reshape((n, out) + y.shape[1:]).transpose(0, 2, 1, 3, 4))
    return y if b is None else y + b.reshape(-1, 1, 1, 1)


def conv3d_input_grad(g: Any, w: Any, geo: Conv3dGeometry, x_shape: tuple) -> Any:
    """dx = conv_transpose3d(g; W): (N, C, D, H, W)."""
    xp = backend.array_module(g)
    _, s, p, d, out = geo.depth
    n, c, depth = x_shape[:3]
    gs = _stacked(g)
    dx = xp.zeros(x_shape, dtype=g.dtype)
    for k in range(geo.depth[0]):
        part = conv2d_input_grad(gs, xp.ascontiguousarray(w[:, :, k]), geo.plane, (n * out, c) + tuple(x_shape[3:]))
        part = part.reshape((n, out, c) + tuple(x_shape[3:]))
        for od in range(out):
            src = od * s + k * d - p
            if 0 <= src < depth:
                dx[:, :, src] += part[:, od]
    return dx


def conv3d_weight_grad(g: Any, x: Any, geo: Conv3dGeometry) -> Any:
    """dW = Σ over the batch and output depth of the planes' weight gradients: (O, C/G, kd, kh, kw)."""
    xp = backend.array_module(x)
    gs = _stacked(g)
    parts = [conv2d_weight_grad(gs, _planes(xp, x, geo, k), geo.plane)[0] for k in range(geo.depth[0])]
    return xp.stack(parts, axis=2)


class Conv3d(Function):
    """y = conv3d(x; W) + b, and its gradients (see the module docstring)."""

    torch_name = "ConvolutionBackward0"
    fresh_grads = True  # new arrays from the kernels
    torch_edges = (0, 1, 2)

    def forward(self, x: Any, w: Any, b: Any, geo: Conv3dGeometry) -> Any:
        # x: (N, C, D, H, W)   w: (O, C/G, kd, kh, kw)   b: (O,) or None   →   y: (N, O, OD, OH, OW)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        self.x = x if need_w else None
        self.w = w if need_x else None
        self.x_shape, self.need_b, self.geo = x.shape, need_b, geo
        return conv3d_forward(x, w, b, geo)

    def backward(self, g: Any) -> tuple:
        # g: (N, O, OD, OH, OW)  →  dx: (N, C, D, H, W),  dW: (O, C/G, kd, kh, kw),  db: (O,)
        dx = conv3d_input_grad(g, self.w, self.geo, self.x_shape) if self.w is not None else None
        dw = conv3d_weight_grad(g, self.x, self.geo) if self.x is not None else None
        db = g.sum(axis=(0, 2, 3, 4), dtype="float64").astype(g.dtype) if self.need_b else None
        return dx, dw, db

    def backward_graph(self, g: Tensor) -> tuple:
        dx = Conv3dInputGrad.apply(g, self.input_tensor(1, self.w), self.x_shape, self.geo) if (
            self.w is not None) else None
        dw = Conv3dWeightGrad.apply(self.input_tensor(0, self.x), g, self.geo) if self.x is not None else None
        db = g.sum(dim=(0, 2, 3, 4)) if self.need_b else None
        return dx, dw, db


class Conv3dInputGrad(Function):
    """dx = conv_transpose3d(g; W) as a node; bilinear in (g, W): for an upstream h shaped like x,
    dL/dg = conv3d(h; W) and dL/dW = convW(h; g)."""

    fresh_grads = True

    def forward(self, g: Any, w: Any, x_shape: tuple, geo: Conv3dGeometry) -> Any:
        need_g, need_w = self.needs_input_grad[:2]
        self.g = g if need_w else None
        self.w = w if need_g else None
        self.geo = geo
        return conv3d_input_grad(g, w, geo, x_shape)

    def backward(self, h: Any) -> tuple:
        dg = conv3d_forward(h, self.w, None, self.geo) if self.w is not None else None
        dw = conv3d_weight_grad(self.g, h, self.geo) if self.g is not None else None
        return dg, dw

    def backward_graph(self, h: Tensor) -> tuple:
        dg = Conv3d.apply(h, self.input_tensor(1, self.w), None, self.geo) if self.w is not None else None
        dw = Conv3dWeightGrad.apply(h, self.input_tensor(0, self.g), self.geo) if self.g is not None else None
        return dg, dw


class Conv3dWeightGrad(Function):
    """dW = convW(x; g) as a node; bilinear in (x, g): for an upstream k shaped like W,
    dL/dx = conv_transpose3d(g; k) and dL/dg = conv3d(x; k)."""

    fresh_grads = True

    def forward(self, x: Any, g: Any, geo: Conv3dGeometry) -> Any:
        need_x, need_g = self.needs_input_grad[:2]
        self.x = x if need_g else None
        self.g = g if need_x else None
        self.x_shape, self.geo = x.shape, geo
        return conv3d_weight_grad(g, x, geo)

    def backward(self, k: Any) -> tuple:
        dx = conv3d_input_grad(self.g, k, self.geo, self.x_shape) if self.g is not None else None
        dg = conv3d_forward(self.x, k, None, self.geo) if self.x is not None else None
        return dx, dg

    def backward_graph(self, k: Tensor) -> tuple:
        dx = Conv3dInputGrad.apply(self.input_tensor(1, self.g), k, self.x_shape, self.geo) if (
            self.g is not None) else None
        dg = Conv3d.apply(self.input_tensor(0, self.x), k, None, self.geo) if self.x is not None else None
        return dx, dg


def triple(value: Any, name: str) -> tuple[int, int, int]:
    """torch's (depth, height, width) argument: an int or a 1- or 3-sequence of ints, errors as torch's."""
    given = list(value) if isinstance(value, (tuple, list)) else value
    items = list(value) if isinstance(value, (tuple, list)) else [value]
    if len(items) == 1:
        items = items * 3
    try:
        if len(items) != 3:
            raise TypeError
        return tuple(operator.index(v) for v in items)
    except TypeError:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of 3 values to match the "
                           f"convolution dimensions, but got {name}={given}") from None


def _check(input: Any, weight: Any, bias: Any, groups: int) -> None:  # noqa: A002 - torch's name
    """Shapes, channels, groups, dtypes and devices, with torch's messages."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"conv3d(): input and weight must be Tensors, got {type(input).__name__} and "
                        f"{type(weight).__name__}")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: "
                           f"{list(input.shape)}")
    wshape = list(weight.shape)
    if weight.ndim != 5:
        raise RuntimeError(f"conv3d: weight must be 5-d (out_channels, in_channels/groups, kd, kh, kw), got "
                           f"{tuple(wshape)}")
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"non-positive groups is not supported, got groups={groups!r}")
    if wshape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{wshape}] instead")
    if 0 in wshape:
        raise RuntimeError(f"conv3d: weight must have every size >= 1, got {tuple(wshape)}")
    shape = list(input.shape) if input.ndim == 5 else [1, *input.shape]
    if shape[1] != wshape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {wshape}, expected input{shape} to have "
                           f"{wshape[1] * groups} channels, but got {shape[1]} channels instead")
    if bias is not None and (not isinstance(bias, Tensor) or tuple(bias.shape) != (wshape[0],)):
        got = list(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise RuntimeError(f"Given weight of size {wshape}, expected bias to be 1-dimensional with {wshape[0]} "
                           f"elements, but got bias of size {got} instead")
    check_types("conv3d", input, weight, bias)


_TORCH_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double"}


def check_types(op: str, input: Tensor, weight: Tensor, bias: Any) -> None:  # noqa: A002 - torch's name
    """One floating dtype and one device for input, weight and bias, with torch's messages."""
    def torch_type(t: Tensor) -> str:
        return _TORCH_TYPE_NAMES.get(str(t._data.dtype), str(t._data.dtype))

    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {torch_type(input)} but found {torch_type(weight)}")
    if bias is not None and bias.dtype != input.dtype and op == "conv_transpose3d":  # torch words it as for W
        raise RuntimeError(f"expected scalar type {torch_type(input)} but found {torch_type(bias)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({torch_type(input).lower()}) and bias type ({torch_type(bias).lower()}) "
                           f"should be the same")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and type(t._data) is not type(input._data):
            raise RuntimeError(f"{op}: input is on {input.device} but {name} is on {t.device}")


def _geometry(x: Tensor, w: Tensor, stride: Any, padding: Any, dilation: Any, groups: int) -> tuple:
    """(front padding per dim, back padding per dim, Conv3dGeometry) from torch's arguments."""
    stride, dilation = triple(stride, "stride"), triple(dilation, "dilation")
    if min(stride) < 1:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) < 1:
        raise RuntimeError(f"dilation should be greater than zero, got dilation={list(dilation)}")
    k = tuple(w.shape[2:])
    span = tuple(d * (kk - 1) + 1 for d, kk in zip(dilation, k))
    size = tuple(x.shape[-3:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * 3
        elif padding == "same":
            if stride != (1, 1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = tuple(((s - 1) // 2, s - 1 - (s - 1) // 2) for s in span)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = triple(padding, "padding")
        if min(p) < 0:
            raise RuntimeError("negative padding is not supported")
        pads = tuple((q, q) for q in p)
    padded = tuple(n + a + b for n, (a, b) in zip(size, pads))
    if any(pp < sp for pp, sp in zip(padded, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel "
                           f"size: ({' x '.join(map(str, span))}). Kernel size can't be greater than actual input "
                           f"size")
    out = tuple((n - s) // st + 1 for n, s, st in zip(padded, span, stride))
    plane = ConvGeometry(k[1:], stride[1:], (pads[1][0], pads[2][0]), dilation[1:], groups, out[1:])
    return Conv3dGeometry((k[0], stride[0], pads[0][0], dilation[0], out[0]), plane)


def conv3d(
    input: Tensor,  # noqa: A002 - torch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """``torch.nn.functional.conv3d``: input (N, C, D, H, W) or (C, D, H, W), weight (O, C/groups, kd, kh, kw),
    bias (O,) -> (N, O, OD, OH, OW), each OD = (D + 2·pd - dd·(kd - 1) - 1) // sd + 1.

    padding: int, triple, 'valid' or 'same' (stride 1; an odd total puts the extra plane at the end).
    """
    _check(input, weight, bias, groups)
    geo = _geometry(input, weight, stride, padding, dilation, groups)
    if input.ndim == 4:
        return Conv3d.apply(input.unsqueeze(0), weight, bias, geo).squeeze(0)
    return Conv3d.apply(input, weight, bias, geo)
