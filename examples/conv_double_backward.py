"""A convolution's double backward is made of convolutions: shown on the graph, then checked against torch.

y = conv2d(x, W). Its backward gives two gradients, each bilinear:
    dx = conv_transpose2d(g, W)             (the adjoint of the convolution in x)
    dW = conv2d_weight(x, g)                (the weight-gradient convolution: x correlated with g)
With create_graph=True they are nodes of the graph (ConvInputGrad, ConvWeightGrad), so a second backward runs
through them. Differentiating s = ⟨dx, v⟩ (v: a direction in x's shape) gives
    ds/dg = conv2d(v, W)                    the forward convolution again
    ds/dW = conv2d_weight(v, g)             the weight-gradient convolution again
and ⟨dW, K⟩ (K in W's shape) gives ds/dx = conv_transpose2d(g, K), ds/dg = conv2d(x, K). Three convolutions, closed
under differentiation: every order of derivative is made of them.

Run: python examples/conv_double_backward.py   (exit status 0 when every check passes)
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from torch.nn.grad import conv2d_weight

import minitorch_cnn as mt

STRIDE, PADDING = 2, 1


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def main() -> int:
    rng = np.random.default_rng(0)
    x_np, w_np = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    x, w = mt.tensor(x_np, requires_grad=True), mt.tensor(w_np, requires_grad=True)
    y = mt.nn.functional.conv2d(x, w, stride=STRIDE, padding=PADDING)
    g = mt.tensor(rng.standard_normal(tuple(y.shape)), requires_grad=True)  # the upstream gradient, a variable too
    dx, dw = mt.autograd.grad(y, (x, w), grad_outputs=g, create_graph=True)
    print("1. the first backward, recorded (create_graph=True):")
    print("   dx:", dx.grad_fn, " dW:", dw.grad_fn)

    v, k = rng.standard_normal(x_np.shape), rng.standard_normal(w_np.shape)
    s = (dx * mt.tensor(v)).sum() + (dw * mt.tensor(k)).sum()
    print("2. the graph of s = <dx, v> + <dW, K>: its backward nodes are convolutions and their adjoints")
    print("\n".join("   " + line for line in mt.viz.graph(s, {"x": x, "W": w, "g": g}).text().splitlines()))
    ds_dx, ds_dw, ds_dg = mt.autograd.grad(s, (x, w, g))

    tx, tw, tg = (torch.tensor(a) for a in (x_np, w_np, g.detach().numpy()))
    tv, tk = torch.tensor(v), torch.tensor(k)
    op = (x_np.shape[2] + 2 * PADDING - 3) % STRIDE, (x_np.shape[3] + 2 * PADDING - 3) % STRIDE
    by_convs = {
        "dx = conv_transpose2d(g, W)": (dx, torch.nn.functional.conv_transpose2d(
            tg, tw, stride=STRIDE, padding=PADDING, output_padding=op)),
        "dW = conv2d_weight(x, g)": (dw, conv2d_weight(tx, tw.shape, tg, stride=STRIDE, padding=PADDING)),
        "ds/dg = conv2d(v, W) + conv2d(x, K)": (ds_dg, torch.nn.functional.conv2d(tv, tw, stride=STRIDE,
                                                                                   padding=PADDING)
                                                + torch.nn.functional.conv2d(tx, tk, stride=STRIDE, padding=PADDING)),
        "ds/dW = conv2d_weight(v, g)": (ds_dw, conv2d_weight(tv, tw.shape, tg, stride=STRIDE, padding=PADDING)),
        "ds/dx = conv_transpose2d(g, K)": (ds_dx, torch.nn.functional.conv_transpose2d(
            tg, tk, stride=STRIDE, padding=PADDING, output_padding=op)),
    }
    print("3. each derivative against the torch convolution that the algebra says it is (float64):")
    ok = True
    for name, (ours, theirs) in by_convs.items():
        err = rel_err(ours.detach().numpy(), theirs.numpy())
        ok &= err < 1e-12
        print(f"   {name:40s} rel. error {err:.1e}")

    tx.requires_grad_(True)
    tw.requires_grad_(True)
    tg.requires_grad_(True)
    ty = torch.nn.functional.conv2d(tx, tw, stride=STRIDE, padding=PADDING)
    tdx, tdw = torch.autograd.grad(ty, (tx, tw), grad_outputs=tg, create_graph=True)
    ts = (tdx * tv).sum() + (tdw * tk).sum()
    err = max(rel_err(a.detach().numpy(), b.numpy())
              for a, b in zip((ds_dx, ds_dw, ds_dg), torch.autograd.grad(ts, (tx, tw, tg))))
    ok &= err < 1e-12
    print(f"4. against torch's own double backward: worst rel. error {err:.1e}")
    print("the double backward is made of convolutions" if ok else "a check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
