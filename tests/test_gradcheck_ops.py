"""Finite differences (``mt.autograd.gradcheck``, float64, central) against every op's backward, independent of torch.

Inputs stay away from kinks (relu at 0, abs at 0, ties of max/min, clamp bounds) where the derivative
is not defined and central differences straddle two slopes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minitorch_cnn as mt
from minitorch_cnn.autograd import GradcheckError, gradcheck
from minitorch_cnn.ops import elementwise as ew


def _leaf(shape: tuple, domain: str, rng: np.random.Generator, transposed: bool = False) -> mt.Tensor:
    if domain == "pos":
        arr = rng.uniform(0.5, 2.0, shape)
    elif domain == "away":  # |x| ≥ 0.2: no kink of relu/abs/clamp within eps
        arr = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)
    else:
        arr = rng.standard_normal(shape)
    arr = np.asarray(arr, dtype=np.float64)
    if transposed and arr.ndim >= 2:
        arr = np.asfortranarray(arr)  # a non-contiguous leaf: gradcheck must perturb it in place correctly
    return mt.from_numpy(arr).requires_grad_(True)


# name: (fn, [(shape, domain), ...])
OPS: dict[str, tuple[Callable, list]] = {
    "add_bcast": (lambda a, b: a + b, [((3, 4), "any"), ((4,), "any")]),
    "sub_alpha": (lambda a, b: mt.sub(a, b, alpha=2.0), [((2, 3), "any"), ((2, 1), "any")]),
    "mul_bcast": (lambda a, b: a * b, [((2, 1, 3), "any"), ((4, 1), "any")]),
    "div": (lambda a, b: a / b, [((3, 4), "any"), ((3, 4), "away")]),
    "rdiv_scalar": (lambda a: 2.0 / a, [((3, 4), "away")]),
    "neg": (lambda a: -a, [((3, 4), "any")]),
    "pow_tensor": (lambda a, b: a**b, [((3, 4), "pos"), ((4,), "any")]),
    "pow_scalar": (lambda a: a**3, [((3, 4), "any")]),
    "rpow": (lambda a: 1.5**a, [((3, 4), "any")]),
    "exp": (lambda a: a.exp(), [((3, 4), "any")]),
    "log": (lambda a: a.log(), [((3, 4), "pos")]),
    "sqrt": (lambda a: a.sqrt(), [((3, 4), "pos")]),
    "abs": (lambda a: a.abs(), [((3, 4), "away")]),
    "relu": (lambda a: a.relu(), [((3, 4), "away")]),
    "sigmoid": (lambda a: a.sigmoid(), [((3, 4), "any")]),
    "tanh": (lambda a: a.tanh(), [((3, 4), "any")]),
    "leaky_relu": (lambda a: ew.leaky_relu(a, 0.1), [((3, 4), "away")]),
    "clamp": (lambda a: a.clamp(-0.1, 0.1), [((3, 4), "away")]),
    "where": (lambda a, b: mt.where(a.detach() > 0, a, b), [((3, 4), "away"), ((4,), "any")]),
    "maximum": (lambda a, b: mt.maximum(a, b), [((3, 4), "any"), ((3, 4), "any")]),
    "minimum": (lambda a, b: mt.minimum(a, b), [((3, 4), "any"), ((4,), "any")]),
    "sum_dim": (lambda a: a.sum(dim=(0, 2), keepdim=True), [((2, 3, 2), "any")]),
    "sum_all": (lambda a: a.sum(), [((3, 4), "any")]),
    "mean_dim": (lambda a: a.mean(1), [((3, 4), "any")]),
    "max_all": (lambda a: a.max(), [((3, 4), "any")]),
    "max_dim": (lambda a: a.max(1)[0], [((3, 4), "any")]),
    "min_dim_keepdim": (lambda a: a.min(0, keepdim=True).values, [((3, 4), "any")]),
    "amax": (lambda a: mt.amax(a, (0, 1)), [((3, 4), "any")]),
    "amin": (lambda a: mt.amin(a, -1, keepdim=True), [((3, 4), "any")]),
    "var": (lambda a: a.var(1), [((3, 4), "any")]),
    "var_correction0": (lambda a: a.var(dim=0, correction=0), [((3, 4), "any")]),
    "std": (lambda a: a.std(), [((3, 4), "any")]),
    "std_unbiased_false": (lambda a: a.std(1, unbiased=False, keepdim=True), [((3, 4), "any")]),
    "softmax": (lambda a: a.softmax(1), [((3, 4), "any")]),
    "log_softmax": (lambda a: a.log_softmax(0), [((3, 4), "any")]),
    "matmul_2d": (lambda a, b: a @ b, [((3, 4), "any"), ((4, 2), "any")]),
    "matmul_1d_1d": (lambda a, b: a @ b, [((4,), "any"), ((4,), "any")]),
    "matmul_1d_2d": (lambda a, b: a @ b, [((4,), "any"), ((4, 3), "any")]),
    "matmul_batched_bcast": (lambda a, b: a @ b, [((2, 1, 2, 3), "any"), ((3, 3, 2), "any")]),
    "reshape": (lambda a: a.reshape(2, -1) * 1.0, [((3, 4), "any")]),
    "view": (lambda a: a.contiguous().view(4, 3), [((3, 4), "any")]),
    "flatten": (lambda a: a.flatten(1), [((2, 2, 3), "any")]),
    "permute": (lambda a: a.permute(2, 0, 1), [((2, 2, 3), "any")]),
    "transpose": (lambda a: a.transpose(0, 1), [((3, 4), "any")]),
    "T": (lambda a: a.T, [((3, 4), "any")]),
    "squeeze_unsqueeze": (lambda a: a.unsqueeze(0).squeeze(2), [((3, 1, 4), "any")]),
    "expand": (lambda a: a.expand(2, 3, 4), [((3, 1), "any")]),
    "contiguous": (lambda a: a.T.contiguous(), [((3, 4), "any")]),
    "cat": (lambda a, b: mt.cat([a, b, a], 1), [((2, 3), "any"), ((2, 1), "any")]),
    "stack": (lambda a, b: mt.stack([a, b], -1), [((2, 3), "any"), ((2, 3), "any")]),
    "split": (lambda a: a.split([1, 3], dim=1), [((2, 4), "any")]),
    "chunk": (lambda a: a.chunk(2), [((5, 2), "any")]),
    "pad": (lambda a: mt.pad(a, (1, -1, 2, 0), value=3.0), [((3, 4), "any")]),
    "index_basic": (lambda a: a[1:, None, ::2], [((3, 4), "any")]),
    "index_int_array_repeats": (lambda a: a[[0, 2, 0, 0]], [((3, 4), "any")]),
    "index_two_arrays": (lambda a: a[[0, 1, 1], [3, 3, 0]], [((3, 4), "any")]),
    "index_bool_mask": (lambda a: a[a.detach() > 0], [((3, 4), "any")]),
    "index_ellipsis": (lambda a: a[..., [1, 1]], [((2, 3, 2), "any")]),
    "clone": (lambda a: a.clone(), [((3, 4), "any")]),
}


@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck_op(name: str) -> None:
    fn, specs = OPS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    inputs = [_leaf(shape, domain, rng, transposed=(i == 0)) for i, (shape, domain) in enumerate(specs)]
    assert gradcheck(fn, inputs)


class _WrongSquare(mt.Function):
    """x² with a deliberately wrong backward (3x instead of 2x)."""

    def forward(self, x: Any) -> Any:
        self.x = x
        return x * x

    def backward(self, g: Any) -> Any:
        return g * 3 * self.x


def test_gradcheck_fails_naming_the_worst_element() -> None:
    x = mt.tensor([[0.1, -0.2, 0.3], [2.0, 0.5, -0.4]], dtype=mt.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(_WrongSquare.apply, [x])
    msg = str(info.value)
    assert "input 0" in msg and "shape (2, 3)" in msg
    # |error| = |v| · |x|: the worst element is where |x · v| is largest, with v gradcheck's fixed upstream grad
    v = np.random.default_rng(0).standard_normal((2, 3))
    worst = np.unravel_index(np.argmax(np.abs(x.detach().numpy() * v)), (2, 3))
    assert f"worst element {tuple(int(i) for i in worst)}" in msg
    assert "analytic" in msg and "numeric" in msg


def test_gradcheck_returns_false_without_raising() -> None:
    x = mt.tensor([1.0, 2.0], dtype=mt.float64, requires_grad=True)
    assert gradcheck(_WrongSquare.apply, [x], raise_exception=False) is False


def test_gradcheck_refuses_float32_inputs() -> None:
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda a: a * 2, [mt.ones(2, requires_grad=True)])
