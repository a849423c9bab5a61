"""The reference kernels: the hot loops of conv, pooling and batch norm in plain array code.

Every function takes and returns raw arrays and uses ``backend.array_module``, so it runs on NumPy and
(the code being array-API generic) on CuPy arrays. Other implementations (the numba_kernels package,
cupy_kernels.py) define functions of the same names and signatures; ``dispatch.get`` picks one. The chunked
conv kernels run the chosen path's im2col/col2im (asked of ``choice``), so a path that has only those gains
the whole conv.

Shared conventions (all sizes are (height, width) pairs):
- ``padding`` is the top/left padding only; the bottom/right extent follows from ``out_size``, which
  covers torch's asymmetric 'same' padding and ceil_mode windows that run past the input.
- A window's taps are visited in row-major order; tap (i, j) of output (oh, ow) reads input pixel
  (oh·sh - pt + i·dh, ow·sw - pl + j·dw).
- Each tap is ONE strided slice over the whole batch, so a kernel is kh·kw array operations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from . import choice, workspace

Pair = tuple[int, int]


def _extent(out_size: Pair, kernel_size: Pair, stride: Pair, dilation: Pair) -> Pair:
    """Rows/cols of padded input that the windows span: (O - 1)·s + d·(k - 1) + 1."""
    return tuple((o - 1) * s + d * (k - 1) + 1 for o, k, s, d in zip(out_size, kernel_size, stride, dilation))


def _taps(kernel_size: Pair, stride: Pair, dilation: Pair, out_size: Pair) -> Iterator[tuple[int, int, tuple]]:
    """(i, j, (rows, cols)): the slices of the padded input that tap (i, j) reads for every output pixel."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, stride, dilation, out_size
    for i in range(kh):
        rows = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
        for j in range(kw):
            yield i, j, (rows, slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))


def _padded(x: Any, padding: Pair, extent: Pair, fill: float) -> tuple[Any, Any]:
    """x: (A, B, H, W) placed at (pt, pl) in a ``fill``-ed (A, B, ≥pt+H, ≥pl+W) buffer covering ``extent``.

    Returns (array, buffer to give back or None); x itself when no padding is needed.
    """
    A, B, H, W = x.shape
    (pt, pl), (eh, ew) = padding, extent
    if pt == 0 and pl == 0 and eh <= H and ew <= W:
        return x, None
    buf = workspace.take((A, B, max(eh, pt + H), max(ew, pl + W)), x.dtype, x)
    buf[:, :, :pt] = fill
    buf[:, :, pt + H :] = fill
    buf[:, :, pt : pt + H, :pl] = fill
    buf[:, :, pt : pt + H, pl + W :] = fill
    buf[:, :, pt : pt + H, pl : pl + W] = x
    return buf, buf


# ---- convolution: im2col / col2im ------------------------------------------------------------


def im2col(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, out: Any = None
) -> Any:
    """x: (N, C, H, W) → cols: (C·kh·kw, N·OH·OW), cols[(c, i, j), (n, oh, ow)] = x_pad[n, c, tap (i, j) of (oh, ow)].

    Channel-major columns are the layout the GEMM wants: W (O, C·kh·kw) @ cols gives every sample at
    once, and a group's rows are one contiguous block. ``out``: a buffer of that shape to fill.
    """
    xp = backend.array_module(x)
    N, C = x.shape[:2]
    (kh, kw), (oh, ow) = kernel_size, out_size
    src, buf = _padded(x.transpose(1, 0, 2, 3), padding, _extent(out_size, kernel_size, stride, dilation), 0)
    cols = xp.empty((C * kh * kw, N * oh * ow), dtype=x.dtype) if out is None else out
    blocks = cols.reshape(C, kh, kw, N, oh, ow)
    for i, j, (rows, cs) in _taps(kernel_size, stride, dilation, out_size):
        blocks[:, i, j] = src[:, :, rows, cs]
    if buf is not None:
        workspace.give(buf)
    return cols


def col2im(
    cols: Any,
    x_shape: tuple,
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    out_size: Pair,
    out: Any = None,
) -> Any:
    """cols: (C·kh·kw, N·OH·OW) → dx: (N, C, H, W), the adjoint of im2col.

    Every column entry is added back onto the input pixel it was copied from; entries that came
    from the padding are dropped. ``out``: an (N, C, H, W) array to write dx into (overwritten).
    """
    xp = backend.array_module(cols)
    N, C, H, W = x_shape
    (kh, kw), (oh, ow), (pt, pl) = kernel_size, out_size, padding
    eh, ew = _extent(out_size, kernel_size, stride, dilation)
    acc = workspace.take((C, N, max(eh, pt + H), max(ew, pl + W)), cols.dtype, cols)
    acc[...] = 0
    blocks = cols.reshape(C, kh, kw, N, oh, ow)
    for i, j, (rows, cs) in _taps(kernel_size, stride, dilation, out_size):
        acc[:, :, rows, cs] += blocks[:, i, j]
    dx = xp.empty((N, C, H, W), dtype=cols.dtype) if out is None else out
    dx.transpose(1, 0, 2, 3)[...] = acc[:, :, pt : pt + H, pl : pl + W]
    workspace.give(acc)
    return dx


def conv2d_forward_chunks(
    x: Any, w: Any, b: Any, y: Any, start: int, stop: int, step: int, col_buf: Any, y_buf: Any, groups: int,
    kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, ready: Any = None,
    ready_value: int = 0,
) -> None:
    """y[start:stop] = conv2d(x[start:stop]) + b, ``step`` samples at a time: im2col into ``col_buf``, one GEMM per
    group into ``y_buf``, then (O, m) → (n, O, OH, OW) with the bias added.

    x: (N, C, H, W); w: (O, C/G, kh, kw); b: (O,) or None; y: (N, O, OH, OW), written; col_buf, y_buf: flat
    buffers of at least C·kh·kw·step·OH·OW and O·step·OH·OW elements. im2col is the chosen path's.
    ``ready[:] = ready_value`` first when ``ready`` is given (``threadpool.run``'s ``signal``).
    """
    if ready is not None:
        ready[...] = ready_value
    xp = backend.array_module(x)
    O, cg, kh, kw = w.shape
    G, L, K = groups, out_size[0] * out_size[1], x.shape[1] * kh * kw
    to_cols = choice.chosen("im2col", x) or im2col
    wg = w.reshape(G, O // G, -1)  # (G, O/G, C/G·kh·kw)
    geometry = (kernel_size, stride, padding, dilation, out_size)
    for n0 in range(start, stop, step):
        n1 = min(stop, n0 + step)
        m = (n1 - n0) * L
        cols = to_cols(x[n0:n1], *geometry, out=col_buf[: K * m].reshape(K, m))  # (C·kh·kw, m)
        y2 = y_buf[: O * m].reshape(O, m)
        # one GEMM per group: (G, O/G, C/G·kh·kw) @ (G, C/G·kh·kw, m) → (G, O/G, m) = (O, m)
        xp.matmul(wg, cols.reshape(G, cg * kh * kw, m), out=y2.reshape(G, O // G, m))
        src, dst = y2.reshape(O, n1 - n0, *out_size), y[n0:n1].transpose(1, 0, 2, 3)
        if b is None:
            dst[...] = src
        else:
            xp.add(src, b.reshape(O, 1, 1, 1), out=dst)


def conv2d_backward_chunks(
    g: Any, x: Any, w: Any, dx: Any, x_shape: tuple, start: int, stop: int, step: int, g_buf: Any, col_buf: Any,
    groups: int, need_b: bool, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair,
    ready: Any = None, ready_value: int = 0,
) -> tuple[Any, Any]:
    """Samples [start, stop) of conv2d's backward, ``step`` at a time: dx[start:stop] (when dx is given) and these
    samples' float64 sums for dW (G, O/G, C/G·kh·kw) (when x is given) and db (O,) (when ``need_b``), else None.

    g: (N, O, OH, OW); x: the input (N, C, H, W) = ``x_shape`` or None; w: (O, C/G, kh, kw) or None (then dx
    is None); g_buf, col_buf: flat buffers of at least O·step·OH·OW and C·kh·kw·step·OH·OW elements.
    im2col/col2im are the chosen path's. ``ready[:] = ready_value`` first when ``ready`` is given.
    """
    if ready is not None:
        ready[...] = ready_value
    xp = backend.array_module(g)
    O, oh, ow = g.shape[1:]
    C = x_shape[1]
    (kh, kw), G = kernel_size, groups
    L, K, Kg = oh * ow, C * kh * kw, C // G * kh * kw
    geometry = (kernel_size, stride, padding, dilation, out_size)
    # dW and db add up their chunks in float64: float32 partial sums can cancel (a bias whose gradient is near
    # zero), and adding them in another order than one whole-batch sum then lost ~1e-5 of the result
    dw = xp.zeros((G, O // G, Kg), dtype=np.float64) if x is not None else None
    db = xp.zeros(O, dtype=np.float64) if need_b else None
    to_cols, from_cols = choice.chosen("im2col", g) or im2col, choice.chosen("col2im", g) or col2im
    for n0 in range(start, stop, step):
        n1 = min(stop, n0 + step)
        m = (n1 - n0) * L
        g2 = g_buf[: O * m].reshape(O, m)
        g2.reshape(O, n1 - n0, oh, ow)[...] = g[n0:n1].transpose(1, 0, 2, 3)  # (O, m): the GEMMs' layout
        gg = g2.reshape(G, O // G, m)
        if db is not None:
            db += g2.sum(axis=1, dtype=np.float64)  # dL/db[o] = Σ_{n, oh, ow} g[n, o, oh, ow]
        cols = col_buf[: K * m].reshape(K, m)
        if dw is not None:
            # dL/dW += g · colsᵀ per group: (G, O/G, m) @ (G, m, C/G·kh·kw)
            to_cols(x[n0:n1], *geometry, out=cols)
            dw += xp.matmul(gg, cols.reshape(G, Kg, m).transpose(0, 2, 1))
        if dx is not None:
            # dL/dcols = Wᵀ · g per group: (G, C/G·kh·kw, O/G) @ (G, O/G, m) → (C·kh·kw, m)
            xp.matmul(w.reshape(G, O // G, -1).transpose(0, 2, 1), gg, out=cols.reshape(G, Kg, m))
            # dL/dx: each column entry flows back to the input pixel im2col copied it from
            from_cols(cols, (n1 - n0, *x_shape[1:]), *geometry, out=dx[n0:n1])
    return dw, db


# ---- max pooling ------------------------------------------------------------------------------


def _take_max(y: Any, idx: Any, v: Any, flat: Any, check_nan: bool) -> None:
    """torch's update, in place: where v > y or v is NaN, y ← v and idx ← flat."""
    xp = backend.array_module(y)
    take = v > y
    if check_nan:
        take |= xp.isnan(v)
    xp.copyto(y, v, where=take)
    xp.copyto(idx, flat, where=take)


def max_pool2d_forward(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, indices: bool = True
) -> tuple[Any, Any]:
    """x: (N, C, H, W) → (y, indices), both (N, C, OH, OW); indices are flat into H·W (torch's return_indices);
    None for the indices without ``indices`` (the kernels that can skip them do).

    torch's rule, taps in row-major order, starting from -inf at the window's first in-bounds pixel:
    take v when v > max or v is NaN. So the first of tied maxima wins, and the last NaN.
    """
    xp = backend.array_module(x)
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (pt, pl), (dh, dw), (oh, ow) = kernel_size, stride, padding, dilation, out_size
    src, buf = _padded(x, padding, _extent(out_size, kernel_size, stride, dilation), -np.inf)
    # input row/col read by tap i/j of output row/col o; the first in-bounds tap is where torch starts
    start_r, start_c = np.arange(oh) * sh - pt, np.arange(ow) * sw - pl
    row = start_r[:, None] + np.arange(kh) * dh  # (OH, kh)
    col = start_c[:, None] + np.arange(kw) * dw  # (OW, kw)
    first_r = start_r + -(np.minimum(start_r, 0) // dh) * dh
    first_c = start_c + -(np.minimum(start_c, 0) // dw) * dw
    y = xp.full((N, C, oh, ow), -np.inf, dtype=x.dtype)
    idx = xp.empty((N, C, oh, ow), dtype=np.int64)
    idx[...] = xp.asarray(first_r[:, None] * W + first_c)
    check_nan = bool(xp.isnan(x).any())
    for i, j, (rows, cs) in _taps(kernel_size, stride, dilation, out_size):
        _take_max(y, idx, src[:, :, rows, cs], xp.asarray(row[:, i, None] * W + col[:, j]), check_nan)
    if buf is not None:
        workspace.give(buf)
    return y, (idx if indices else None)


def adaptive_max_pool2d_forward(x: Any, row_bounds: tuple, col_bounds: tuple) -> tuple[Any, Any]:
    """x: (N, C, H, W) → (y, indices), both (N, C, OH, OW); window (oh, ow) spans rows
    [row_bounds[0][oh], row_bounds[1][oh]) × cols [col_bounds[0][ow], col_bounds[1][ow]).

    The same rule as ``max_pool2d_forward``; windows differ in size, so tap (a, b) gathers pixel
    (start + a, start + b) of every window and only counts where that lies inside the window.
    """
    xp = backend.array_module(x)
    N, C, H, W = x.shape
    (r0, r1), (c0, c1) = row_bounds, col_bounds
    y = xp.full((N, C, len(r0), len(c0)), -np.inf, dtype=x.dtype)
    idx = xp.empty(y.shape, dtype=np.int64)
    idx[...] = xp.asarray(r0[:, None] * W + c0)
    check_nan = bool(xp.isnan(x).any())
    for a in range(int((r1 - r0).max())):
        r = np.minimum(r0 + a, r1 - 1)
        for b in range(int((c1 - c0).max())):
            c = np.minimum(c0 + b, c1 - 1)
            inside = xp.asarray((r0 + a < r1)[:, None] & (c0 + b < c1))
            v = xp.where(inside, x[:, :, xp.asarray(r[:, None]), xp.asarray(c)], -np.inf)
            _take_max(y, idx, v, xp.asarray(r[:, None] * W + c), check_nan)
    return y, idx


def max_pool2d_backward(g: Any, indices: Any, in_size: Pair, unique: bool = False) -> Any:
    """g, indices: (N, C, OH, OW) → dx: (N, C, H, W): each window's gradient lands on its argmax.

    Where windows overlap one pixel can be the argmax of several windows and their gradients add up;
    ``unique`` says the windows are disjoint, so a plain scatter does.
    """
    xp = backend.array_module(g)
    N, C = g.shape[:2]
    H, W = in_size
    dx = xp.zeros((N * C, H * W), dtype=g.dtype)
    planes = xp.arange(N * C)[:, None]
    where, values = indices.reshape(N * C, -1), g.reshape(N * C, -1)
    if unique:
        dx[planes, where] = values
    else:
        backend.scatter_add(dx, (planes, where), values)
    return dx.reshape(N, C, H, W)


# ---- average pooling ----------------------------------------------------------------------------


def avg_pool2d_forward(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair, divisor: Any) -> Any:
    """x: (N, C, H, W) → y: (N, C, OH, OW) = (sum of the zero-padded window) / divisor.

    ``divisor``: a number or an array broadcastable to (OH, OW) (torch's count_include_pad and
    ceil_mode rules make it vary at the borders).
    """
    xp = backend.array_module(x)
    src, buf = _padded(x, padding, _extent(out_size, kernel_size, stride, (1, 1)), 0)
    y = None
    for _, _, (rows, cs) in _taps(kernel_size, stride, (1, 1), out_size):
        if y is None:
            y = src[:, :, rows, cs].copy()
        else:
            y += src[:, :, rows, cs]
    if buf is not None:
        workspace.give(buf)
    y /= xp.asarray(divisor, dtype=x.dtype)
    return y


def avg_pool2d_backward(g: Any, in_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, divisor: Any) -> Any:
    """g: (N, C, OH, OW) → dx: (N, C, H, W): each window spreads g / divisor over its pixels."""
    xp = backend.array_module(g)
    N, C, oh, ow = g.shape
    (H, W), (pt, pl) = in_size, padding
    eh, ew = _extent((oh, ow), kernel_size, stride, (1, 1))
    share = g / xp.asarray(divisor, dtype=g.dtype)
    acc = workspace.take((N, C, max(eh, pt + H), max(ew, pl + W)), g.dtype, g)
    acc[...] = 0
    for _, _, (rows, cs) in _taps(kernel_size, stride, (1, 1), (oh, ow)):
        acc[:, :, rows, cs] += share
    dx = acc[:, :, pt : pt + H, pl : pl + W].copy()
    workspace.give(acc)
    return dx


# ---- batch normalisation ------------------------------------------------------------------------


def _channel_sum(a: Any) -> Any:
    """a: (N, C, L) → Σ over n and l of each channel: (C,) float64.

    Rows are summed in a's dtype (pairwise, so float32 stays within ~1e-8), the batch in float64: as
    accurate as a float64 reduction and several times faster.
    """
    return a.sum(axis=2).sum(axis=0, dtype=np.float64)


def batch_norm_forward(x: Any, weight: Any, bias: Any, mean: Any, var: Any, eps: float) -> tuple[Any, Any, Any]:
    """x: (N, C, L) → (y: (N, C, L), mean, var), y = (x - mean) / √(var + eps) · weight + bias per channel.

    ``mean``, ``var``: float64 (C,) statistics to normalise with, or None for the batch's own (mean and
    biased variance, computed here and returned). weight, bias: (C,) in x's dtype, or None.
    """
    xp = backend.array_module(x)
    n = x.shape[0] * x.shape[2]
    if mean is None:
        mean = _channel_sum(x) / n
        centered = x - mean.astype(x.dtype)[:, None]
        var = _channel_sum(centered * centered) / n  # biased: Σ(x-μ)²/n
    else:
        centered = x - mean.astype(x.dtype)[:, None]
    inv_std = 1.0 / xp.sqrt(var + eps)
    scale = inv_std if weight is None else inv_std * weight  # ∂y/∂x̂ · 1/σ, per channel
    y = centered
    y *= scale.astype(x.dtype)[:, None]  # in place: the centred copy becomes the output
    if bias is not None:
        y += bias[:, None]
    return y, mean, var


def batch_norm_backward(
    g: Any, x: Any, mean: Any, var: Any, weight: Any, eps: float, batch_stats: bool, need_x: bool
) -> tuple[Any, Any, Any]:
    """g, x: (N, C, L) → (dx or None, Σ g, Σ g·x̂), the sums per channel (C,) in float64.

    dL/dweight = Σ g·x̂ and dL/dbias = Σ g. With batch statistics μ and σ depend on x:
    dx = w/σ · (g - mean(g) - x̂ · mean(g·x̂)); with fixed (running) statistics dx = w/σ · g.
    """
    xp = backend.array_module(g)
    dt, n = g.dtype, g.shape[0] * g.shape[2]
    inv_std = 1.0 / xp.sqrt(var + eps)
    x_hat = (x - mean.astype(dt)[:, None]) * inv_std.astype(dt)[:, None]
    sum_g, sum_gx = _channel_sum(g), _channel_sum(g * x_hat)
    dx = None
    if need_x:
        scale = (inv_std if weight is None else inv_std * weight).astype(dt)[:, None]
        if batch_stats:
            dx = g - (sum_g / n).astype(dt)[:, None]
            dx -= x_hat * (sum_gx / n).astype(dt)[:, None]
            dx *= scale
        else:
            dx = g * scale
    return dx, sum_g, sum_gx


# ---- ReLU -----------------------------------------------------------------------------------------


def relu_forward(x: Any) -> Any:
    """x (any shape) → max(x, 0) in x's dtype; a NaN stays NaN (torch's clamp_min)."""
    return backend.array_module(x).maximum(x, 0)


def relu_backward(g: Any, out: Any) -> Any:
    """g, out: the same shape → dx = 0 where out <= 0, else g (torch's threshold_backward: an output
    that is NaN passes g on, and a dead unit's gradient is 0 even when g is not finite)."""
    xp = backend.array_module(g)
    keep = ~(out <= 0)  # NaN outputs keep g
    if bool(xp.isfinite(g).all()):
        return g * keep  # a multiply, not where(): where() branches per element (timing: benchmarks/results/NOTES.md)
    return xp.where(keep, g, xp.zeros((), dtype=g.dtype))  # an inf or NaN at a dead unit gives 0, not NaN


# ---- the optimizers' updates ----------------------------------------------------------------------


def sgd_step(p: Any, g: Any, buf: Any, first: bool, lr: float, momentum: float, dampening: float,
             weight_decay: float, nesterov: bool, maximize: bool) -> None:
    """torch's single-tensor SGD update of parameter ``p`` in place, g its gradient, ``buf`` its momentum buffer
    (None without momentum; written, not updated, on the ``first`` step), all of one shape and dtype:

        d = ±g + weight_decay·p;   buf = d (first) | momentum·buf + (1 - dampening)·d
        d = d + momentum·buf (nesterov) | buf;   p = p - lr·d
    """
    d = -g if maximize else g
    if weight_decay != 0:
        d = d + weight_decay * p
    if buf is not None:
        if first:
            buf[...] = d
        else:
            buf *= momentum
            # torch scales by (1 - dampening) even when it is 1; skipping that exact no-op saves a copy
            buf += d if dampening == 0 else (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    p -= lr * d


def lerp_(start: Any, end: Any, weight: float) -> None:
    """``start += weight * (end - start)`` in place, in torch's form (which anchors at ``end`` for weight >= 0.5)."""
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= weight - 1
        backend.array_module(start).add(end, diff, out=start)


def adam_step(p: Any, g: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any, step: float, lr: float,
              beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool, maximize: bool) -> None:
    """torch's single-tensor Adam update of parameter ``p`` in place at step count ``step`` (already counted), g its
    gradient, the moments in place (``max_exp_avg_sq``: AMSGrad's running maximum, or None), all of one shape:

        p = p·(1 - lr·weight_decay) (decoupled) | d = ±g + weight_decay·p
        m = lerp(m, d, 1 - beta1);   v = beta2·v + (1 - beta2)·d·d;   v_max = max(v_max, v) (AMSGrad: it replaces v)
        p = p - lr / (1 - beta1^t) · m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """
    xp = backend.array_module(p)
    d = -g if maximize else g
    if weight_decay != 0:
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            d = d + weight_decay * p
    lerp_(exp_avg, d, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * d * d
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    if max_exp_avg_sq is not None:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        denom = xp.sqrt(max_exp_avg_sq)
    else:
        denom = xp.sqrt(exp_avg_sq)
    denom /= bias_correction2_sqrt
    denom += eps
    p += -step_size * exp_avg / denom


# ---- Pillow's 8-bit resampling pass (vision.transforms.Resize on uint8 images) ----------------------------------
PIL_BITS = 22  # Pillow's fixed-point precision for 8-bit resampling: 32 - 8 - 2 bits


def resize_pil_pass(src: np.ndarray, k: np.ndarray, first: np.ndarray, axis: int) -> np.ndarray:
    """One pass of Pillow's 8-bit resize along ``axis`` (1: height, 2: width) of ``src`` (N, H, W, C) uint8.

    dst[.., o, ..] = clip((2^21 + Σ_t src[.., first[o] + t, ..] · k[o, t]) >> 22, 0, 255): ``k`` (out, taps) are
    Pillow's integer weights (22 fractional bits, zero past the input's end), ``first`` (out,) each window's
    first input. Integer arithmetic, so every implementation gives Pillow's bits.
    """
    n_in = src.shape[axis]
    shape = [1, 1, 1, 1]
    shape[axis] = k.shape[0]
    x = src.astype(np.int64)
    acc = np.full(x.shape[:axis] + (k.shape[0],) + x.shape[axis + 1 :], 1 << (PIL_BITS - 1), dtype=np.int64)
    for t in range(k.shape[1]):
        acc += np.take(x, np.minimum(first + t, n_in - 1), axis=axis) * k[:, t].reshape(shape)
    return np.clip(acc >> PIL_BITS, 0, 255).astype(np.uint8)
