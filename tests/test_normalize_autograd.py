"""transforms.Normalize / F.normalize on a tensor that requires grad is differentiable, as torchvision's (a clone's
``sub_``/``div_``): the idiom that puts Normalize in front of a model (``nn.Sequential(Normalize(...), net)``) so
gradients reach the raw pixels (adversarial examples, saliency, the style-transfer denorm of the optimised image)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from _parity import assert_close

import minitorch_cnn as mt
import minitorch_cnn.vision.transforms as MT
import minitorch_cnn.vision.transforms.functional as MF

RNG = np.random.default_rng(0)
X, G = RNG.standard_normal((2, 3, 4, 4)), RNG.standard_normal((2, 3, 4, 4))
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("use_class", [True, False])
def test_gradient_reaches_the_input_as_torchs(inplace: bool, use_class: bool) -> None:
    res = []
    for lib, tr, fn in ((torch, T, TF), (mt, MT, MF)):
        a = lib.tensor(X, requires_grad=True)
        h = a * 1.0 if inplace else a  # in place needs a non-leaf, as in torch
        y = tr.Normalize(MEAN, STD, inplace)(h) if use_class else fn.normalize(h, MEAN, STD, inplace)
        assert (y is h) == inplace and y.requires_grad and y.grad_fn.name() == "DivBackward0"
        y.backward(lib.tensor(G))
        res.append((y.detach().numpy(), a.grad.numpy()))
    for ours, theirs in zip(res[1], res[0]):
        assert_close(ours, theirs, np.float64)


def test_normalize_in_front_of_a_model() -> None:
    """(torchvision's transforms are nn.Modules and go inside nn.Sequential; ours are not: called before it here.)"""
    res = []
    for lib, tr in ((torch, T), (mt, MT)):
        lib.manual_seed(0)
        norm = tr.Normalize(MEAN, STD)
        net = lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(48, 3)).double()
        if lib is mt:
            net.load_state_dict({k: mt.tensor(v.numpy()) for k, v in res[0][2].items()})
        x = lib.tensor(X, requires_grad=True)
        net(norm(x)).backward(lib.tensor(G[:, 0, 0, :3]))
        res.append((x.grad.numpy(), None, net.state_dict()))
    assert_close(res[1][0], res[0][0], np.float64)


def test_leaf_in_place_refuses_and_no_grad_stays_out_of_the_graph() -> None:
    for lib, tr in ((torch, T), (mt, MT)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            tr.Normalize(MEAN, STD, inplace=True)(lib.tensor(X, requires_grad=True))
        with lib.no_grad():
            y = tr.Normalize(MEAN, STD)(lib.tensor(X, requires_grad=True))
        assert not y.requires_grad and y.grad_fn is None
