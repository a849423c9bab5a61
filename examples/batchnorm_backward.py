"""BatchNorm's backward, four ways: the closed form on paper, our BatchNorm Function, autograd through
elementary ops, and torch. They agree to float64 rounding; dropping a term of the closed form does not.

Training-mode batch norm, per channel c over the n = N·H·W values of x (N, C, H, W):
    μ = mean(x),  σ² = mean((x − μ)²)  (biased),  x̂ = (x − μ) / √(σ² + eps),  y = γ x̂ + β
Given the upstream gradient g = dL/dy, the chain rule through μ and σ² (both depend on every x) collapses to
    dL/dx = γ / √(σ² + eps) · (g − mean(g) − x̂ · mean(g · x̂)),   dL/dγ = Σ g x̂,   dL/dβ = Σ g
(means and sums per channel). The mean(g) term is what μ's dependence on x contributes, x̂ · mean(g x̂) is σ²'s.

Run: python examples/batchnorm_backward.py   (exit status 0 when every check passes)
"""

from __future__ import annotations

import sys

import numpy as np
import torch

import minitorch_cnn as mt

EPS = 1e-5
AXES = (0, 2, 3)  # every axis but the channel one


def closed_form(x: np.ndarray, gamma: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
    """The formula above in NumPy: (dx, dgamma, dbeta)."""
    mu = x.mean(axis=AXES, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=AXES, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + EPS)
    x_hat = (x - mu) * inv_std
    gam = gamma.reshape(1, -1, 1, 1)
    dx = gam * inv_std * (g - g.mean(axis=AXES, keepdims=True) - x_hat * (g * x_hat).mean(axis=AXES, keepdims=True))
    return dx, (g * x_hat).sum(axis=AXES), g.sum(axis=AXES)


def elementary(x: mt.Tensor, gamma: mt.Tensor, beta: mt.Tensor) -> mt.Tensor:
    """Batch norm written with mean, subtraction, sqrt and division: autograd derives the backward itself."""
    mu = x.mean(dim=AXES, keepdim=True)
    var = ((x - mu) * (x - mu)).mean(dim=AXES, keepdim=True)
    x_hat = (x - mu) / (var + EPS).sqrt()
    return x_hat * gamma.view(1, -1, 1, 1) + beta.view(1, -1, 1, 1)


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def main() -> int:
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((8, 3, 5, 5)) * 2 + 1
    gamma_np, beta_np = rng.standard_normal(3), rng.standard_normal(3)
    g_np = rng.standard_normal(x_np.shape)  # a random upstream gradient: every element of dL/dy counts

    results = {"closed form (NumPy)": closed_form(x_np, gamma_np, g_np)}

    for label, fn in (
        ("mt F.batch_norm (BatchNorm Function)", lambda x, w, b: mt.nn.functional.batch_norm(
            x, None, None, w, b, training=True, eps=EPS)),
        ("mt autograd through elementary ops", elementary),
    ):
        x, w, b = (mt.tensor(a, requires_grad=True) for a in (x_np, gamma_np, beta_np))
        fn(x, w, b).backward(mt.tensor(g_np))
        results[label] = (x.grad.numpy(), w.grad.numpy(), b.grad.numpy())

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x_np, gamma_np, beta_np))
    torch.nn.functional.batch_norm(xt, None, None, wt, bt, training=True, eps=EPS).backward(torch.tensor(g_np))
    reference = (xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy())

    print("relative error against torch (float64), x (8, 3, 5, 5):")
    print(f"  {'':<38} {'dL/dx':>9} {'dL/dγ':>9} {'dL/dβ':>9}")
    ok = True
    for label, grads in results.items():
        errs = [rel_err(a, r) for a, r in zip(grads, reference)]
        ok = ok and max(errs) < 1e-12
        print(f"  {label:<38} " + " ".join(f"{e:9.1e}" for e in errs))

    # what the mean(g) term is worth: leave it out and dL/dx is visibly wrong
    mu = x_np.mean(axis=AXES, keepdims=True)
    inv_std = 1.0 / np.sqrt(((x_np - mu) ** 2).mean(axis=AXES, keepdims=True) + EPS)
    x_hat = (x_np - mu) * inv_std
    no_mean = gamma_np.reshape(1, -1, 1, 1) * inv_std * (
        g_np - x_hat * (g_np * x_hat).mean(axis=AXES, keepdims=True))
    missing = rel_err(no_mean, reference[0])
    print(f"  closed form WITHOUT the mean(g) term   {missing:9.1e}   <- the term is not optional")
    ok = ok and missing > 1e-3

    print("all checks passed" if ok else "a check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
