"""The CUDA kernels: conv's im2col/col2im, pooling and BatchNorm, in CuPy, one thread per output element.

Same names, signatures and conventions as ``numpy_kernels`` (the reference; read its docstring first). Every
kernel is a gather: a thread computes one output element from the inputs it depends on, so nothing is written
twice and no atomics are needed, except max-pool backward with overlapping windows, whose signature carries no
window geometry to gather with. A gather adds its terms in the reference's order (taps row-major, from 0), so
im2col, col2im, both average-pool kernels and max-pool forward give the reference's bits exactly.

im2col, col2im and BatchNorm are ``RawKernel``s with 32-bit index arithmetic, because profiling found an
ElementwiseKernel im2col's 64-bit index divisions and BatchNorm's many tiny per-channel launches taking a large
share of a ResNet step (figures in benchmarks/results/NOTES.md). BatchNorm is one launch each way: one block per
channel reduces its N·L values (in float64, a fixed order, so runs repeat bit for bit), finishes the
channel's statistics and then normalises (or computes dx) in the same block.

Kernels compile on first use for each dtype (CuPy caches them on disk); GEMMs stay with ``cupy.matmul``
(cuBLAS). Importing this module without a usable GPU raises ImportError, so dispatch reports the path as
unavailable instead of failing later.
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

_CONV = r"""
extern "C" __global__ void im2col(const scalar_t* x, scalar_t* cols, const int N, const int C, const int H,
                                  const int W, const int kh, const int kw, const int sh, const int sw, const int ph,
                                  const int pw, const int dh, const int dw, const int OH, const int OW) {
    // row r = (c, a, b) of cols is blockIdx.y; its N·OH·OW entries are strided over x blocks and threads
    const int r = blockIdx.y, b = r % kw, a = (r / kw) % kh, c = r / (kw * kh);
    const unsigned int L = OH * OW, NL = N * L;
    scalar_t* row = cols + (size_t)r * NL;
    for (unsigned int q = blockIdx.x * blockDim.x + threadIdx.x; q < NL; q += gridDim.x * blockDim.x) {
        const unsigned int n = q / L, rem = q - n * L, oh = rem / OW, ow = rem - oh * OW;
        const int h = (int)oh * sh - ph + a * dh, w = (int)ow * sw - pw + b * dw;
        row[q] = (h >= 0 && h < H && w >= 0 && w < W) ? x[(((size_t)n * C + c) * H + h) * W + w] : (scalar_t)0;
    }
}

extern "C" __global__ void col2im(const scalar_t* cols, scalar_t* dx, const int N, const int C, const int H,
                                  const int W, const int kh, const int kw, const int sh, const int sw, const int ph,
                                  const int pw, const int dh, const int dw, const int OH, const int OW) {
    // dx[n, c, h, w] = Σ over taps (a, b), row-major from 0, of the column entries copied from (h, w)
    const unsigned int L = OH * OW, NL = N * L, total = N * C * H * W;
    for (unsigned int e = blockIdx.x * blockDim.x + threadIdx.x; e < total; e += gridDim.x * blockDim.x) {
        const unsigned int w = e % W, t = e / W, h = t % H, plane = t / H, c = plane % C, n = plane / C;
        const scalar_t* base = cols + (size_t)c * kh * kw * NL + (size_t)n * L;
        scalar_t acc = 0;
        for (int a = 0; a < kh; ++a) {
            const int hp = (int)h + ph - a * dh;
            if (hp < 0 || (sh > 1 && hp % sh != 0) || hp / sh >= OH) continue;
            const int oh = hp / sh;
            for (int b = 0; b < kw; ++b) {
                const int wp = (int)w + pw - b * dw;
                if (wp < 0 || (sw > 1 && wp % sw != 0) || wp / sw >= OW) continue;
                acc += base[(size_t)(a * kw + b) * NL + oh * OW + wp / sw];
            }
        }
        dx[e] = acc;
    }
}
"""
_CTYPES = {"float32": "float", "float64": "double"}


@functools.cache
def _raw(source: str, name: str, dtype: str) -> Any:
    """RawKernel ``name`` of ``source`` for ``dtype`` (float32/float64), compiled once."""
    return cp.RawKernel(source.replace("scalar_t", _CTYPES[dtype]), name)


def _blocks(n: int, threads: int = 256, most: int = 8192) -> int:
    """Blocks for a grid-stride loop over n items."""
    return max(1, min(most, -(-n // threads)))


def _i32(*values: int) -> tuple:
    return tuple(cp.int32(v) for v in values)


def _raw_fits(*arrays: Any) -> bool:
    """The raw kernels use 32-bit indices within an array and know float32/float64."""
    return all(a.size < 2**31 and a.dtype.name in _CTYPES for a in arrays)


def im2col(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, out: Any = None
) -> Any:
    """x: (N, C, H, W) → cols: (C·kh·kw, N·OH·OW); see ``numpy_kernels.im2col``. ``out``: a C-contiguous buffer."""
    N, C, H, W = x.shape
    (kh, kw), (oh, ow) = kernel_size, out_size
    cols = cp.empty((C * kh * kw, N * oh * ow), dtype=x.dtype) if out is None else out
    if not _raw_fits(x, cols) or cols.shape[0] > 65535 or not cols.flags.c_contiguous:
        from . import numpy_kernels

        return numpy_kernels.im2col(x, kernel_size, stride, padding, dilation, out_size, out=cols)
    geometry = _i32(N, C, H, W, kh, kw, *stride, *padding, *dilation, oh, ow)
    grid = (_blocks(N * oh * ow, most=max(1, 4096 // cols.shape[0])), cols.shape[0])
    _raw(_CONV, "im2col", x.dtype.name)(grid, (256,), (cp.ascontiguousarray(x), cols, *geometry))
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
    """cols: (C·kh·kw, N·OH·OW) → dx: (N, C, H, W), the adjoint of im2col, one thread per input pixel.

    ``out``: a C-contiguous (N, C, H, W) array to write dx into (overwritten)."""
    N, C, H, W = x_shape
    dx = cp.empty((N, C, H, W), dtype=cols.dtype) if out is None else out
    if not _raw_fits(cols, dx) or not dx.flags.c_contiguous:
        from . import numpy_kernels

        return numpy_kernels.col2im(cols, x_shape, kernel_size, stride, padding, dilation, out_size, out=out)
    geometry = _i32(N, C, H, W, *kernel_size, *stride, *padding, *dilation, *out_size)
    _raw(_CONV, "col2im", cols.dtype.name)((_blocks(dx.size),), (256,), (cp.ascontiguousarray(cols), dx, *geometry))
    return dx


# ---- max pooling ------------------------------------------------------------------------------


def max_pool2d_forward(
    x: Any, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, out_size: Pair, indices: bool = True
) -> tuple[Any, Any]:
    """x: (N, C, H, W) → (y, indices), both (N, C, OH, OW), indices flat into H·W; torch's tie and NaN rules
    (None for the indices without ``indices``)."""
    N, C, H, W = x.shape
    y = cp.empty((N, C, *out_size), dtype=x.dtype)
    idx = cp.empty((N, C, *out_size), dtype=cp.int64)
    geometry = _geometry(kernel_size, stride, padding)
    _kernel("max_pool2d_forward")(cp.ascontiguousarray(x), H, W, *geometry, *dilation, *out_size, y, idx)
    return y, (idx if indices else None)


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


# ---- batch normalisation --------------------------------------------------------------------------------

_BN = r"""
__device__ double block_sum(double a, double* red) {
    // the sum of a over the block, returned to every thread (blockDim.x a multiple of 32)
    for (int off = 16; off > 0; off >>= 1) a += __shfl_down_sync(0xffffffff, a, off);
    const unsigned int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();  // red may still be read from the previous call
    if (lane == 0) red[warp] = a;
    __syncthreads();
    if (warp == 0) {
        a = lane < (blockDim.x >> 5) ? red[lane] : 0.0;
        for (int off = 16; off > 0; off >>= 1) a += __shfl_down_sync(0xffffffff, a, off);
        if (lane == 0) red[0] = a;
    }
    __syncthreads();
    return red[0];
}

extern "C" __global__ void bn_forward(const scalar_t* x, scalar_t* y, const scalar_t* weight, const scalar_t* bias,
                                      double* mean, double* var, const unsigned int N, const unsigned int C,
                                      const unsigned int L, const double eps, const int batch_stats) {
    // block c: channel c's N·L values. Batch statistics: μ = Σx/n, then σ² = Σ(x-μ)²/n (biased), both float64;
    // then y = (x - μ)·(w/√(σ²+eps)) + b in x's dtype, as the reference computes it.
    __shared__ double red[32];
    const unsigned int c = blockIdx.x, n_values = N * L;
    double m, v;
    if (batch_stats) {
        double a = 0.0;
        for (unsigned int k = threadIdx.x; k < n_values; k += blockDim.x) {
            const unsigned int n = k / L;
            a += (double)x[((size_t)n * C + c) * L + (k - n * L)];
        }
        m = block_sum(a, red) / n_values;
        a = 0.0;
        for (unsigned int k = threadIdx.x; k < n_values; k += blockDim.x) {
            const unsigned int n = k / L;
            const double d = (double)x[((size_t)n * C + c) * L + (k - n * L)] - m;
            a += d * d;
        }
        v = block_sum(a, red) / n_values;
        if (threadIdx.x == 0) { mean[c] = m; var[c] = v; }
    } else {
        m = mean[c];
        v = var[c];
    }
    const double inv_std = 1.0 / sqrt(v + eps);
    const scalar_t m_t = (scalar_t)m;
    const scalar_t scale = (scalar_t)(weight ? inv_std * (double)weight[c] : inv_std);
    const scalar_t shift = bias ? bias[c] : (scalar_t)0;
    for (unsigned int k = threadIdx.x; k < n_values; k += blockDim.x) {
        const unsigned int n = k / L;
        const size_t at = ((size_t)n * C + c) * L + (k - n * L);
        const scalar_t t = (x[at] - m_t) * scale;
        y[at] = t + shift;
    }
}

extern "C" __global__ void bn_backward(const scalar_t* g, const scalar_t* x, scalar_t* dx, const scalar_t* weight,
                                       const double* mean, const double* var, double* sum_g, double* sum_gx,
                                       const unsigned int N, const unsigned int C, const unsigned int L,
                                       const double eps, const int batch_stats, const int need_x) {
    // block c: Σg and Σg·x̂ over channel c (float64), then dx = (g - mean(g) - x̂·mean(g·x̂))·(w/σ) with batch
    // statistics, or dx = g·(w/σ) with fixed ones
    __shared__ double red[32];
    const unsigned int c = blockIdx.x, n_values = N * L;
    const double m = mean[c], inv_std = 1.0 / sqrt(var[c] + eps);
    double a = 0.0, b = 0.0;
    for (unsigned int k = threadIdx.x; k < n_values; k += blockDim.x) {
        const unsigned int n = k / L;
        const size_t at = ((size_t)n * C + c) * L + (k - n * L);
        const double gv = (double)g[at];
        a += gv;
        b += gv * (((double)x[at] - m) * inv_std);
    }
    a = block_sum(a, red);
    b = block_sum(b, red);
    if (threadIdx.x == 0) { sum_g[c] = a; sum_gx[c] = b; }
    if (!need_x) return;
    const scalar_t m_t = (scalar_t)m, is_t = (scalar_t)inv_std;
    const scalar_t scale = (scalar_t)(weight ? inv_std * (double)weight[c] : inv_std);
    const scalar_t mg = batch_stats ? (scalar_t)(a / n_values) : (scalar_t)0;
    const scalar_t mgx = batch_stats ? (scalar_t)(b / n_values) : (scalar_t)0;
    for (unsigned int k = threadIdx.x; k < n_values; k += blockDim.x) {
        const unsigned int n = k / L;
        const size_t at = ((size_t)n * C + c) * L + (k - n * L);
        const scalar_t x_hat = (x[at] - m_t) * is_t;
        scalar_t t = g[at] - mg;
        t -= x_hat * mgx;
        dx[at] = t * scale;
    }
}
"""


def _bn_threads(n_values: int) -> int:
    """Threads per channel block: a power of two from 32 to 1024, about the channel's size."""
    return min(1024, max(32, 1 << (max(n_values, 1) - 1).bit_length()))


def _bn_fits(x: Any) -> bool:
    return _raw_fits(x) and x.shape[0] * x.shape[2] < 2**31


def _or_null(a: Any) -> Any:
    """An optional (C,) array as a kernel argument: the array, or a null pointer."""
    return cp.uint64(0) if a is None else a


def batch_norm_forward(x: Any, weight: Any, bias: Any, mean: Any, var: Any, eps: float) -> tuple[Any, Any, Any]:
    """x: (N, C, L) → (y, mean, var) as ``numpy_kernels.batch_norm_forward``, in one launch: the batch's float64
    mean and biased variance when ``mean`` is None, else the given statistics, then y."""
    if not _bn_fits(x):
        from . import numpy_kernels

        return numpy_kernels.batch_norm_forward(x, weight, bias, mean, var, eps)
    x = cp.ascontiguousarray(x)
    N, C, L = x.shape
    batch_stats = mean is None
    if batch_stats:
        mean, var = cp.empty(C, dtype=cp.float64), cp.empty(C, dtype=cp.float64)
    else:
        mean = cp.ascontiguousarray(mean, dtype=cp.float64)
        var = cp.ascontiguousarray(var, dtype=cp.float64)
    y = cp.empty_like(x)
    w = None if weight is None else cp.ascontiguousarray(weight, dtype=x.dtype)
    b = None if bias is None else cp.ascontiguousarray(bias, dtype=x.dtype)
    args = (x, y, _or_null(w), _or_null(b), mean, var, cp.uint32(N), cp.uint32(C), cp.uint32(L), cp.float64(eps),
            cp.int32(batch_stats))
    _raw(_BN, "bn_forward", x.dtype.name)((C,), (_bn_threads(N * L),), args)
    return y, mean, var


def batch_norm_backward(
    g: Any, x: Any, mean: Any, var: Any, weight: Any, eps: float, batch_stats: bool, need_x: bool
) -> tuple[Any, Any, Any]:
    """g, x: (N, C, L) → (dx or None, Σ g, Σ g·x̂) per channel, as ``numpy_kernels.batch_norm_backward``, in one
    launch."""
    if not _bn_fits(x):
        from . import numpy_kernels

        return numpy_kernels.batch_norm_backward(g, x, mean, var, weight, eps, batch_stats, need_x)
    g, x = cp.ascontiguousarray(g, dtype=x.dtype), cp.ascontiguousarray(x)
    N, C, L = x.shape
    dx = cp.empty_like(g) if need_x else None
    sum_g, sum_gx = cp.empty(C, dtype=cp.float64), cp.empty(C, dtype=cp.float64)
    w = None if weight is None else cp.ascontiguousarray(weight, dtype=x.dtype)
    args = (g, x, _or_null(dx), _or_null(w), cp.ascontiguousarray(mean, dtype=cp.float64),
            cp.ascontiguousarray(var, dtype=cp.float64), sum_g, sum_gx, cp.uint32(N), cp.uint32(C), cp.uint32(L),
            cp.float64(eps), cp.int32(batch_stats), cp.int32(need_x))
    _raw(_BN, "bn_backward", x.dtype.name)((C,), (_bn_threads(N * L),), args)
    return dx, sum_g, sum_gx
