"""The CUDA kernels: conv's im2col/col2im and pooling as CuPy ``ElementwiseKernel``s, one thread per output.

Same names, signatures and conventions as ``numpy_kernels`` (the reference; read its docstring first). Every
kernel is a gather: a thread computes one output element from the inputs it depends on, so nothing is written
twice and no atomics are needed, except max-pool backward with overlapping windows, whose signature carries no
window geometry to gather with. A gather adds its terms in the reference's order (taps row-major, from 0), so
im2col, col2im, both average-pool kernels and max-pool forward give the reference's bits exactly.

The kernels are compiled on first use for each dtype (CuPy caches them on disk); GEMMs stay with
``cupy.matmul`` (cuBLAS). Importing this module without a usable GPU raises ImportError, so dispatch reports
the path as unavailable instead of failing later.
"""

from __future__ import annotations

import functools
from typing import Any

from .. import backend

if not backend.cuda_available():
    raise ImportError("the cupy kernels need CuPy and a CUDA GPU")

cp = backend.require_cuda()

Pair = tuple[int, int]

# one (N, C, H, W) index i unravelled: the pixel (h, w) of plane (n·C + c)
_UNRAVEL_PIXEL = "const int w = i % W; const long long t = i / W; const int h = t % H; const long long plane = t / H;"
# one (N, C, OH, OW) index i unravelled: the window (oh, ow) of plane (n·C + c)
_UNRAVEL_WINDOW = (
    "const int ow = i % OW; const long long t = i / OW; const int oh = t % OH; const long long plane = t / OH;"
)


@functools.cache
def _kernel(name: str) -> Any:
    """The ElementwiseKernel ``name``, built once (CUDA compiles it per dtype on first call)."""
    geometry = "int32 kh, int32 kw, int32 sh, int32 sw, int32 ph, int32 pw"
    if name == "im2col":
        # cols[(c, a, b), (n, oh, ow)] = x[n, c, oh·sh - ph + a·dh, ow·sw - pw + b·dw], 0 outside the input
        return cp.ElementwiseKernel(
            f"raw T x, int32 N, int32 C, int32 H, int32 W, {geometry}, int32 dh, int32 dw, int32 OH, int32 OW",
            "T col",
            """
            const long long L = (long long)OH * OW, NL = L * N;
            const long long r = i / NL, q = i - r * NL;
            const int b = r % kw, a = (r / kw) % kh, c = r / ((long long)kw * kh);
            const int n = q / L, rem = q - n * L, oh = rem / OW, ow = rem - oh * OW;
            const int h = oh * sh - ph + a * dh, w = ow * sw - pw + b * dw;
            col = (h >= 0 && h < H && w >= 0 && w < W) ? x[(((long long)n * C + c) * H + h) * W + w] : (T)0;
            """,
            "minitorch_im2col",
        )
    if name == "col2im":
        # dx[n, c, h, w] = Σ over taps (a, b), row-major, of the column entries copied from (h, w)
        return cp.ElementwiseKernel(
            f"raw T cols, int32 N, int32 C, int32 H, int32 W, {geometry}, int32 dh, int32 dw, int32 OH, int32 OW",
            "T dx",
            _UNRAVEL_PIXEL
            + """
            const long long L = (long long)OH * OW, NL = L * N;
            const int c = plane % C, n = plane / C;
            T acc = 0;
            for (int a = 0; a < kh; ++a) {
                const int hp = h + ph - a * dh;
                if (hp < 0 || hp % sh != 0 || hp / sh >= OH) continue;
                for (int b = 0; b < kw; ++b) {
                    const int wp = w + pw - b * dw;
                    if (wp < 0 || wp % sw != 0 || wp / sw >= OW) continue;
                    acc += cols[(((long long)c * kh + a) * kw + b) * NL + n * L + (hp / sh) * OW + wp / sw];
                }
            }
            dx = acc;
            """,
            "minitorch_col2im",
        )
    if name == "max_pool2d_forward":
        # torch's rule: from -inf at the first in-bounds tap, take v where v > max or v is NaN (taps row-major)
        return cp.ElementwiseKernel(
            f"raw T x, int32 H, int32 W, {geometry}, int32 dh, int32 dw, int32 OH, int32 OW",
            "T y, int64 idx",
            _UNRAVEL_WINDOW
            + """
            const int h0 = oh * sh - ph, w0 = ow * sw - pw;
            int fr = h0, fc = w0;
            while (fr < 0) fr += dh;
            while (fc < 0) fc += dw;
            T best = (T)__int_as_float(0xff800000);
            long long at = (long long)fr * W + fc;
            for (int a = 0; a < kh; ++a) {
                const int h = h0 + a * dh;
                if (h < 0 || h >= H) continue;
                for (int b = 0; b < kw; ++b) {
                    const int w = w0 + b * dw;
                    if (w < 0 || w >= W) continue;
                    const T v = x[(plane * H + h) * W + w];
                    if (v > best || isnan(v)) { best = v; at = (long long)h * W + w; }
                }
            }
            y = best;
            idx = at;
            """,
            "minitorch_max_pool2d_forward",
        )
    if name == "max_pool2d_scatter":
        # disjoint windows: every input pixel receives at most one gradient
        return cp.ElementwiseKernel(
            "T g, int64 idx, int64 OHW, int64 HW", "raw T dx", "dx[(i / OHW) * HW + idx] = g;",
            "minitorch_max_pool2d_scatter",
        )
    if name == "max_pool2d_scatter_add":
        return cp.ElementwiseKernel(
            "T g, int64 idx, int64 OHW, int64 HW", "raw T dx", "atomicAdd(&dx[(i / OHW) * HW + idx], g);",
            "minitorch_max_pool2d_scatter_add",
        )
    if name == "avg_pool2d_forward":
        # y = (Σ of the in-bounds taps, row-major from 0) / divisor[oh, ow]
        return cp.ElementwiseKernel(
            f"raw T x, raw T div, int32 H, int32 W, {geometry}, int32 OH, int32 OW",
            "T y",
            _UNRAVEL_WINDOW
            + """
            const int h0 = oh * sh - ph, w0 = ow * sw - pw;
            T acc = 0;
            for (int a = 0; a < kh; ++a) {
                const int h = h0 + a;
                if (h < 0 || h >= H) continue;
                for (int b = 0; b < kw; ++b) {
                    const int w = w0 + b;
                    if (w >= 0 && w < W) acc += x[(plane * H + h) * W + w];
                }
            }
            y = acc / div[oh * OW + ow];
            """,
            "minitorch_avg_pool2d_forward",
        )
    if name == "avg_pool2d_backward":
        # dx[h, w] = Σ over taps (a, b), row-major, of g / divisor at the window that tap reads (h, w) for
        return cp.ElementwiseKernel(
            f"raw T g, raw T div, int32 H, int32 W, {geometry}, int32 OH, int32 OW",
            "T dx",
            _UNRAVEL_PIXEL
            + """
            T acc = 0;
            for (int a = 0; a < kh; ++a) {
                const int hp = h + ph - a;
                if (hp < 0 || hp % sh != 0 || hp / sh >= OH) continue;
                const int oh = hp / sh;
                for (int b = 0; b < kw; ++b) {
                    const int wp = w + pw - b;
                    if (wp < 0 || wp % sw != 0 || wp / sw >= OW) continue;
                    const int o = oh * OW + wp / sw;
                    acc += g[plane * OH * OW + o] / div[o];
                }
            }
            dx = acc;
            """,
            "minitorch_avg_pool2d_backward",
        )
    raise KeyError(name)


def _geometry(kernel_size: Pair, stride: Pair, padding: Pair) -> tuple[int, ...]:
    return (*kernel_size, *stride, *padding)


def _divisor(divisor: Any, out_size: Pair, dtype: Any) -> Any:
    """The divisor (a number or an array broadcastable to (OH, OW)) as a contiguous (OH, OW) array of ``dtype``."""
    return cp.ascontiguousarray(cp.broadcast_to(cp.asarray(divisor, dtype=dtype), tuple(out_size)))


# ---- convolution: im2col / col2im ------------------------------------------------------------


def im2col(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, out: Any = None
) -> Any:
    """x: (N, C, H, W) → cols: (C·kh·kw, N·OH·OW); see ``numpy_kernels.im2col``. ``out``: a C-contiguous buffer."""
    N, C, H, W = x.shape
    (kh, kw), (oh, ow) = kernel_size, out_size
    cols = cp.empty((C * kh * kw, N * oh * ow), dtype=x.dtype) if out is None else out
    geometry = _geometry(kernel_size, stride, padding)
    _kernel("im2col")(cp.ascontiguousarray(x), N, C, H, W, *geometry, *dilation, oh, ow, cols)
    return cols


def col2im(
    cols: Any, x_shape: tuple, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair
) -> Any:
    """cols: (C·kh·kw, N·OH·OW) → dx: (N, C, H, W), the adjoint of im2col, one thread per input pixel."""
    N, C, H, W = x_shape
    dx = cp.empty((N, C, H, W), dtype=cols.dtype)
    geometry = _geometry(kernel_size, stride, padding)
    _kernel("col2im")(cp.ascontiguousarray(cols), N, C, H, W, *geometry, *dilation, *out_size, dx)
    return dx


# ---- max pooling ------------------------------------------------------------------------------


def max_pool2d_forward(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair
) -> tuple[Any, Any]:
    """x: (N, C, H, W) → (y, indices), both (N, C, OH, OW), indices flat into H·W; torch's tie and NaN rules."""
    N, C, H, W = x.shape
    y = cp.empty((N, C, *out_size), dtype=x.dtype)
    idx = cp.empty((N, C, *out_size), dtype=cp.int64)
    geometry = _geometry(kernel_size, stride, padding)
    _kernel("max_pool2d_forward")(cp.ascontiguousarray(x), H, W, *geometry, *dilation, *out_size, y, idx)
    return y, idx


def max_pool2d_backward(g: Any, indices: Any, in_size: Pair, unique: bool = False) -> Any:
    """g, indices: (N, C, OH, OW) → dx: (N, C, H, W): each window's gradient lands on its argmax.

    Overlapping windows (``unique`` False) may share an argmax: their gradients are added atomically, so
    the order of those few additions (and the last bit of such pixels) can vary from run to run.
    """
    N, C, oh, ow = g.shape
    H, W = in_size
    dx = cp.zeros((N, C, H, W), dtype=g.dtype)
    kernel = _kernel("max_pool2d_scatter" if unique else "max_pool2d_scatter_add")
    kernel(g, indices, oh * ow, H * W, dx)
    return dx


# ---- average pooling ----------------------------------------------------------------------------


def avg_pool2d_forward(x: Any, kernel_size: Pair, stride: Pair, padding: Pair, out_size: Pair, divisor: Any) -> Any:
    """x: (N, C, H, W) → y: (N, C, OH, OW) = (sum of the zero-padded window) / divisor."""
    N, C, H, W = x.shape
    y = cp.empty((N, C, *out_size), dtype=x.dtype)
    div = _divisor(divisor, out_size, x.dtype)
    _kernel("avg_pool2d_forward")(cp.ascontiguousarray(x), div, H, W, *_geometry(kernel_size, stride, padding),
                                  *out_size, y)
    return y


def avg_pool2d_backward(g: Any, in_size: Pair, kernel_size: Pair, stride: Pair, padding: Pair, divisor: Any) -> Any:
    """g: (N, C, OH, OW) → dx: (N, C, H, W): each window spreads g / divisor over its pixels."""
    N, C, oh, ow = g.shape
    H, W = in_size
    dx = cp.empty((N, C, H, W), dtype=g.dtype)
    div = _divisor(divisor, (oh, ow), g.dtype)
    _kernel("avg_pool2d_backward")(cp.ascontiguousarray(g), div, H, W, *_geometry(kernel_size, stride, padding),
                                   oh, ow, dx)
    return dx
