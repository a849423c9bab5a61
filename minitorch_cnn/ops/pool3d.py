"""3-d pooling with torch's semantics: max (with indices), average, their adaptive forms, and max unpooling.

Inputs are (N, C, D, H, W) or unbatched (C, D, H, W). A window is a product of one run of taps per axis: along an
axis of n inputs, output o reads the taps t[o, k] (k < K) that lie in [0, n).

    max:       y[o] = max over the window's taps (padding is -inf); index = the first argmax in (d, h, w) order
               (a NaN wins: the window's last NaN, as torch's loop; a window of -inf only: its first tap inside
               the input), flat into D·H·W.  dx = each g added at its window's index (``MaxPoolScatter``).
               max_pool3d: t[o, k] = o·s - p + k·dil;
               adaptive:   t[o, k] = ⌊o·n/out⌋ + k, for k < ⌈(o+1)·n/out⌉ - ⌊o·n/out⌋.
    average:   the window's sum over a divisor that is a product of per-axis counts (or divisor_override), so
               y = x ×_D A_D ×_H A_H ×_W A_W with A[o, j] = 1/count(o) for the taps j of window o (an einsum of
               three small matrices).  Linear: dx = g ×_D A_Dᵀ ×_H A_Hᵀ ×_W A_Wᵀ, the same map with the
               matrices transposed, which gives every order of derivative.
               avg_pool3d: count = window clipped at n + p (count_include_pad) or at the input;
               adaptive: count = the window's length.
    unpool:    y.flat[index] = x, dx = g.flat[index] (``max_unpool``'s node over the flat D·H·W).
    lp:        y = (sign(m) · relu(|m|) · kd·kh·kw)^{1/p}, m = avg_pool3d(x^p)  (torch's composition, so its
               values and gradients, every order).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import backend, kernels
from ..autograd import Function, Tensor, is_grad_enabled
from ..kernels.choice import chosen
from . import elementwise as ew
from .indexing import GetItem
from .pooling import MaxPoolScatter, _adaptive_bounds, _out_len


class Separable(Function):
    """y = x ×_D A ×_H B ×_W C for matrices (out_i, n_i); the adjoint is the same map with the transposes."""

    def forward(self, x: Any, mats: tuple) -> Any:
        self.mats = mats
        return _contract(x, mats)

    def backward(self, g: Any) -> Any:
        return _contract(g, tuple(a.T for a in self.mats))

    def backward_graph(self, g: Tensor) -> Tensor:
        return Separable.apply(g, tuple(a.T for a in self.mats))


class AvgPool3d(Separable):
    torch_name = "AvgPool3DBackward0"


class AdaptiveAvgPool3d(Separable):
    torch_name = "AdaptiveAvgPool3DBackward0"


def _contract(x: Any, mats: tuple) -> Any:
    xp = backend.array_module(x)
    for axis, a in zip((2, 3, 4), mats):
        x = xp.moveaxis(xp.moveaxis(x, axis, -1) @ xp.asarray(a.T, dtype=x.dtype), -1, axis)
    return xp.ascontiguousarray(x)


class MaxPool3d(Function):
    """y = x at each window's argmax (found before the node is made); dx: each g back to its argmax."""

    torch_name = "MaxPool3DWithIndicesBackward0"
    fresh_grads = True

    def forward(self, x: Any, y: Any, indices: Any, unique: bool) -> Any:
        self.indices, self.x_shape, self.unique = indices, x.shape, unique
        return y

    def _flat(self) -> tuple:
        n, c = self.x_shape[:2]
        return (n, c, 1, -1), (1, int(np.prod(self.x_shape[2:])))

    def backward(self, g: Any) -> tuple:
        shape, size = self._flat()
        idx = self.indices.reshape(shape)
        dx = kernels.get("max_pool2d_backward", g)(g.reshape(idx.shape), idx, size, self.unique)
        return dx.reshape(self.x_shape), None, None

    def backward_graph(self, g: Tensor) -> tuple:
        shape, size = self._flat()
        idx = self.indices.reshape(shape)
        return MaxPoolScatter.apply(g.reshape(idx.shape), idx, size, self.unique).reshape(self.x_shape), None, None


class AdaptiveMaxPool3d(MaxPool3d):
    torch_name = "AdaptiveMaxPool3DBackward0"


class MaxUnpool3d(Function):
    """y.flat[index] = x over each (n, c) volume (assignment: a repeated index keeps one value, as torch's loop);
    dx = g.flat[index], a gather (``GetItem``, so every order)."""

    torch_name = "MaxUnpool3DBackward0"

    def forward(self, x: Any, index: tuple, shape: tuple) -> Any:
        n, c = x.shape[:2]
        self.index, self.x_shape, self.rows = index, x.shape, (n, c, -1)
        out = backend.array_module(x).zeros((n, c, int(np.prod(shape[2:]))), dtype=x.dtype)
        out[index] = x.reshape(n, c, -1)
        return out.reshape(shape)

    def backward(self, g: Any) -> Any:
        return g.reshape(self.rows)[self.index].reshape(self.x_shape)

    def backward_graph(self, g: Tensor) -> Tensor:
        return GetItem.apply(g.reshape(self.rows), self.index).reshape(self.x_shape)


# ---- torch's rules ----------------------------------------------------------------------------------


def _triple(op: str, name: str, value: Any, default: Any = None) -> tuple:
    """An int or a 1- or 3-sequence of ints (``default`` when None or empty), else torch's message."""
    if value is None or (isinstance(value, (tuple, list)) and len(value) == 0 and default is not None):
        return default
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    try:
        if len(items) not in (1, 3):
            raise TypeError
        items = tuple(operator.index(v) for v in items)
    except TypeError:
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of three ints") from None
    return items * 3 if len(items) == 1 else items


def _batched(input: Any, op: str, message: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (4, 5) or 0 in input.shape[-4:]:
        raise RuntimeError(message.format(shape=list(input.shape)))
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    return input if input.ndim == 5 else input.unsqueeze(0)


def _unbatch(t: Tensor, input: Tensor) -> Tensor:
    return t if input.ndim == 5 else t.squeeze(0)


def _window_max(x: Tensor, taps: list, unique: bool, node: type, return_indices: bool) -> Any:
    """The max over windows given per axis as taps (out_i, K_i) (-1: outside the input), and its flat argmax: the
    chosen kernel path's loop where it has one (``numba_kernels/pool3d.py``), else this reference."""
    fast = chosen("window_max_3d", x._data) if x._data.dtype in (np.float32, np.float64) else None
    if fast is not None:
        y, idx = fast(x._data, taps)
        return _window_result(x, y, idx, unique, node, return_indices)
    xp = backend.array_module(x._data)
    n, c, D, H, W = x.shape
    size = D * H * W
    td, th, tw = (np.asarray(t) for t in taps)
    flat = ((td[:, None, None, :, None, None] * H + th[None, :, None, None, :, None]) * W
            + tw[None, None, :, None, None, :])
    outside = ((td < 0)[:, None, None, :, None, None] | (th < 0)[None, :, None, None, :, None]
               | (tw < 0)[None, None, :, None, None, :])
    out = flat.shape[:3]
    flat = np.where(outside, size, flat).reshape(int(np.prod(out)), -1).T  # (K, P); the padding reads one -inf
    data = xp.concatenate([x._data.reshape(n, c, size), xp.full((n, c, 1), -xp.inf, dtype=x.dtype)], axis=2)
    # torch's loop: start at -inf on the window's first tap inside the input, move on a greater value or a NaN
    y = xp.full((n, c, flat.shape[1]), -xp.inf, dtype=x.dtype)
    idx = xp.broadcast_to(xp.asarray(flat[np.argmax(flat < size, axis=0), np.arange(flat.shape[1])]), y.shape)
    for taps_k in flat:
        at = xp.asarray(taps_k)
        v = data[:, :, at]
        better = (v > y) | xp.isnan(v)
        y, idx = xp.where(better, v, y), xp.where(better, at, idx)
    return _window_result(x, y.reshape(n, c, *out), idx.reshape(n, c, *out), unique, node, return_indices)


def _window_result(x: Tensor, y: Any, idx: Any, unique: bool, node: type, return_indices: bool) -> Any:
    if x.requires_grad and is_grad_enabled():
        result = node.apply(x, y, idx, unique)
    else:
        result = Tensor._wrap(y)
    return (result, Tensor._wrap(idx)) if return_indices else result


def _pool_taps(n: int, k: int, s: int, p: int, d: int, out: int) -> np.ndarray:
    t = (np.arange(out) * s - p)[:, None] + np.arange(k) * d
    return np.where((t >= 0) & (t < n), t, -1)


def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002 - torch's name
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """``torch.nn.functional.max_pool3d``: the max of each window (padding counts as -inf); ties go to the first
    maximum in (d, h, w) order. ``return_indices``: also the argmax, flat into D·H·W, as int64."""
    op = "max_pool3d"
    k = _triple(op, "kernel_size", kernel_size)
    s = _triple(op, "stride", stride, k)
    p, d = _triple(op, "padding", padding), _triple(op, "dilation", dilation)
    x = _batched(input, op, "non-empty 4D or 5D (batch mode) tensor expected for input")
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero, but got "
                           f"kernel_size={list(k)}, stride={list(s)}, dilation={list(d)}")
    for pp, kk, dd in zip(p, k, d):
        if pp > (dd * (kk - 1) + 1) // 2 or pp < 0:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    size = x.shape[2:]
    out = tuple(_out_len(*a, ceil_mode) for a in zip(size, k, s, p, d))
    if min(out) < 1:
        dims = "x".join(map(str, (x.shape[1], *size)))
        raise RuntimeError(f"Given input size: ({dims}). Calculated output size: "
                           f"({'x'.join(map(str, (x.shape[1], *out)))}). Output size is too small")
    taps = [_pool_taps(*a) for a in zip(size, k, s, p, d, out)]
    if any(bool((t < 0).all(axis=1).any()) for t in taps):
        raise RuntimeError(f"{op}: a dilated window reads only padding (kernel_size={list(k)}, padding={list(p)}, "
                           f"dilation={list(d)}) on input {list(input.shape)}")
    unique = all(ss >= dd * (kk - 1) + 1 for ss, dd, kk in zip(s, d, k))
    res = _window_max(x, taps, unique, MaxPool3d, return_indices)
    return (_unbatch(res[0], input), _unbatch(res[1], input)) if return_indices else _unbatch(res, input)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> tuple:
    """``torch.nn.functional.max_pool3d_with_indices``: (max_pool3d, its int64 argmax), whatever return_indices."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _average_matrix(n: int, start: np.ndarray, end: np.ndarray, count: np.ndarray) -> np.ndarray:
    j = np.arange(n)
    inside = (j >= np.maximum(start, 0)[:, None]) & (j < np.minimum(end, n)[:, None])
    return inside / count[:, None].astype(np.float64)


def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002 - torch's name
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """``torch.nn.functional.avg_pool3d``: each window's zero-padded sum over torch's divisor (see the module
    docstring); ``divisor_override`` replaces the divisor."""
    op = "avg_pool3d"
    k = _triple(op, "kernel_size", kernel_size)
    s, p = _triple(op, "stride", stride, k), _triple(op, "padding", padding)
    x = _batched(input, op, "non-empty 4D or 5D (batch mode) tensor expected for input")
    if min(k) < 1 or min(s) < 1:
        raise RuntimeError(f"{op}: kernel_size and stride must be greater than zero, but got kernel_size={list(k)}, "
                           f"stride={list(s)}")
    for pp, kk in zip(p, k):
        if pp > kk // 2 or pp < 0:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation=1")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    size = x.shape[2:]
    out = tuple(_out_len(n, kk, ss, pp, 1, ceil_mode) for n, kk, ss, pp in zip(size, k, s, p))
    if min(out) < 1 or any(n < kk for n, kk in zip(size, k)):
        raise RuntimeError(f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    mats = []
    for n, kk, ss, pp, o in zip(size, k, s, p, out):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, n + pp)
        count = end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
        mats.append(_average_matrix(n, start, end, np.ones(o) if divisor_override is not None else count))
    if divisor_override is not None:
        mats[0] = mats[0] / divisor_override
    return _unbatch(AvgPool3d.apply(x, tuple(mats)), input)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,  # noqa: A002 - torch's name
              ceil_mode: bool = False) -> Tensor:
    """``torch.nn.functional.lp_pool3d``: (Σ_window x^p)^{1/p} (no padding); ``stride`` defaults to the kernel."""
    kd, kh, kw = _triple("lp_pool3d", "kernel_size", kernel_size)
    m = avg_pool3d(input ** norm_type, (kd, kh, kw), stride, 0, ceil_mode)
    return (ew.sign(m) * ew.relu(m.abs()) * (kd * kh * kw)) ** (1.0 / norm_type)


def _adaptive(input: Any, output_size: Any, op: str) -> tuple:
    colon = ":" if op == "adaptive_max_pool3d" else ""  # torch's two messages differ by it
    x = _batched(input, op, f"{op}(): Expected 4D or 5D tensor, but got{colon} {{shape}}")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    if len(sizes) != 3:
        raise RuntimeError(f"{op}: output_size must be 3")
    out = tuple(n if v is None else operator.index(v) for v, n in zip(sizes, x.shape[2:]))
    if min(out) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{list(out)}")
    return x, out, [_adaptive_bounds(n, o) for n, o in zip(x.shape[2:], out)]


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002 - torch's name
    """``torch.nn.functional.adaptive_avg_pool3d``: the mean over torch's adaptive windows
    [⌊o·n/out⌋, ⌈(o+1)·n/out⌉) per axis; an output size may be None (that axis kept)."""
    x, _, bounds = _adaptive(input, output_size, "adaptive_avg_pool3d")
    mats = tuple(_average_matrix(n, lo, hi, hi - lo) for n, (lo, hi) in zip(x.shape[2:], bounds))
    return _unbatch(AdaptiveAvgPool3d.apply(x, mats), input)


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """``torch.nn.functional.adaptive_max_pool3d``: the max over torch's adaptive windows; ``return_indices``:
    also the argmax, flat into D·H·W."""
    x, _, bounds = _adaptive(input, output_size, "adaptive_max_pool3d")
    taps = []
    for lo, hi in bounds:
        t = lo[:, None] + np.arange(int((hi - lo).max(initial=1)))
        taps.append(np.where(t < hi[:, None], t, -1))
    res = _window_max(x, taps, False, AdaptiveMaxPool3d, return_indices)
    return (_unbatch(res[0], input), _unbatch(res[1], input)) if return_indices else _unbatch(res, input)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,  # noqa: A002 - torch's name
                                     return_indices: bool = False) -> tuple:
    """``torch.nn.functional.adaptive_max_pool3d_with_indices``: (the pooled values, their int64 argmax)."""
    return adaptive_max_pool3d(input, output_size, True)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,  # noqa: A002
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """``torch.nn.functional.max_unpool3d``: each value put at its index (flat into D·H·W of the output) of zeros;
    the output is (n - 1)·s - 2p + k per axis unless ``output_size`` says (within s of that, as torch)."""
    op = "max_unpool3d"
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with "
                           f"{input.ndim} dimensions.")
    if tuple(indices.shape) != tuple(input.shape) or indices.dtype != np.int64:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}"
                           + ("" if indices.dtype == np.int64 else f" and dtype {indices.dtype}, not int64"))
    k = _triple(op, "kernel_size", kernel_size)
    s, p = _triple(op, "stride", stride, k), _triple(op, "padding", padding)
    default = tuple((n - 1) * ss + kk - 2 * pp for n, kk, ss, pp in zip(input.shape[-3:], k, s, p))
    size = default
    if output_size is not None:
        size = tuple(int(v) for v in output_size)
        size = size[-3:] if len(size) == input.ndim else size
        if len(size) != 3:
            raise ValueError(f"output_size should be a sequence containing 3 or {input.ndim} elements, but it has "
                             f"a length of '{len(output_size)}'")
        for i in range(3):
            if not default[i] - s[i] < size[i] < default[i] + s[i]:
                raise ValueError(f'invalid output_size "{output_size}" (dim {i} must be between '
                                 f'{default[i] - s[i]} and {default[i] + s[i]})')
    x = input if input.ndim == 5 else input.unsqueeze(0)
    n, c = x.shape[:2]
    idx = indices._data.reshape(n, c, -1)
    total = size[0] * size[1] * size[2]
    bad = (idx < 0) | (idx >= total)
    if bool(bad.any()):
        raise RuntimeError(f"Found an invalid max index: {int(idx[bad][0])} (output volumes are of size "
                           f"{size[0]}x{size[1]}x{size[2]}")
    xp = backend.array_module(idx)
    index = (xp.arange(n)[:, None, None], xp.arange(c)[None, :, None], idx)
    y = MaxUnpool3d.apply(x, index, (n, c, *size))
    return y if input.ndim == 5 else y.squeeze(0)
