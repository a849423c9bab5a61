"""Write your own differentiable op and check its backward, with finite differences and against torch.

A ``Function`` gets raw arrays (NumPy here, CuPy on a GPU) in ``forward`` and the upstream gradient in
``backward``; what forward stores on ``self`` is what backward reads. ``gradcheck`` compares backward with
central differences in float64, independently of torch. A wrong backward is caught, as shown at the end.
For second derivatives (``create_graph=True``, ``gradgradcheck``) a Function also writes ``backward_graph``: the
same derivative in Tensor ops, so the gradient it returns has a graph of its own; without one, differentiating
twice raises, naming the Function.

Run: python examples/custom_function.py   (exit status 0 when every check passes)
"""

from __future__ import annotations

import sys

import numpy as np
import torch

import minitorch_cnn as mt
from minitorch_cnn.autograd import GradcheckError, gradcheck, gradgradcheck


class Swish(mt.Function):
    """y = x · σ(x)  (torch's SiLU);  dy/dx = σ(x) + y · (1 − σ(x)).  x: any shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        s = 1.0 / (1.0 + np.exp(-x))
        self.s, self.y = s, x * s
        return self.y

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * (self.s + self.y * (1.0 - self.s))


class TwiceSwish(Swish):
    """Swish with its backward also written in Tensor ops: differentiable twice."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return super().forward(x)

    def backward_graph(self, g: mt.Tensor) -> mt.Tensor:
        x = self.input_tensor(0, self.x)  # x as a Tensor in the graph, so the result differentiates through it
        s = x.sigmoid()
        return g * (s + x * s * (1.0 - s))


class WrongSwish(Swish):
    """The same forward with a classic mistake in backward: the product rule's second term is missing."""

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self.s


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def main() -> int:
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((4, 5)) * 3
    g_np = rng.standard_normal((4, 5))  # a random upstream gradient, not .sum(): every element counts

    x = mt.tensor(x_np, requires_grad=True)
    print("1. finite differences: gradcheck(Swish.apply, [x]) ->", gradcheck(Swish.apply, [x]))

    y = Swish.apply(x)
    y.backward(mt.tensor(g_np))
    xt = torch.tensor(x_np, requires_grad=True)
    yt = torch.nn.functional.silu(xt)
    yt.backward(torch.tensor(g_np))
    fwd, bwd = rel_err(y.detach().numpy(), yt.detach().numpy()), rel_err(x.grad.numpy(), xt.grad.numpy())
    print(f"2. against torch.nn.functional.silu (float64): forward rel. error {fwd:.2e}, backward {bwd:.2e}")
    ok = fwd < 1e-12 and bwd < 1e-12

    try:
        gradcheck(WrongSwish.apply, [mt.tensor(x_np, requires_grad=True)])
        print("3. a wrong backward was NOT caught: something is off")
        ok = False
    except GradcheckError as exc:
        print(f"3. a wrong backward is caught:\n   {exc}")

    try:
        gradgradcheck(Swish.apply, [x])
        ok = False
    except RuntimeError as exc:
        print(f"4. without backward_graph, differentiating twice names the Function:\n   {exc}")
    print("5. with backward_graph: gradgradcheck(TwiceSwish.apply, [x]) ->", gradgradcheck(TwiceSwish.apply, [x]))

    print("all checks passed" if ok else "a check FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
