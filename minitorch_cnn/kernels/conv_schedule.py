"""Convolution over a batch, scheduled: the batch split over the thread pool, each thread's share in chunks.

``ops.conv`` and ``ops.conv_transpose`` state the maths; the entry points here run it:

- ``conv2d_forward``:     y  = conv2d(x; W) + b
- ``conv2d_input_grad``:  dx = conv_transpose2d(g; W)        (conv2d's input gradient)
- ``conv2d_weight_grad``: dW = the weight-gradient convolution of x and g, db = Σ g
- ``conv2d_backward``:    dx, dW and db in one pass over the batch, as first-order training needs them: g is laid
  out for the GEMMs once for all three, and the threads are handed the batch once.

Each runs the chosen path's chunk kernels (``conv2d_forward_chunks``, ``conv2d_backward_chunks``: im2col, one GEMM
per group, col2im, see ``numpy_kernels``; the Numba path does narrow stride-1 layers directly, without columns,
and wide layers' backward on channels-last rows) on contiguous shares of the batch, one share per thread of
``threadpool`` (one share on a GPU), the calling thread running the first. One-thread GEMMs on each thread's own
share keep the cores busy on data in cache, where OpenBLAS splits these small-M GEMMs poorly.

A share goes through in chunks whose columns take at most ``BUDGET_SHARE`` times its part of the bytes of the
layer's input and output together (within [``MIN_CHUNK_BYTES``, ``MAX_CHUNK_BYTES``]): the columns stay a fixed
fraction of what torch's own step keeps, and at most about a core's L2 cache (``MAX_CHUNK_BYTES``), so the GEMM
reads columns that were just written and are still in cache; a chunk holds at least one sample. Where the weights
are bigger than that (wide layers on small planes), a chunk's columns may be as big as the weights: OpenBLAS
packs the whole weight matrix at every GEMM call, and a GEMM over fewer pixels than that spends a large part of
its time packing (the policies' times and memory are in benchmarks/results/NOTES.md). Backward recomputes the
columns from x instead of keeping them (they are k·k times the input); they come from ``workspace``. The shares'
dW and db are float64 sums, added in share order, so the result does not depend on which thread finished first.

Wide layers on small planes, whose weights outweigh their activations (``SPLIT_MIN_WEIGHTS`` times the elements
of x and g together: ResNet-18's 512→512 4×4 layers), run their backward split over output channels instead where
the path has it (``BackwardSplit``, numba_kernels/conv_split.py) and more than one thread runs: per chunk of the
batch, every thread gathers a slice of the samples into shared channels-last rows, then (``threadpool.run``'s
return being the barrier) makes its slice of dW's output channels over the whole chunk and dx of its samples. No
thread keeps a whole dW, and no float64 sum of whole dWs follows (times in benchmarks/results/NOTES.md).

Posting the pool threads from inside compiled code (``threadpool.run``'s ``signal``): each share's function gets
two more arguments, ``ready`` (the pool threads' start flags; empty for the shares that post nothing) and ``job``,
and the first share's chunk kernel writes ``ready[:] = job`` once it runs without the GIL.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from . import choice, dispatch, threadpool, workspace

Pair = tuple[int, int]
MIN_CHUNK_BYTES, MAX_CHUNK_BYTES = 1 << 20, 2 << 20  # bounds on one chunk's columns: about a core's L2
BUDGET_SHARE = 1  # columns per chunk: up to this many times the bytes of the layer's input and output
SPLIT_MIN_WEIGHTS = 0.7  # split over output channels where the weights take this many times x's and g's elements
SPLIT_CHUNK_WEIGHTS = 8  # a channel-split chunk's rows: up to this many times the weights' elements


class ConvGeometry(NamedTuple):
    """How a conv2d's windows sit on its input: pairs of (height, width), ``padding`` the top/left padding only
    (the bottom/right padding follows from ``out_size``, which covers torch's asymmetric 'same')."""

    kernel: Pair  # (kh, kw)
    stride: Pair
    padding: Pair
    dilation: Pair
    groups: int
    out_size: Pair  # (OH, OW)

    @property
    def window(self) -> tuple[Pair, Pair, Pair, Pair, Pair]:
        """(kernel, stride, padding, dilation, out_size): the chunk kernels' and im2col's geometry arguments."""
        return self.kernel, self.stride, self.padding, self.dilation, self.out_size


def _samples_per_chunk(n: int, bytes_per_sample: int, budget: int, weight_bytes: int, xp: Any) -> int:
    """How many of a share's ``n`` samples one chunk takes: columns of at most ``BUDGET_SHARE · budget`` bytes,
    clamped to the bounds above, or as many bytes as the weights where those are more (the whole share on a
    GPU)."""
    cap = max(min(MAX_CHUNK_BYTES, max(MIN_CHUNK_BYTES, BUDGET_SHARE * budget)), weight_bytes)
    return max(1, n if xp is not np else min(n, cap // max(bytes_per_sample, 1)))


def _shares(n: int, xp: Any) -> list[tuple[int, int]]:
    """The batch's [start, stop) shares, one per thread of ``threadpool`` (one share on a GPU)."""
    return threadpool.split(n, threadpool.workers() if xp is np else 1)


def _sum_in_order(parts: list) -> Any:
    """The shares' partial sums added in share order (None when they were not computed)."""
    total = parts[0]
    if total is not None:
        for part in parts[1:]:
            total += part
    return total


def conv2d_forward(x: Any, w: Any, b: Any, geometry: ConvGeometry) -> Any:
    """y = conv2d(x; w) + b: x (N, C, H, W), w (O, C/G, kh, kw), b (O,) or None → y (N, O, OH, OW)."""
    xp = backend.array_module(x)
    N, C = x.shape[:2]
    O = w.shape[0]
    y = xp.empty((N, O, *geometry.out_size), dtype=x.dtype)
    L, K = math.prod(geometry.out_size), C * math.prod(geometry.kernel)  # pixels per sample, rows of the columns
    shares = _shares(N, xp)
    budget = (x.nbytes + y.nbytes) // len(shares)
    chunk_kernel = dispatch.get("conv2d_forward_chunks", x)

    def share(start: int, stop: int, ready: Any, job: int) -> None:
        step = _samples_per_chunk(stop - start, K * L * x.itemsize, budget, w.nbytes, xp)
        buf = workspace.take(((K + O) * step * L,), x.dtype, x)  # the columns, then the GEMM's output
        chunk_kernel(x, w, b, y, start, stop, step, buf[: K * step * L], buf[K * step * L :], geometry.groups,
                     *geometry.window, ready, job)
        workspace.give(buf)

    threadpool.run(share, shares, signal=True)
    return y


def conv2d_backward(
    g: Any, x: Any, w: Any, geometry: ConvGeometry, x_shape: tuple, need_b: bool
) -> tuple[Any, Any, Any]:
    """conv2d's three gradients in one pass for g = dL/dy (N, O, OH, OW), each None where not asked for:
    dx (N, C, H, W) = ``x_shape`` when w (O, C/G, kh, kw) is given; dW (O, C/G, kh, kw) when x (N, C, H, W) is
    given; db (O,) when ``need_b``. db is summed in float64, as dW across shares (the channel split sums each of
    its output channels in the dtype, as a share's chunks are); both are returned in g's dtype."""
    xp = backend.array_module(g)
    N, O = g.shape[:2]
    C = x_shape[1]
    L, K = math.prod(geometry.out_size), C * math.prod(geometry.kernel)
    dx = xp.empty(x_shape, dtype=g.dtype) if w is not None else None
    split = _channel_split(g, x_shape, geometry, w is not None, x is not None)
    if split is not None:
        step = _split_step(L, K, O * K, N, threadpool.workers())
        run = split(g, x, w, dx, x_shape, need_b, *geometry.window, step, threadpool.workers())
        dw, db = _by_channels(run, N, O, step)
        return dx, dw, (None if db is None else _sum_in_order(db).astype(g.dtype))
    shares = _shares(N, xp)
    budget = (g.itemsize * math.prod(x_shape) + g.nbytes) // len(shares)
    chunk_kernel = dispatch.get("conv2d_backward_chunks", g)

    def share(start: int, stop: int, ready: Any, job: int) -> tuple:
        step = _samples_per_chunk(stop - start, K * L * g.itemsize, budget, O * K // geometry.groups * g.itemsize, xp)
        buf = workspace.take(((O + K) * step * L,), g.dtype, g)  # g in the GEMMs' layout, then the columns
        sums = chunk_kernel(g, x, w, dx, x_shape, start, stop, step, buf[: O * step * L], buf[O * step * L :],
                            geometry.groups, need_b, *geometry.window, ready, job)
        workspace.give(buf)
        return sums

    sums = threadpool.run(share, shares, signal=True)
    dw, db = _sum_in_order([s[0] for s in sums]), _sum_in_order([s[1] for s in sums])
    if dw is not None:  # C order: a path may hand dW on as a view with its axes in another order
        dw = dw.reshape(O, C // geometry.groups, *geometry.kernel).astype(g.dtype, order="C")
    return dx, dw, (db.astype(g.dtype) if db is not None else None)


def _channel_split(g: Any, x_shape: tuple, geometry: ConvGeometry, with_dx: bool, with_dw: bool = True) -> Any:
    """The chosen path's ``BackwardSplit`` where this backward runs split over output channels: more than one
    thread, the weights at least ``SPLIT_MIN_WEIGHTS`` times the elements of x and g together, the path has it
    and the layer suits it (``split_fits``); else None. Where dW is asked for and the layer's backward runs on
    the implicit GEMM (``implicit_split_fits``), the path's ``ImplicitSplit`` instead."""
    if threadpool.workers() < 2 or backend.array_module(g) is not np:
        return None
    O, C = g.shape[1], x_shape[1]
    if O * C // geometry.groups * math.prod(geometry.kernel) < SPLIT_MIN_WEIGHTS * (math.prod(x_shape) + g.size):
        return None
    implicit, implicit_fits = choice.chosen("ImplicitSplit", g), choice.chosen("implicit_split_fits", g)
    if with_dw and implicit is not None and implicit_fits((C, O), geometry.groups, geometry.kernel, geometry.stride,
                                                          geometry.dilation, g.dtype, with_dx):
        return implicit
    fits, split = choice.chosen("split_fits", g), choice.chosen("BackwardSplit", g)
    if fits is None or split is None or not fits((C, O), geometry.groups, geometry.kernel, geometry.stride,
                                                geometry.padding, geometry.dilation, x_shape[2:],
                                                geometry.out_size, g.dtype, with_dx):
        return None
    return split


def _split_step(L: int, K: int, weights: int, n: int, threads: int) -> int:
    """Samples per chunk of a channel split: as few chunks as hold rows (L pixels × K values a sample) of up to
    ``SPLIT_CHUNK_WEIGHTS`` times the ``weights``' count each, as even as can be, each a multiple of ``threads``
    samples so that every thread makes dx of as many (3 samples a chunk on 2 threads made a layer 1.4× slower)."""
    most = max(1, int(SPLIT_CHUNK_WEIGHTS * weights) // (L * K))
    even = -(-n // -(-n // most))  # n in ceil(n / most) near-equal chunks
    return min(n, -(-even // threads) * threads)


def _by_channels(run: Any, n: int, out_channels: int, step: int) -> Any:
    """``run`` (a ``BackwardSplit``) over a batch of ``n`` in chunks of ``step`` samples: each chunk gathered by
    all threads (a slice of its samples each), then multiplied (a slice of the output channels each for dW, of the
    samples for dx); ``threadpool.run`` returns once every thread is done, the barrier between the phases. Returns
    ``run.finish()``."""
    threads = threadpool.workers()
    channels = [(out_channels * k // threads, out_channels * (k + 1) // threads) for k in range(threads)]
    for n0 in range(0, n, step):
        m = min(n, n0 + step) - n0
        parts = [(k, n0, (n0 + m * k // threads, n0 + m * (k + 1) // threads), channels[k]) for k in range(threads)]
        threadpool.run(run.gather, parts, signal=True)
        threadpool.run(run.products, parts, signal=True)
    return run.finish()


def conv2d_input_grad(g: Any, w: Any, geometry: ConvGeometry, x_shape: tuple) -> Any:
    """dx = conv_transpose2d(g; w): g (N, O, OH, OW), w (O, C/G, kh, kw) → dx (N, C, H, W) = ``x_shape``."""
    return conv2d_backward(g, None, w, geometry, x_shape, False)[0]


def conv2d_weight_grad(g: Any, x: Any, geometry: ConvGeometry, need_b: bool = False) -> tuple[Any, Any]:
    """(dW, db): dW (O, C/G, kh, kw) = Σ_n g[n] correlated with x[n]'s windows, db (O,) = Σ_{n, OH, OW} g (None
    unless ``need_b``), for g (N, O, OH, OW) and x (N, C, H, W)."""
    _, dw, db = conv2d_backward(g, x, None, geometry, x.shape, need_b)
    return dw, db
