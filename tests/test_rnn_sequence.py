"""The whole-sequence LSTM and GRU nodes (``ops/rnn_sequence.py``) against torch, float64: longer packed sequences
of uneven lengths through two bidirectional layers (with and without LSTM's projection and biases), outputs,
final states and the gradients of the input, the initial states and every weight under random upstream
gradients, with the reference step maths and the compiled one; second order through the node (its
``backward_graph``) with packed input, projection and given initial states; one node per direction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64
INPUT, HIDDEN = 3, 5
LENGTHS = [9, 4, 9, 1, 6]  # unsorted, with ties: the batch shrinks unevenly through the steps
CASES = [("LSTM", {}), ("LSTM", {"proj_size": 2}), ("LSTM", {"bias": False}), ("GRU", {}), ("GRU", {"bias": False})]


def _pair(kind: str, kwargs: dict) -> tuple:
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(INPUT, HIDDEN, num_layers=2, bidirectional=True, **kwargs).double()
    ours = getattr(mt.nn, kind)(INPUT, HIDDEN, num_layers=2, bidirectional=True, **kwargs).to(mt.float64)
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _inputs(kind: str, kwargs: dict, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    batch, steps = len(LENGTHS), max(LENGTHS)
    x = rng.standard_normal((steps, batch, INPUT))
    out_size = kwargs.get("proj_size") or HIDDEN
    states = [rng.standard_normal((4, batch, out_size))] + ([rng.standard_normal((4, batch, HIDDEN))]
                                                              if kind == "LSTM" else [])
    return rng, x, states, out_size


def _forward(lib: object, layer: object, x: np.ndarray, states: list) -> tuple:
    xs = lib.tensor(x, requires_grad=True)
    hs = [lib.tensor(s, requires_grad=True) for s in states]
    packed = lib.nn.utils.rnn.pack_padded_sequence(xs, LENGTHS, enforce_sorted=False)
    out, h_n = layer(packed, tuple(hs) if len(hs) == 2 else hs[0])
    padded, _ = lib.nn.utils.rnn.pad_packed_sequence(out)
    finals = list(h_n) if isinstance(h_n, tuple) else [h_n]
    return xs, hs, padded, finals


@pytest.mark.parametrize("kernels", ["numpy", "numba"])
@pytest.mark.parametrize("kind,kwargs", CASES, ids=lambda v: v if isinstance(v, str) else str(v))
def test_packed_two_layer_bidirectional_matches_torch(kind: str, kwargs: dict, kernels: str) -> None:
    """The reference step maths and the compiled one (``kernels.numba_kernels.rnn_cells``)."""
    ours, theirs = _pair(kind, kwargs)
    rng, x, states, out_size = _inputs(kind, kwargs, 1)
    g_out = rng.standard_normal((max(LENGTHS), len(LENGTHS), 2 * out_size))
    g_states = [rng.standard_normal(s.shape) for s in states]
    res = []
    for lib, layer in ((mt, ours), (torch, theirs)):
        with mt.kernels.use_kernels(kernels):
            xs, hs, padded, finals = _forward(lib, layer, x, states)
            wrt = [xs, *hs, *layer.parameters()]
            grads = lib.autograd.grad([padded, *finals], wrt, [lib.tensor(g) for g in [g_out, *g_states]])
        res.append([padded, *finals, *grads])
    names = ["out"] + [f"final{k}" for k in range(len(states))] + ["dx"] + [f"dh{k}" for k in range(len(states))]
    names += [n for n, _ in ours.named_parameters()]
    for name, a, b in zip(names, *res, strict=True):
        assert_close(a, b, F64, what=name)


@pytest.mark.parametrize("kind,kwargs", [CASES[1], CASES[3]], ids=["LSTM-proj", "GRU"])
def test_second_order_through_the_sequence_node_matches_torch(kind: str, kwargs: dict) -> None:
    """d/d(θ, x, h0) of <∂(out·g)/∂(x, h0), v>, packed input and given initial states."""
    ours, theirs = _pair(kind, kwargs)
    rng, x, states, out_size = _inputs(kind, kwargs, 2)
    g = rng.standard_normal((max(LENGTHS), len(LENGTHS), 2 * out_size))
    vs = [rng.standard_normal(x.shape)] + [rng.standard_normal(s.shape) for s in states]
    res = []
    for lib, layer in ((mt, ours), (torch, theirs)):
        xs, hs, padded, _ = _forward(lib, layer, x, states)
        firsts = lib.autograd.grad(padded, [xs, *hs], lib.tensor(g), create_graph=True)
        total = sum((d * lib.tensor(v)).sum() for d, v in zip(firsts, vs))
        res.append(lib.autograd.grad(total, [xs, *hs, *layer.parameters()], allow_unused=True,
                                     materialize_grads=True))
    for k, (a, b) in enumerate(zip(*res, strict=True)):
        assert_close(a, b, F64, what=f"second-order grad {k}")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_one_node_per_direction(kind: str) -> None:
    """The layer's graph holds one sequence node per layer and direction, however long the sequence."""
    layer = getattr(mt.nn, kind)(INPUT, HIDDEN, num_layers=2, bidirectional=True)
    out, _ = layer(mt.randn(12, 2, INPUT))
    seen, stack, nodes = set(), [out.grad_fn], 0
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        nodes += type(node).__name__ == f"{kind}Sequence"
        stack.extend(fn for fn, _ in node.next_functions)
    assert nodes == 4
