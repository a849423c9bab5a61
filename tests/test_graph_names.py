"""The autograd graph reads as torch's: node names (``grad_fn.name()``) and ``next_functions`` of the same model's
loss, walked in both libraries and compared node by node, leaves by parameter name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _dual import Lib, dual

import minitorch_cnn as mt

RNG = np.random.default_rng(7)


def walk(fn: Any, leaves: dict) -> Any:
    """(name, [children]) down to the leaves (by name) and None for inputs that need no gradient."""
    if fn is None:
        return None
    if hasattr(fn, "variable"):
        assert fn.name() == "torch::autograd::AccumulateGrad"
        return leaves.get(id(fn.variable), "leaf")
    return (fn.name(), [walk(f, leaves) for f, _ in fn.next_functions])


def small_cnn_graph(lib: Lib, loss: str) -> Any:
    """conv -> batch norm -> relu -> max pool -> residual add -> avg pool -> dropout -> view -> linear ->
    log_softmax/cross_entropy -> nll -> mean: the loss graph, walked."""
    nn, F = lib.nn, lib.F

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.conv2 = nn.Conv2d(4, 4, 1, bias=False)
            self.drop = nn.Dropout(0.5)
            self.fc = nn.Linear(4 * 2 * 2, 3)
            self.head = nn.Linear(3, 3, bias=False)

        def forward(self, x: Any) -> Any:
            h = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
            h = F.adaptive_avg_pool2d(h + self.conv2(h), 2)
            h = self.drop(h).view(h.shape[0], -1)
            return self.head(self.fc(h).unsqueeze(1)).squeeze(1)

    net = lib.same_weights(Net().double())
    x = lib.tensor(RNG.standard_normal((2, 2, 8, 8)))
    y = lib.tensor([0, 2])
    out = net(x)
    value = F.nll_loss(F.log_softmax(out, dim=1), y) if loss == "nll" else F.cross_entropy(out, y)
    value = (value * 2).mean()
    return walk(value.grad_fn, {id(p): n for n, p in net.named_parameters()})


@pytest.mark.parametrize("loss", ["nll", "cross_entropy"])
def test_small_cnn_loss_graph_as_torch(loss: str) -> None:
    theirs, ours = dual(small_cnn_graph, loss)
    assert ours == theirs


@pytest.mark.parametrize("shape", [(3,), (2, 3), (5, 2, 3), (2, 2, 2, 3)])
@pytest.mark.parametrize("contiguous", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
def test_linear_graph_as_torch(shape: tuple, contiguous: bool, bias: bool, x_grad: bool) -> None:
    """torch's addmm(b, x, W.t()) (bias, input, TBackward0 order), mm without a bias, and the views, copies and
    squeezes its linear puts around other ranks and layouts."""
    x0 = RNG.standard_normal(shape if contiguous else shape[:-1] + (2 * shape[-1],))
    w0, b0 = RNG.standard_normal((4, 3)), RNG.standard_normal(4)
    graphs = []
    for lib in (torch, mt):
        x = lib.tensor(x0, requires_grad=x_grad)
        x = x if contiguous else x[..., ::2]
        w = lib.tensor(w0, requires_grad=True)
        b = lib.tensor(b0, requires_grad=True) if bias else None
        graphs.append(walk(lib.nn.functional.linear(x, w, b).grad_fn, {id(w): "w", id(b): "b"}))
    assert graphs[0] == graphs[1]


VIEWS = {
    "unsqueeze": lambda x: x.unsqueeze(0), "squeeze": lambda x: x.squeeze(), "squeeze_dim": lambda x: x.squeeze(1),
    "squeeze_dims": lambda x: x.squeeze((1,)), "transpose": lambda x: x.transpose(0, 2), "t": lambda x: x[:, 0].t(),
    "permute": lambda x: x.permute(2, 0, 1), "view": lambda x: x.view(6), "flatten": lambda x: x.flatten(1),
    "reshape_copy": lambda x: x.transpose(0, 2).reshape(-1), "reshape_alias": lambda x: x[..., ::2].reshape(2, 2),
}


@pytest.mark.parametrize("op", sorted(VIEWS))
def test_view_node_names_as_torch(op: str) -> None:
    x0 = RNG.standard_normal((2, 1, 3))
    names = []
    for lib in (torch, mt):
        x = lib.tensor(x0, requires_grad=True)
        names.append(walk(VIEWS[op](x).grad_fn, {id(x): "x"}))
    assert names[0] == names[1]


@pytest.mark.parametrize("expr", ["x * 2", "2 * x", "x + 1", "1 + x", "x - 1", "x / 2", "x * y", "y * x"])
def test_scalar_operand_edges_as_torch(expr: str) -> None:
    """A Python scalar is torch's wrapped number: listed as (None, 0), second, whichever side it was written."""
    graphs = []
    for lib in (torch, mt):
        x = lib.ones(2, 3, requires_grad=True)
        graphs.append(walk(eval(expr, {"x": x, "y": lib.ones(2, 3)}).grad_fn, {id(x): "x"}))
    assert graphs[0] == graphs[1]
