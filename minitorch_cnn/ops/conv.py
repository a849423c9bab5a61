"""2-d convolution (``torch.nn.functional.conv2d``) by im2col + GEMM; backward by two GEMMs and col2im.

Layout, chosen by measurement on the (64, 64, 32, 32) 3×3 pad-1 float32 layer (benchmarks/conv_layer.py
times the alternatives): the columns are channel-major, (C·kh·kw, N·OH·OW), built tap by tap with kh·kw
strided slice copies. Then forward is ONE GEMM for the whole batch, W (O, C·kh·kw) @ cols, and a
group's rows are a contiguous block, so groups are one batched matmul with no copies. The GEMM output
(O, N·OH·OW) is turned into (N, O, OH, OW) in the same pass that adds the bias. Per-sample GEMMs
(N, C·kh·kw, OH·OW) and channels-last columns (N·OH·OW, kh·kw·C) were slower. The big temporaries
come from ``kernels.workspace`` so their pages are not faulted in anew every step.
"""

from __future__ import annotations

from typing import Any

from .. import backend, kernels
from ..autograd import Function, Tensor
from ..kernels import workspace
from ._pairs import pair


class Conv2d(Function):
    """y[n, o] = b[o] + Σ_{c in o's group, i, j} W[o, c, i, j] · x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]."""

    def forward(
        self, x: Any, w: Any, b: Any, stride: tuple, padding: tuple, dilation: tuple, groups: int, out_size: tuple
    ) -> Any:
        # x: (N, C, H, W)   w: (O, C/G, kh, kw)   b: (O,) or None   →   y: (N, O, OH, OW)
        xp = backend.array_module(x)
        N, C = x.shape[:2]
        O, cg, kh, kw = w.shape
        oh, ow = out_size
        G, L = groups, out_size[0] * out_size[1]
        self.geometry = ((kh, kw), stride, padding, dilation, out_size)
        cols = workspace.take((C * kh * kw, N * L), x.dtype, x)
        kernels.get("im2col", x)(x, *self.geometry, out=cols)  # (C·kh·kw, N·L)
        y2 = workspace.take((O, N * L), x.dtype, x)
        # one GEMM per group: (G, O/G, C/G·kh·kw) @ (G, C/G·kh·kw, N·L) → (G, O/G, N·L) = (O, N·L)
        xp.matmul(w.reshape(G, O // G, -1), cols.reshape(G, cg * kh * kw, -1), out=y2.reshape(G, O // G, -1))
        y = xp.empty((N, O, oh, ow), dtype=x.dtype)
        src = y2.reshape(O, N, oh, ow)
        if b is None:
            y.transpose(1, 0, 2, 3)[...] = src
        else:
            xp.add(src, b.reshape(O, 1, 1, 1), out=y.transpose(1, 0, 2, 3))
        workspace.give(y2)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        self.cols = cols if need_w else None  # dL/dW needs the columns; given back in release()
        if not need_w:
            workspace.give(cols)
        self.w = w if need_x else None
        self.x_shape, self.w_shape, self.groups, self.need_b = x.shape, w.shape, G, need_b
        return y

    def backward(self, g: Any) -> tuple:
        # g = dL/dy: (N, O, OH, OW)
        xp = backend.array_module(g)
        N, O, oh, ow = g.shape
        G, (_, cg, kh, kw) = self.groups, self.w_shape
        g2 = workspace.take((O, N * oh * ow), g.dtype, g)
        g2.reshape(O, N, oh, ow)[...] = g.transpose(1, 0, 2, 3)  # (O, N·L): the GEMMs' layout
        gg = g2.reshape(G, O // G, -1)  # (G, O/G, N·L)
        dx = dw = db = None
        if self.need_b:
            db = g2.sum(axis=1)  # dL/db[o] = Σ_{n, oh, ow} g[n, o, oh, ow]: (O,)
        if self.cols is not None:
            # dL/dW = g · colsᵀ per group: (G, O/G, N·L) @ (G, N·L, C/G·kh·kw) → (O, C/G, kh, kw)
            dw = xp.matmul(gg, self.cols.reshape(G, cg * kh * kw, -1).transpose(0, 2, 1)).reshape(self.w_shape)
        if self.w is not None:
            # dL/dcols = Wᵀ · g per group: (G, C/G·kh·kw, O/G) @ (G, O/G, N·L) → (C·kh·kw, N·L)
            dcols = workspace.take((G * cg * kh * kw, gg.shape[-1]), g.dtype, g)
            xp.matmul(self.w.reshape(G, O // G, -1).transpose(0, 2, 1), gg, out=dcols.reshape(G, cg * kh * kw, -1))
            # dL/dx: each column entry flows back to the input pixel im2col copied it from
            dx = kernels.get("col2im", dcols)(dcols, self.x_shape, *self.geometry)
            workspace.give(dcols)
        workspace.give(g2)
        return dx, dw, db

    def release(self) -> None:
        cols = self.__dict__.get("cols")
        if cols is not None:
            workspace.give(cols)
        super().release()


def _check_operands(input: Any, weight: Any, bias: Any, groups: Any) -> None:
    """Shapes, channels, groups, dtypes and devices, as torch checks them; errors name what came."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        got = f"{type(input).__name__} and {type(weight).__name__}"
        raise TypeError(f"conv2d: input and weight must be Tensors, got {got}")
    shape, wshape = tuple(input.shape), tuple(weight.shape)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"conv2d: expected a 4-d input (N, C, H, W) or a 3-d unbatched one (C, H, W), got {shape}")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4-d (out_channels, in_channels/groups, kh, kw), got {wshape}")
    O, cg = wshape[:2]
    if not isinstance(groups, int) or groups < 1 or O % groups:
        raise RuntimeError(f"conv2d: groups={groups!r} must be a positive int dividing the {O} output channels")
    c = cg * groups
    if input.shape[-3] != c:
        want = f"(N, {c}, H, W)" if input.ndim == 4 else f"({c}, H, W)"
        raise RuntimeError(
            f"conv2d: weight {wshape} with groups={groups} expects {c} input channels: expected {want}, got {shape}"
        )
    if bias is not None and (not isinstance(bias, Tensor) or tuple(bias.shape) != (O,)):
        got = tuple(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
        raise RuntimeError(f"conv2d: bias must be a Tensor of shape ({O},) for weight {wshape}, got {got}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (input.dtype.kind != "f" or t.dtype != input.dtype):
            raise RuntimeError(f"conv2d: input ({input.dtype}) and {name} ({t.dtype}) must share a floating dtype")
        if t is not None and type(t.data) is not type(input.data):
            raise RuntimeError(f"conv2d: input is on {input.device} but {name} is on {t.device}")


def _conv_geometry(x: Tensor, w: Tensor, stride: Any, padding: Any, dilation: Any) -> tuple:
    """(stride, top-left padding, dilation, output size) as pairs, from torch's arguments; errors name the sizes."""
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
    return stride, (pads[0][0], pads[1][0]), dilation, out_size


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
    stride, pad, dilation, out_size = _conv_geometry(input, weight, stride, padding, dilation)
    if input.ndim == 3:
        return Conv2d.apply(input.unsqueeze(0), weight, bias, stride, pad, dilation, groups, out_size).squeeze(0)
    return Conv2d.apply(input, weight, bias, stride, pad, dilation, groups, out_size)
