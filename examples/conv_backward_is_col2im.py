"""A convolution's backward is a col2im of the column gradient: shown by hand, then checked against torch.

im2col lays every receptive field of x (N, C, H, W) out as a column: cols (C·kh·kw, N·OH·OW). The convolution
is then one matrix product, Y = W_mat @ cols with W_mat (O, C·kh·kw). Backward of a matrix product:
    dW_mat = dY @ colsᵀ,          dcols = W_matᵀ @ dY
and dcols must be sent back to the pixels the columns were copied from. Each pixel appears in up to kh·kw
columns, so its gradient is the SUM of those entries: that scatter-add is exactly col2im, the adjoint of
im2col (⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, checked below). So: conv backward = col2im(W_matᵀ @ dY).

Run: python examples/conv_backward_is_col2im.py   (exit status 0 when every check passes)
"""

from __future__ import annotations

import sys

import numpy as np
import torch

import minitorch_cnn as mt
from minitorch_cnn import kernels

STRIDE, PADDING, DILATION = (2, 1), (1, 2), (1, 1)


def out_size(h: int, w: int, k: tuple[int, int]) -> tuple[int, int]:
    return tuple(
        (n + 2 * p - d * (kk - 1) - 1) // s + 1 for n, kk, s, p, d in zip((h, w), k, STRIDE, PADDING, DILATION)
    )


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def conv_by_hand(x: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
    """Forward and backward of conv2d (no bias) through im2col / col2im: (y, dx, dw)."""
    im2col, col2im = kernels.get("im2col", x), kernels.get("col2im", x)
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = out_size(h, wd, (kh, kw))
    cols = im2col(x, (kh, kw), STRIDE, PADDING, DILATION, (oh, ow))  # (C·kh·kw, N·OH·OW)
    w_mat = w.reshape(o, -1)  # (O, C·kh·kw)
    y = (w_mat @ cols).reshape(o, n, oh, ow).transpose(1, 0, 2, 3)  # (N, O, OH, OW)
    g_mat = g.transpose(1, 0, 2, 3).reshape(o, -1)  # dY as (O, N·OH·OW)
    dw = (g_mat @ cols.T).reshape(w.shape)
    dcols = w_mat.T @ g_mat  # (C·kh·kw, N·OH·OW): the gradient of every column entry
    dx = col2im(dcols, x.shape, (kh, kw), STRIDE, PADDING, DILATION, (oh, ow))  # scatter-add back to pixels
    return y, dx, dw


def main() -> int:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8))
    w = rng.standard_normal((4, 3, 3, 3))
    oh, ow = out_size(9, 8, (3, 3))
    g = rng.standard_normal((2, 4, oh, ow))  # a random upstream gradient dL/dY

    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, wt, stride=STRIDE, padding=PADDING, dilation=DILATION)
    yt.backward(torch.tensor(g))

    ok = True
    print(f"conv2d x {x.shape}, w {w.shape}, stride {STRIDE}, padding {PADDING}: relative error against torch")
    for path in kernels.available("cpu"):
        with kernels.use_kernels(path):
            y, dx, dw = conv_by_hand(x, w, g)
            cols_shape = (3 * 9, 2 * oh * ow)
            c = rng.standard_normal(cols_shape)
            lhs = float(np.sum(kernels.get("im2col", x)(x, (3, 3), STRIDE, PADDING, DILATION, (oh, ow)) * c))
            rhs = float(np.sum(x * kernels.get("col2im", c)(c, x.shape, (3, 3), STRIDE, PADDING, DILATION, (oh, ow))))
        errs = (rel_err(y, yt.detach().numpy()), rel_err(dx, xt.grad.numpy()), rel_err(dw, wt.grad.numpy()))
        adjoint = abs(lhs - rhs) / abs(rhs)
        print(f"  {path} kernels: forward {errs[0]:.1e}, dL/dx = col2im(W_matᵀ dY) {errs[1]:.1e}, "
              f"dL/dW = dY colsᵀ {errs[2]:.1e};  |<im2col(x), c> - <x, col2im(c)>| / |.| = {adjoint:.1e}")
        ok = ok and max(errs) < 1e-12 and adjoint < 1e-12

    xm, wm = mt.tensor(x, requires_grad=True), mt.tensor(w, requires_grad=True)
    mt.nn.functional.conv2d(xm, wm, stride=STRIDE, padding=PADDING, dilation=DILATION).backward(mt.tensor(g))
    errs = (rel_err(xm.grad.numpy(), xt.grad.numpy()), rel_err(wm.grad.numpy(), wt.grad.numpy()))
    print(f"  mt.nn.functional.conv2d autograd: dL/dx {errs[0]:.1e}, dL/dW {errs[1]:.1e}")
    ok = ok and max(errs) < 1e-12

    print("all checks passed" if ok else "a check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
