"""torch's top-level twins of F functions whose signatures are F's (``torch.conv2d``, ``torch.max_pool2d`` ...):
called positionally as scripts call them, equal to torch's in float64 (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt

RNG = np.random.default_rng(0)
X4 = RNG.standard_normal((2, 4, 6, 6))
W = RNG.standard_normal((3, 4, 3, 3))
WT = RNG.standard_normal((4, 3, 3, 3))
B = RNG.standard_normal(3)
X3 = RNG.standard_normal((2, 4, 9))

CASES = {
    "conv2d": lambda lib, t: lib.conv2d(t(X4), t(W), t(B), 2, 1, 1, 1),
    "conv_transpose2d": lambda lib, t: lib.conv_transpose2d(t(X4), t(WT), None, 2, 1, 1, 1, 1),
    "max_pool2d": lambda lib, t: lib.max_pool2d(t(X4), 3, 2, 1, 1, True),
    "avg_pool1d": lambda lib, t: lib.avg_pool1d(t(X3), 3, 2, 1, True, False),
    "pixel_shuffle": lambda lib, t: lib.pixel_shuffle(t(X4), 2),
    "pixel_unshuffle": lambda lib, t: lib.pixel_unshuffle(t(X4), 2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_toplevel_twin_matches_torch(name: str) -> None:
    made: dict = {"torch": [], "mt": []}

    def leaf(lib_name: str, lib: object):
        def t(a: np.ndarray):
            x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
            made[lib_name].append(x)
            return x
        return t

    theirs = CASES[name](torch, leaf("torch", torch))
    ours = CASES[name](mt, leaf("mt", mt))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(tuple(theirs.shape))
    theirs.backward(torch.tensor(g))
    ours.backward(mt.tensor(g))
    for o, t in zip(made["mt"], made["torch"]):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
