"""2-d pooling with torch's semantics: max (one argmax per window), average, and their adaptive forms.

The windows' loops live in the kernels (``minitorch_cnn.kernels``); this file holds torch's rules
(output sizes with ceil_mode, average divisors at the borders, adaptive windows) and the graph nodes.
Inputs are (N, C, H, W) or unbatched (C, H, W), floating point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend, kernels
from ..autograd import Function, Tensor, is_grad_enabled
from ._pairs import pair


class MaxPool2d(Function):
    """y = x at each window's argmax; dL/dx: each g goes back to the pixel its window took.

    The kernel finds the maxima and their flat argmax once, before the node is made (so they can also
    be returned to the caller); the node records where every output came from.
    """

    fresh_grads = True  # backward allocates every array it returns

    def forward(self, x: Any, y: Any, indices: Any, unique: bool) -> Any:
        # x: (N, C, H, W)   y, indices: (N, C, OH, OW), indices flat into H·W
        self.indices, self.in_size, self.unique = indices, x.shape[-2:], unique
        return y

    def backward(self, g: Any) -> Any:
        # dL/dx[n, c, p] = Σ_{windows whose argmax is p} g[n, c, window]: (N, C, H, W)
        return kernels.get("max_pool2d_backward", g)(g, self.indices, self.in_size, self.unique), None, None

    def backward_graph(self, g: Tensor) -> tuple:
        return MaxPoolScatter.apply(g, self.indices, self.in_size, self.unique), None, None


def _gather(x: Any, indices: Any) -> Any:
    """x (N, C, H, W) read at the flat H·W ``indices`` (N, C, OH, OW)."""
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    return backend.array_module(x).take_along_axis(flat, indices.reshape(n, c, -1), axis=2).reshape(indices.shape)


class MaxPoolScatter(Function):
    """Max-pool's backward as a node: g (N, C, OH, OW) added into zeros (N, C, H, W) at the saved argmax indices.
    Linear in g; its own backward gathers by the same indices (MaxPoolGather), whose backward scatters again."""

    fresh_grads = True

    def forward(self, g: Any, indices: Any, in_size: tuple, unique: bool) -> Any:
        self.indices, self.in_size, self.unique = indices, in_size, unique
        return kernels.get("max_pool2d_backward", g)(g, indices, in_size, unique)

    def backward(self, h: Any) -> Any:
        return _gather(h, self.indices)

    def backward_graph(self, h: Tensor) -> Tensor:
        return MaxPoolGather.apply(h, self.indices, self.in_size, self.unique)


class MaxPoolGather(Function):
    """y = x at the saved flat indices: (N, C, H, W) → (N, C, OH, OW); the adjoint of MaxPoolScatter."""

    def forward(self, x: Any, indices: Any, in_size: tuple, unique: bool) -> Any:
        self.indices, self.in_size, self.unique = indices, in_size, unique
        return _gather(x, indices)

    def backward(self, g: Any) -> Any:
        return kernels.get("max_pool2d_backward", g)(g, self.indices, self.in_size, self.unique)

    def backward_graph(self, g: Tensor) -> Tensor:
        return MaxPoolScatter.apply(g, self.indices, self.in_size, self.unique)


class AvgPool2d(Function):
    """y[o] = Σ_{p in window o} x_pad[p] / divisor[o];  dL/dx[p] = Σ_{windows o ∋ p} g[o] / divisor[o]."""

    fresh_grads = True  # backward allocates every array it returns

    def forward(self, x: Any, kernel_size: tuple, stride: tuple, padding: tuple, out_size: tuple, divisor: Any) -> Any:
        # x: (N, C, H, W) → y: (N, C, OH, OW); divisor: a number or (OH, OW)
        self.args = (x.shape[-2:], kernel_size, stride, padding, divisor)
        return kernels.get("avg_pool2d_forward", x)(x, kernel_size, stride, padding, out_size, divisor)

    def backward(self, g: Any) -> Any:
        # g: (N, C, OH, OW) → dL/dx: (N, C, H, W)
        return kernels.get("avg_pool2d_backward", g)(g, *self.args)

    def backward_graph(self, g: Tensor) -> Tensor:
        return AvgPoolAdjoint.apply(g, self.args, tuple(g.shape[-2:]))


class AvgPoolAdjoint(Function):
    """Average pooling's backward as a node: g (N, C, OH, OW) spread over each window / divisor → (N, C, H, W).
    Linear in g; its adjoint is the average pooling itself."""

    fresh_grads = True

    def forward(self, g: Any, args: tuple, out_size: tuple) -> Any:
        self.args, self.out_size = args, out_size
        return kernels.get("avg_pool2d_backward", g)(g, *args)

    def backward(self, h: Any) -> Any:
        _, k, s, p, divisor = self.args
        return kernels.get("avg_pool2d_forward", h)(h, k, s, p, self.out_size, divisor)

    def backward_graph(self, h: Tensor) -> Tensor:
        _, k, s, p, divisor = self.args
        return AvgPool2d.apply(h, k, s, p, self.out_size, divisor)


class AdaptiveAvgPool2d(Function):
    """Per plane y = A_h · x · A_wᵀ, where A[o, i] = 1/|window o| for i in window o; so dL/dx = A_hᵀ · g · A_w.

    The windows are torch's: start = ⌊o·n/out⌋, end = ⌈(o+1)·n/out⌉; the two small GEMMs handle
    windows of every size (and overlapping ones) in one pass each.
    """

    fresh_grads = True  # backward allocates every array it returns

    def forward(self, x: Any, a_h: Any, a_w: Any) -> Any:
        # x: (N, C, H, W)   a_h: (OH, H)   a_w: (OW, W)   →   y: (N, C, OH, OW)
        xp = backend.array_module(x)
        N, C, H, W = x.shape
        oh, ow = a_h.shape[0], a_w.shape[0]
        self.a_h, self.a_w = a_h, a_w
        t = x.reshape(-1, W) @ a_w.T  # average along rows: (N·C·H, OW)
        t = t.reshape(N * C, H, ow).transpose(0, 2, 1).reshape(-1, H) @ a_h.T  # then columns: (N·C·OW, OH)
        return xp.ascontiguousarray(t.reshape(N, C, ow, oh).transpose(0, 1, 3, 2))

    def backward(self, g: Any) -> tuple:
        # g: (N, C, OH, OW) → dL/dx = A_hᵀ g A_w: (N, C, H, W)
        xp = backend.array_module(g)
        N, C, oh, ow = g.shape
        H, W = self.a_h.shape[1], self.a_w.shape[1]
        if oh == ow == 1:
            # global average pooling (ResNets' head): every pixel gets g / (H·W), torch's bits; the two
            # outer-product GEMMs below took 1.1 ms of a small ResNet's 60 ms step for this
            d = g / g.dtype.type(H * W)
            return xp.ascontiguousarray(xp.broadcast_to(d, (N, C, H, W))), None, None
        u = g.reshape(-1, ow) @ self.a_w  # (N·C·OH, W)
        u = u.reshape(N * C, oh, W).transpose(0, 2, 1).reshape(-1, oh) @ self.a_h  # (N·C·W, H)
        return xp.ascontiguousarray(u.reshape(N, C, W, H).transpose(0, 1, 3, 2)), None, None

    def backward_graph(self, g: Tensor) -> tuple:
        return AdaptiveAvgAdjoint.apply(g, self.a_h, self.a_w), None, None


class AdaptiveAvgAdjoint(Function):
    """Adaptive average pooling's backward as a node: dL/dx = A_hᵀ g A_w. Linear in g; its adjoint is the
    pooling itself."""

    def forward(self, g: Any, a_h: Any, a_w: Any) -> Any:
        self.a_h, self.a_w = a_h, a_w
        ctx = object.__new__(AdaptiveAvgPool2d)
        ctx.a_h, ctx.a_w = a_h, a_w
        return ctx.backward(g)[0]

    def backward(self, h: Any) -> tuple:
        ctx = object.__new__(AdaptiveAvgPool2d)
        return ctx.forward(h, self.a_h, self.a_w), None, None

    def backward_graph(self, h: Tensor) -> tuple:
        return AdaptiveAvgPool2d.apply(h, self.a_h, self.a_w), None, None


# ---- torch's rules --------------------------------------------------------------------------------


def _batched(input: Any, op: str) -> Tensor:
    """input as (N, C, H, W) (unbatched (C, H, W) gets N = 1), after checking what it is."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError(
            f"{op}: expected a 4-d input (N, C, H, W) or a 3-d unbatched one (C, H, W) with non-zero C, H, W, "
            f"got shape {tuple(input.shape)}"
        )
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    return input if input.ndim == 4 else input.unsqueeze(0)


def _out_len(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling output length; with ceil_mode the last window must start inside the input or left padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_geometry(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool
) -> tuple:
    """(kernel, stride, padding, dilation, out_size) pairs, checked as torch checks them."""
    k = pair(kernel_size, "kernel_size", op, 1)
    no_stride = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)  # torch: the kernel size
    s = k if no_stride else pair(stride, "stride", op, 1)
    p, d = pair(padding, "padding", op, 0), pair(dilation, "dilation", op, 1)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(f"{op}: pad should be at most half of kernel size, but got pad={p}, kernel_size={k}")
    size = tuple(x.shape[-2:])
    out = tuple(_out_len(*args, ceil_mode) for args in zip(size, k, s, p, d))
    if min(out) < 1:
        raise RuntimeError(
            f"{op}: input {tuple(x.shape)} with kernel_size={k}, stride={s}, padding={p}, dilation={d} gives "
            f"output size ({out[0]} x {out[1]}), which is too small"
        )
    return k, s, p, d, out


def _check_windows_see_input(x: Tensor, k: tuple, s: tuple, p: tuple, d: tuple, out: tuple) -> None:
    """A dilated window can straddle the whole input and read only padding; torch then returns -inf with an
    index outside the input (and its backward writes out of bounds), so such a geometry is refused."""
    if d == (1, 1):
        # an undilated window is one run of taps, and torch's own rules (pad ≤ kernel/2, the last window starts
        # inside the input or its left padding) keep some of it inside: nothing to test (70 µs a call, measured)
        return
    for axis, n, kk, ss, pp, dd, o in zip(("rows", "cols"), x.shape[-2:], k, s, p, d, out):
        taps = (np.arange(o) * ss - pp)[:, None] + np.arange(kk) * dd
        blind = ~((taps >= 0) & (taps < n)).any(axis=1)
        if blind.any():
            raise RuntimeError(
                f"max_pool2d: on input {tuple(x.shape)}, window {int(np.argmax(blind))} along {axis} reads only "
                f"padding (taps at {taps[np.argmax(blind)].tolist()} with kernel_size={k}, padding={p}, dilation={d})"
            )


def _avg_divisors(size: tuple, k: tuple, s: tuple, p: tuple, out: tuple, count_include_pad: bool) -> np.ndarray:
    """torch's divisor per output pixel: the window clipped at input + padding (count_include_pad) or at the input."""
    counts = []
    for n, kk, ss, pp, o in zip(size, k, s, p, out):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, n + pp)  # a ceil_mode window may run past the padding
        counts.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return (counts[0][:, None] * counts[1]).astype(np.float64)


def _adaptive_size(input: Tensor, output_size: Any, op: str) -> tuple[int, int]:
    if output_size is None:  # torch refuses it too (None may only stand for one side of a pair)
        raise TypeError(f"{op}: output_size must be an int or a pair, got None (None only keeps one side of a pair)")
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(size) != 2 or not all(v is None or (isinstance(v, int) and v >= 1) for v in size):
        raise RuntimeError(f"{op}: output_size must be a positive int or a pair of positive ints/None: {output_size!r}")
    return tuple(n if v is None else v for v, n in zip(size, input.shape[-2:]))


def _adaptive_bounds(n: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """torch's adaptive windows over n inputs: [⌊o·n/out⌋, ⌈(o+1)·n/out⌉) for o < out."""
    o = np.arange(out)
    return o * n // out, -(-(o + 1) * n // out)


def _unbatch(t: Tensor, input: Tensor) -> Tensor:
    """Drop the batch dim that ``_batched`` added to an unbatched input."""
    return t if input.ndim == 4 else t.squeeze(0)


def _with_indices(y: Tensor, indices: Any, input: Tensor, return_indices: bool) -> Any:
    y = _unbatch(y, input)
    return (y, _unbatch(Tensor._wrap(indices), input)) if return_indices else y


# ---- the functions ----------------------------------------------------------------------------------


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """``torch.nn.functional.max_pool2d``: the max of each window (padding counts as -inf).

    Ties go to the first maximum in row-major window order and NaN wins, as in torch; the gradient
    goes to that one pixel. ``return_indices``: also the argmax, flat into H·W, as int64.
    """
    x = _batched(input, "max_pool2d")
    k, s, p, d, out = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    _check_windows_see_input(x, k, s, p, d, out)
    if not return_indices and not (x.requires_grad and is_grad_enabled()):  # no graph: the maxima alone
        return _unbatch(Tensor._wrap(kernels.get("max_pool2d_forward", x._data)(x._data, k, s, p, d, out, False)[0]),
                        input)
    y, idx = kernels.get("max_pool2d_forward", x._data)(x._data, k, s, p, d, out)
    unique = all(ss >= dd * (kk - 1) + 1 for ss, dd, kk in zip(s, d, k))  # disjoint windows
    return _with_indices(MaxPool2d.apply(x, y, idx, unique), idx, input, return_indices)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """``torch.nn.functional.avg_pool2d``: the sum of each zero-padded window over torch's divisor.

    The divisor is ``divisor_override`` if given, else the window's size clipped at the padded input
    (count_include_pad) or at the input itself.
    """
    x = _batched(input, "avg_pool2d")
    k, s, p, _, out = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if not isinstance(divisor_override, int) or divisor_override == 0:
            raise RuntimeError(f"avg_pool2d: divisor_override must be a non-zero int, got {divisor_override!r}")
        divisor = divisor_override
    else:
        divisor = backend.move_to(_avg_divisors(tuple(x.shape[-2:]), k, s, p, out, count_include_pad), x.device)
    return _unbatch(AvgPool2d.apply(x, k, s, p, out, divisor), input)


def avg_pool1d(
    input: Tensor,  # noqa: A002 - torch's name
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """``torch.nn.functional.avg_pool1d`` over (N, C, L) or (C, L): avg_pool2d over a height of one row.

    A 2-d input is one unbatched sample (C, L), as torch reads it (so (N, D) features pool along D).
    """
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = f"{input.ndim}-dimensional tensor" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {got} for argument #1 'self' "
                           "(while checking arguments for avg_pool1d)")
    k, s, p = (_one_int("avg_pool1d", name, v) for name, v in
               (("kernel_size", kernel_size), ("stride", kernel_size if stride in (None, ()) else stride),
                ("padding", padding)))
    rows = input.unsqueeze(-2)  # (..., C, 1, L)
    return avg_pool2d(rows, (1, k), (1, s), (0, p), ceil_mode, count_include_pad).squeeze(-2)


def _one_int(op: str, name: str, value: Any) -> int:
    """A 1-d pooling size: an int or a one-element tuple/list, as torch takes it."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise RuntimeError(f"{op}() argument '{name}' should contain one int (got {len(value)})")
        value = value[0]
    return int(value)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """``torch.nn.functional.adaptive_avg_pool2d``: the mean over torch's adaptive windows.

    output_size: an int or a pair; None keeps that input size.
    """
    x = _batched(input, "adaptive_avg_pool2d")
    out = _adaptive_size(x, output_size, "adaptive_avg_pool2d")
    averaging = []
    for n, o in zip(x.shape[-2:], out):
        start, end = _adaptive_bounds(n, o)
        i = np.arange(n)
        a = ((i >= start[:, None]) & (i < end[:, None])) / (end - start)[:, None]  # (out, n)
        averaging.append(backend.move_to(a.astype(x.dtype), x.device))
    return _unbatch(AdaptiveAvgPool2d.apply(x, *averaging), input)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """``torch.nn.functional.adaptive_max_pool2d``: the max over torch's adaptive windows (max_pool2d's rules)."""
    x = _batched(input, "adaptive_max_pool2d")
    out = _adaptive_size(x, output_size, "adaptive_max_pool2d")
    bounds = [_adaptive_bounds(n, o) for n, o in zip(x.shape[-2:], out)]
    y, idx = kernels.get("adaptive_max_pool2d_forward", x._data)(x._data, *bounds)
    unique = all(n % o == 0 for n, o in zip(x.shape[-2:], out))  # the windows tile the input
    return _with_indices(MaxPool2d.apply(x, y, idx, unique), idx, input, return_indices)


# ---- 1-d pooling: the 2-d functions over a height of one row ------------------------------------------------
# (N, C, L) -> (N, C, 1, L) with a (1, k) window: the unit height adds nothing to any window, so values, indices
# (flat into 1·L, i.e. positions along L) and gradients are the 2-d ones.


def _rows(input: Any, op: str) -> Tensor:
    """(N, C, L) or (C, L) as (N, C, 1, L) or (C, 1, L), after torch's dimension check."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = f"{input.ndim}-dimensional tensor" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{op}: expected a 2-d (C, L) or 3-d (N, C, L) input, got {got}")
    return input.unsqueeze(-2)


def _squeeze_rows(out: Any) -> Any:
    return tuple(t.squeeze(-2) for t in out) if isinstance(out, tuple) else out.squeeze(-2)


def max_pool1d(
    input: Tensor,  # noqa: A002 - torch's name
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """``torch.nn.functional.max_pool1d`` over (N, C, L) or (C, L): max_pool2d over a height of one row;
    ``return_indices``: also the argmax position along L (int64)."""
    rows = _rows(input, "max_pool1d")
    k = _one_int("max_pool1d", "kernel_size", kernel_size)
    s = k if stride is None or stride == () or stride == [] else _one_int("max_pool1d", "stride", stride)
    p, d = _one_int("max_pool1d", "padding", padding), _one_int("max_pool1d", "dilation", dilation)
    return _squeeze_rows(max_pool2d(rows, (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices))


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.adaptive_avg_pool1d``: the mean over torch's adaptive windows along L."""
    rows = _rows(input, "adaptive_avg_pool1d")
    return _squeeze_rows(adaptive_avg_pool2d(rows, (1, _one_int("adaptive_avg_pool1d", "output_size", output_size))))


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """``torch.nn.functional.adaptive_max_pool1d``: the max over torch's adaptive windows along L."""
    rows = _rows(input, "adaptive_max_pool1d")
    size = (1, _one_int("adaptive_max_pool1d", "output_size", output_size))
    return _squeeze_rows(adaptive_max_pool2d(rows, size, return_indices))
