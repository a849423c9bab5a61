"""``unfold`` (im2col) and ``fold`` (col2im), each other's adjoint, as one index each:

    unfold:  x (N, C, H, W) -> cols (N, C·kh·kw, L),
             cols[n, (c, i, j), (oh, ow)] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]
    fold:    cols (N, C·kh·kw, L) -> y (N, C, H, W),
             y_pad[n, c, r, s] = Σ of the cols entries that tap (r, s)

L = OH·OW blocks, OH = (H + 2ph - dh·(kh - 1) - 1) // sh + 1 (likewise OW). unfold is a gather from the zero-padded
input (``GetItem``), whose backward is the scatter-add that is fold (``IndexScatter``), and fold's backward is that
gather again: both are exact (no arithmetic but fold's sums of overlapping taps) and differentiable to every order.
Unbatched inputs (C, H, W) / (C·kh·kw, L) are taken as torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ._pairs import pair
from .indexing import GetItem, IndexScatter
from .shape import pad as _constant_pad


def _geometry(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    return (pair(kernel_size, "kernel_size", op, 1), pair(dilation, "dilation", op, 1),
            pair(padding, "padding", op, 0), pair(stride, "stride", op, 1))


def _blocks(op: str, size: tuple, k: tuple, d: tuple, p: tuple, s: tuple) -> tuple[int, int]:
    out = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(size, k, d, p, s))
    if min(out) < 1:
        raise RuntimeError(f"{op}: given input with spatial size {size}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {out}, but its "
                           "components must be at least one.")
    return out


def _taps(k: tuple, d: tuple, s: tuple, out: tuple, device: Any) -> tuple:
    """Row and column index arrays, broadcasting to (kh, kw, OH, OW), into the padded input."""
    rows = (np.arange(k[0]) * d[0])[:, None, None, None] + (np.arange(out[0]) * s[0])[None, None, :, None]
    cols = (np.arange(k[1]) * d[1])[None, :, None, None] + (np.arange(out[1]) * s[1])[None, None, None, :]
    return backend.move_to(rows, device), backend.move_to(cols, device)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002 - torch's name
           stride: Any = 1) -> Tensor:
    """``torch.nn.functional.unfold``: (N, C, H, W) -> (N, C·kh·kw, L) (or unbatched (C, H, W) -> (C·kh·kw, L))."""
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        got = f"{input.ndim}D" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {got})")
    k, d, p, s = _geometry("unfold", kernel_size, dilation, padding, stride)
    x = input if input.ndim == 4 else input.unsqueeze(0)
    out = _blocks("unfold", tuple(x.shape[-2:]), k, d, p, s)
    padded = _constant_pad(x, (p[1], p[1], p[0], p[0]), "constant", 0.0) if p != (0, 0) else x
    taps = GetItem.apply(padded, (slice(None), slice(None), *_taps(k, d, s, out, x.device)))  # (N, C, kh, kw, OH, OW)
    cols = taps.reshape(x.shape[0], x.shape[1] * k[0] * k[1], out[0] * out[1])
    return cols if input.ndim == 4 else cols.squeeze(0)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
         stride: Any = 1) -> Tensor:
    """``torch.nn.functional.fold``: (N, C·kh·kw, L) -> (N, C, H, W) (or unbatched (C·kh·kw, L) -> (C, H, W)),
    overlapping entries summed."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = f"{input.ndim}D" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got {got})")
    size = pair(output_size, "output_size", "fold", 1)
    k, d, p, s = _geometry("fold", kernel_size, dilation, padding, stride)
    cols = input if input.ndim == 3 else input.unsqueeze(0)
    n, ckk, length = cols.shape
    if ckk % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ckk} and kernel_size={k}.")
    out = _blocks("fold", size, k, d, p, s)
    if length != out[0] * out[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{out[0]} * {out[1]} = {out[0] * out[1]}, but got input.size(2)={length}.")
    c = ckk // (k[0] * k[1])
    taps = cols.reshape(n, c, k[0], k[1], out[0], out[1])
    index = (slice(None), slice(None), *_taps(k, d, s, out, cols.device))
    padded = IndexScatter.apply(taps, index, (n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]), False)
    y = padded[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]] if p != (0, 0) else padded
    return y if input.ndim == 3 else y.squeeze(0)
