"""2-d convolution (``torch.nn.functional.conv2d``) by im2col + GEMM; backward by two GEMMs and col2im.

Layout, chosen by measurement on the (64, 64, 32, 32) 3×3 pad-1 float32 layer (benchmarks/conv_layer.py
times the alternatives): the columns are channel-major, (C·kh·kw, N·OH·OW), built tap by tap. Then the
GEMM is W (O, C·kh·kw) @ cols, and a group's rows are a contiguous block, so groups are one batched
matmul with no copies. The GEMM output (O, N·OH·OW) is turned into (N, O, OH, OW) in the same pass that
adds the bias. Per-sample GEMMs and channels-last columns were slower. (The Numba path computes the forward and
dx of stride-1 layers directly, without columns, by register-blocked tiles: see ``numba_kernels._conv_tiles``.)

The batch goes through in chunks whose columns take at most ``BUDGET_SHARE`` times the bytes of the layer's
input and output together (within [``MIN_CHUNK_BYTES``, ``MAX_CHUNK_BYTES``]): the columns are then a fixed
share of what torch's own step keeps (its direct convolutions need no columns), so the peak memory of a step
stays within 1.5x torch's, while the GEMMs stay big. Measured on the 2-core machine (CIFAR CNN step, the
policies interleaved in one process): whole-batch chunks 120 ms but 136 MiB of columns against torch's 31
MiB peak; twice the layer's bytes 135 ms at 1.48x torch's memory (the small ResNet 1.68x); once, 152 ms at
1.0x (the share kept); the old 1 MiB chunks (one sample each: 64 small GEMMs and kernel launches, each waking
the BLAS and Numba threads) 219 ms.
Backward recomputes the columns from x instead of keeping them (they are k·k times the input), so a conv
layer saves only its input. The column buffers come from ``kernels.workspace``.

On the CPU the batch is first split into one share per thread (``kernels.threadpool``): each thread runs its
share's chunks with im2col, a one-thread GEMM and col2im (the kernels ``conv2d_forward_chunks`` and
``conv2d_backward_chunks``; Numba's runs a whole share in one call without the GIL), and backward adds the
shares' dW and db in order.
Measured against one share on the calling thread with two-thread GEMMs (2 threads, training steps interleaved
in one process): CIFAR CNN 80 -> 56 ms, small ResNet 108 -> 98 ms, LeNet-5 11.4 -> 9.9 ms, ResNet-18 2.53 ->
2.26 s, AlexNet-BN 1.73 -> 1.42 s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, kernels
from ..autograd import Function, Tensor
from ..kernels import threadpool, workspace
from ._pairs import pair

MIN_CHUNK_BYTES, MAX_CHUNK_BYTES = 1 << 20, 64 << 20  # bounds on one chunk's columns (see above)
BUDGET_SHARE = 1  # columns per chunk: up to this many times the bytes of the layer's input and output


def _chunks(n: int, bytes_per_sample: int, budget: int, xp: Any) -> int:
    """Samples per chunk: columns of at most ``BUDGET_SHARE · budget`` bytes, clamped to the bounds above (the
    whole batch on a GPU)."""
    cap = min(MAX_CHUNK_BYTES, max(MIN_CHUNK_BYTES, BUDGET_SHARE * budget))
    return max(1, n if xp is not np else min(n, cap // max(bytes_per_sample, 1)))


def _parts(n: int, xp: Any) -> list[tuple[int, int]]:
    """The batch's [a, b) shares, one per thread of ``kernels.threadpool`` (one share on a GPU)."""
    return threadpool.split(n, threadpool.workers() if xp is np else 1)


def _summed(shares: list) -> Any:
    """The shares' partial sums added in order (None when they were not computed)."""
    total = shares[0]
    if total is not None:
        for part in shares[1:]:
            total += part
    return total


class Conv2d(Function):
    """y[n, o] = b[o] + Σ_{c in o's group, i, j} W[o, c, i, j] · x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw].

    The batch is split over ``kernels.threadpool``'s threads (each runs its samples' chunks with a one-thread
    GEMM), and within a share goes through in chunks (see the module docstring).
    """

    fresh_grads = True  # new arrays from the GEMMs and sums

    def forward(
        self, x: Any, w: Any, b: Any, stride: tuple, padding: tuple, dilation: tuple, groups: int, out_size: tuple
    ) -> Any:
        # x: (N, C, H, W)   w: (O, C/G, kh, kw)   b: (O,) or None   →   y: (N, O, OH, OW)
        xp = backend.array_module(x)
        N = x.shape[0]
        O = w.shape[0]
        self.geometry = ((w.shape[2], w.shape[3]), stride, padding, dilation, out_size)
        y = xp.empty((N, O, *out_size), dtype=x.dtype)
        self.groups = groups
        parts = _parts(N, xp)
        threadpool.run(self._forward_part, [(x, w, b, y, a, z, len(parts)) for a, z in parts], signal=True)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        self.x = x if need_w else None  # dL/dW needs the columns: rebuilt from x chunk by chunk
        self.w = w if need_x else None
        self.x_shape, self.w_shape, self.need_b = x.shape, w.shape, need_b
        return y

    def _forward_part(
        self, x: Any, w: Any, b: Any, y: Any, a: int, z: int, shares: int, go: Any, go_value: int
    ) -> None:
        """y[a:z] from x[a:z], in chunks whose columns fit this share of the budget; the kernel posts ``go``
        (``threadpool.run``'s ``signal``)."""
        xp = backend.array_module(x)
        O, _, kh, kw = w.shape
        L, K = self.geometry[4][0] * self.geometry[4][1], x.shape[1] * kh * kw
        step = _chunks(z - a, K * L * x.itemsize, (x.nbytes + y.nbytes) // shares, xp)
        buf = workspace.take(((K + O) * step * L,), x.dtype, x)  # the columns, then the GEMM's output
        kernels.get("conv2d_forward_chunks", x)(
            x, w, b, y, a, z, step, buf[: K * step * L], buf[K * step * L :], self.groups, *self.geometry, go,
            go_value,
        )
        workspace.give(buf)

    def backward(self, g: Any) -> tuple:
        # g = dL/dy: (N, O, OH, OW)
        xp = backend.array_module(g)
        N, O = g.shape[:2]
        C = self.x_shape[1]
        (kh, kw), G = self.geometry[0], self.groups
        need_x, need_w = self.w is not None, self.x is not None
        parts = _parts(N, xp)
        dx = xp.empty(self.x_shape, dtype=g.dtype) if need_x else None
        sums = threadpool.run(self._backward_part, [(g, dx, a, z, len(parts)) for a, z in parts], signal=True)
        dw, db = _summed([s[0] for s in sums]), _summed([s[1] for s in sums])
        dw = dw.reshape(O, C // G, kh, kw).astype(g.dtype) if need_w else None
        return dx, dw, (db.astype(g.dtype) if db is not None else None)

    def _backward_part(self, g: Any, dx: Any, a: int, z: int, shares: int, go: Any, go_value: int) -> tuple:
        """dx[a:z] and this share's float64 sums for dW and db, chunk by chunk; the kernel posts ``go``."""
        xp = backend.array_module(g)
        O, oh, ow = g.shape[1:]
        L, K = oh * ow, self.x_shape[1] * self.geometry[0][0] * self.geometry[0][1]
        budget = (g.itemsize * math.prod(self.x_shape) + g.nbytes) // shares
        step = _chunks(z - a, K * L * g.itemsize, budget, xp)
        buf = workspace.take(((O + K) * step * L,), g.dtype, g)  # g in the GEMMs' layout, then the columns
        sums = kernels.get("conv2d_backward_chunks", g)(
            g, self.x, self.w, dx, self.x_shape, a, z, step, buf[: O * step * L], buf[O * step * L :], self.groups,
            self.need_b, *self.geometry, go, go_value,
        )
        workspace.give(buf)
        return sums

    def backward_graph(self, g: Tensor) -> tuple:
        # dx = conv_transpose(g, W) and dW = the weight-gradient convolution of x and g: both nodes whose own
        # backward are convolutions again, so every order of derivative is made of the same three convolutions
        need_x, need_w = self.w is not None, self.x is not None
        spec = (self.geometry, self.groups)
        dx = ConvInputGrad.apply(g, self.input_tensor(1, self.w), self.x_shape, spec) if need_x else None
        dw = ConvWeightGrad.apply(self.input_tensor(0, self.x), g, self.w_shape, spec) if need_w else None
        db = g.sum(dim=(0, 2, 3)) if self.need_b else None
        return dx, dw, db


def _conv_raw(x: Any, w: Any, spec: tuple) -> Any:
    """y = conv2d(x, w) on raw arrays with a saved geometry, no bias, no graph."""
    (_, stride, padding, dilation, out_size), groups = spec
    ctx = object.__new__(Conv2d)
    ctx.needs_input_grad = (False,) * 8
    return ctx.forward(x, w, None, stride, padding, dilation, groups, out_size)


def _conv_grads_raw(g: Any, x: Any, w: Any, x_shape: tuple, spec: tuple) -> tuple:
    """(dx, dW) of conv2d for upstream g on raw arrays: dx needs w, dW needs x (None: not computed)."""
    ctx = object.__new__(Conv2d)
    ctx.geometry, ctx.groups = spec
    ctx.x, ctx.w, ctx.x_shape, ctx.need_b = x, w, x_shape, False
    dx, dw, _ = ctx.backward(g)
    return dx, dw


class ConvInputGrad(Function):
    """dx = conv_transpose2d(g, W): conv2d's input gradient as a node (N, O, OH, OW) × (O, C/G, kh, kw) → x_shape.

    Bilinear in (g, W): for an upstream h (x's shape), dL/dg = conv2d(h, W) and dL/dW = ConvWeightGrad(h, g).
    """

    fresh_grads = True

    def forward(self, g: Any, w: Any, x_shape: tuple, spec: tuple) -> Any:
        need_g, need_w = self.needs_input_grad[:2]
        self.g = g if need_w else None
        self.w = w if need_g else None
        self.x_shape, self.w_shape, self.spec = x_shape, w.shape, spec
        return _conv_grads_raw(g, None, w, x_shape, spec)[0]

    def backward(self, h: Any) -> tuple:
        dg = _conv_raw(h, self.w, self.spec) if self.w is not None else None
        dw = _conv_grads_raw(self.g, h, None, self.x_shape, self.spec)[1] if self.g is not None else None
        return dg, dw

    def backward_graph(self, h: Tensor) -> tuple:
        (_, stride, padding, dilation, out_size), groups = self.spec
        dg = Conv2d.apply(h, self.input_tensor(1, self.w), None, stride, padding, dilation, groups, out_size) if (
            self.w is not None) else None
        dw = ConvWeightGrad.apply(h, self.input_tensor(0, self.g), self.w_shape, self.spec) if (
            self.g is not None) else None
        return dg, dw


class ConvWeightGrad(Function):
    """dW = the weight gradient of conv2d: x (N, C, H, W) and g (N, O, OH, OW) → (O, C/G, kh, kw), as a node.

    Bilinear in (x, g): for an upstream k (W's shape), dL/dx = ConvInputGrad(g, k) and dL/dg = conv2d(x, k).
    """

    fresh_grads = True

    def forward(self, x: Any, g: Any, w_shape: tuple, spec: tuple) -> Any:
        need_x, need_g = self.needs_input_grad[:2]
        self.x = x if need_g else None
        self.g = g if need_x else None
        self.x_shape, self.spec = x.shape, spec
        return _conv_grads_raw(g, x, None, x.shape, spec)[1].reshape(w_shape)

    def backward(self, k: Any) -> tuple:
        dx = _conv_grads_raw(self.g, None, k, self.x_shape, self.spec)[0] if self.g is not None else None
        dg = _conv_raw(self.x, k, self.spec) if self.x is not None else None
        return dx, dg

    def backward_graph(self, k: Tensor) -> tuple:
        (_, stride, padding, dilation, out_size), groups = self.spec
        dx = ConvInputGrad.apply(self.input_tensor(1, self.g), k, self.x_shape, self.spec) if (
            self.g is not None) else None
        dg = Conv2d.apply(self.input_tensor(0, self.x), k, None, stride, padding, dilation, groups, out_size) if (
            self.x is not None) else None
        return dx, dg


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
    if 0 in wshape:
        # a 0-size kernel would make the kernels index outside their buffers (torch refuses it too)
        raise RuntimeError(
            f"conv2d: weight (out_channels, in_channels/groups, kh, kw) must have every size >= 1, got {wshape}"
        )
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
        if t is not None and type(t._data) is not type(input._data):
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
