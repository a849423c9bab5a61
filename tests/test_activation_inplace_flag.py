"""``nn.ReLU(inplace=True)``, ``F.relu(x, inplace=True)``, the LeakyReLU pair and the MobileNets' ReLU6, Hardsigmoid
and Hardswish (module and functional) write into their input as torch's do: the returned tensor is the input,
aliases see the activation, the version counter moves, gradients are torch's, a leaf that requires grad refuses.
The style-transfer idiom that walks ``vgg.features`` and keeps each conv's output depends on it: the kept tensor is
the ReLU'd one in torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

RNG = np.random.default_rng(0)
X = 4 * RNG.standard_normal((3, 4))  # across ReLU6's and the hard activations' kinks at -3, 0, 3 and 6
G = RNG.standard_normal((3, 4))


def _modules(lib: Any) -> list:
    return [lambda x: lib.nn.ReLU(inplace=True)(x), lambda x: lib.nn.functional.relu(x, inplace=True),
            lambda x: lib.nn.LeakyReLU(0.2, inplace=True)(x),
            lambda x: lib.nn.functional.leaky_relu(x, 0.2, inplace=True),
            lambda x: lib.nn.ReLU6(inplace=True)(x), lambda x: lib.nn.functional.relu6(x, inplace=True),
            lambda x: lib.nn.Hardsigmoid(inplace=True)(x), lambda x: lib.nn.functional.hardsigmoid(x, True),
            lambda x: lib.nn.Hardswish(inplace=True)(x), lambda x: lib.nn.functional.hardswish(x, inplace=True)]


IDS = ["ReLU", "relu", "LeakyReLU", "leaky_relu", "ReLU6", "relu6", "Hardsigmoid", "hardsigmoid", "Hardswish",
       "hardswish"]


@pytest.mark.parametrize("k", range(len(IDS)), ids=IDS)
def test_writes_into_its_input_with_torchs_gradient(k: int) -> None:
    res = []
    for lib in (torch, mt):
        a = lib.tensor(X, requires_grad=True)
        h = a * 2.0
        alias = h.view(12)
        before = h._version
        y = _modules(lib)[k](h)
        assert y is h and h._version == before + 1
        y.backward(lib.tensor(G))
        res.append((alias.detach().numpy().copy(), h.detach().numpy().copy(), a.grad.numpy()))
    for ours, theirs in zip(res[1], res[0]):
        assert_close(ours, theirs, np.float64)


@pytest.mark.parametrize("k", range(len(IDS)), ids=IDS)
def test_leaf_refuses_and_no_grad_writes(k: int) -> None:
    for lib in (torch, mt):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            _modules(lib)[k](lib.tensor(X, requires_grad=True))
    t, o = torch.tensor(X), mt.tensor(X)
    with torch.no_grad():
        _modules(torch)[k](t)
    with mt.no_grad():
        assert _modules(mt)[k](o) is o
    assert_close(o.numpy(), t.numpy(), np.float64)


def test_kept_features_see_the_inplace_relu_as_torchs() -> None:
    """Walking ``features._modules`` and keeping the conv outputs (the neural-style scripts' VGGNet)."""
    x = RNG.standard_normal((1, 2, 6, 6))
    out = []
    for lib in (torch, mt):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.ReLU(inplace=True), lib.nn.Conv2d(3, 2, 3),
                                lib.nn.ReLU(inplace=True)).double()
        if lib is mt:
            net.load_state_dict({k: mt.tensor(v.numpy()) for k, v in out[0][2].items()})
        inp = lib.tensor(x, requires_grad=True)
        h, feats = inp, []
        for name, layer in net._modules.items():
            h = layer(h)
            if name in ("0", "2"):
                feats.append(h)
        loss = sum((f ** 2).sum() for f in feats)
        loss.backward()
        out.append(([f.detach().numpy().copy() for f in feats], inp.grad.numpy(), net.state_dict()))
    assert (out[0][0][0] >= 0).all()  # torch's kept conv output is the ReLU'd one
    for ours, theirs in zip(out[1][0], out[0][0]):
        assert_close(ours, theirs, np.float64)
    assert_close(out[1][1], out[0][1], np.float64)


def test_repr_and_default_stay_out_of_place() -> None:
    assert repr(mt.nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True))
    assert repr(mt.nn.LeakyReLU(0.2, True)) == repr(torch.nn.LeakyReLU(0.2, True))
    assert repr(mt.nn.ReLU6(inplace=True)) == repr(torch.nn.ReLU6(inplace=True))
    h = mt.tensor(X)
    y = mt.nn.ReLU()(h)
    assert y is not h and np.array_equal(h.numpy(), X)
