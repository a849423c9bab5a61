"""RNNCell, LSTMCell and GRUCell against torch's, torch's weights copied in: the next state(s) and every gradient
under random upstream gradients, batched and unbatched, with and without bias and initial state; float32 against
the float64 truth; torch's errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

F64 = np.float64
BATCH, HIDDEN, INPUT = 3, 4, 3
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {})]


def _pair(kind: str, kwargs: dict, dtype: type = F64) -> tuple:
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(INPUT, HIDDEN, **kwargs).to(torch.float64 if dtype == F64 else torch.float32)
    ours = getattr(mt.nn, kind)(INPUT, HIDDEN, **kwargs).to(mt.float64 if dtype == F64 else mt.float32)
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _run(cell: object, lib: object, x: np.ndarray, states: list | None, grads: list, dtype: type = F64) -> dict:
    xs = lib.tensor(x.astype(dtype), requires_grad=True)
    hs = None if states is None else [lib.tensor(s.astype(dtype), requires_grad=True) for s in states]
    out = cell(xs, None if hs is None else (tuple(hs) if len(hs) == 2 else hs[0]))
    outs = list(out) if isinstance(out, tuple) else [out]
    names = [n for n, _ in cell.named_parameters()]
    got = lib.autograd.grad(outs, [xs] + list(cell.parameters()) + (hs or []),
                            [lib.tensor(g.astype(dtype)) for g in grads])
    return {**{f"out{i}": o for i, o in enumerate(outs)}, "dx": got[0],
            **{"d" + n: g for n, g in zip(names, got[1:])},
            **{f"dh{i}": g for i, g in enumerate(got[1 + len(names):])}}


@pytest.mark.parametrize("kind,extra,bias,given,batched",
                         [(k, e, b, g, bt) for (k, e), b, g, bt in itertools.product(CELLS, (True, False),
                                                                                     (True, False), (True, False))])
def test_cell_float64_matches_torch(kind: str, extra: dict, bias: bool, given: bool, batched: bool) -> None:
    ours, theirs = _pair(kind, dict(extra, bias=bias))
    rng = np.random.default_rng(0)
    lead = (BATCH,) if batched else ()
    n = 2 if kind == "LSTMCell" else 1
    x = rng.standard_normal(lead + (INPUT,))
    states = [rng.standard_normal(lead + (HIDDEN,)) for _ in range(n)] if given else None
    grads = [rng.standard_normal(lead + (HIDDEN,)) for _ in range(n)]
    a, b = _run(ours, mt, x, states, grads), _run(theirs, torch, x, states, grads)
    assert a.keys() == b.keys()
    for k in b:
        assert tuple(a[k].shape) == tuple(b[k].shape), k
        assert_close(a[k], b[k], F64, what=k)


@pytest.mark.parametrize("kind,extra", CELLS, ids=lambda v: v if isinstance(v, str) else str(v))
def test_cell_float32_against_float64_truth(kind: str, extra: dict) -> None:
    rng = np.random.default_rng(1)
    n = 2 if kind == "LSTMCell" else 1
    x = rng.standard_normal((BATCH, INPUT)).astype(np.float32)
    states = [rng.standard_normal((BATCH, HIDDEN)).astype(np.float32) for _ in range(n)]
    grads = [rng.standard_normal((BATCH, HIDDEN)).astype(np.float32) for _ in range(n)]
    ours32, theirs32 = _pair(kind, extra, np.float32)
    ours64 = _pair(kind, extra)[0]
    ours64.load_state_dict({k: mt.tensor(v.numpy().astype(F64)) for k, v in theirs32.state_dict().items()})
    a, truth = _run(ours32, mt, x, states, grads, np.float32), _run(ours64, mt, x, states, grads)
    t32 = _run(theirs32, torch, x, states, grads, np.float32)
    for k in truth:
        assert a[k].dtype == mt.float32, k
        assert_f32_close(a[k], truth[k], torch32=t32[k], what=k)


def test_cell_parameters_and_repr_as_torch() -> None:
    for kind, extra in CELLS + [("GRUCell", {"bias": False})]:
        ours, theirs = _pair(kind, extra)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kind,extra", CELLS, ids=lambda v: v if isinstance(v, str) else str(v))
def test_cell_bad_input_errors_as_torch(kind: str, extra: dict) -> None:
    ours, theirs = _pair(kind, extra)
    lstm = kind == "LSTMCell"

    def check(x_shape: tuple, h_shapes: list | None) -> None:
        res = []
        for cell, lib in ((theirs, torch), (ours, mt)):
            hs = None if h_shapes is None else [lib.zeros(*s, dtype=lib.float64) for s in h_shapes]
            with pytest.raises(Exception) as e:
                cell(lib.zeros(*x_shape, dtype=lib.float64), None if hs is None else (tuple(hs) if lstm else hs[0]))
            res.append(e.value)
        assert type(res[1]) is type(res[0]) and str(res[0]) in str(res[1]), (res[1], res[0])

    n = 2 if lstm else 1
    check((BATCH, 5), None)                                         # wrong input_size
    check((BATCH, INPUT, 1), None)                                  # 3-D input
    check((BATCH, INPUT), [(BATCH, HIDDEN, 1)] * n)                 # 3-D state
    check((BATCH, INPUT), [(BATCH + 1, HIDDEN)] * n)                # batch of the state
    check((BATCH, INPUT), [(BATCH, HIDDEN + 1)] * n)                # hidden size of the state
    if lstm:
        check((BATCH, INPUT), [(BATCH, HIDDEN), (BATCH, HIDDEN + 1)])  # the cell state's


def test_cell_loop_matches_layer() -> None:
    """The docs' idiom: an LSTMCell stepped over a sequence is the one-layer LSTM with the same weights."""
    cell = mt.nn.LSTMCell(INPUT, HIDDEN).double()
    layer = mt.nn.LSTM(INPUT, HIDDEN).double()
    layer.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = mt.tensor(np.random.default_rng(2).standard_normal((5, BATCH, INPUT)))
    h = c = mt.zeros(BATCH, HIDDEN, dtype=mt.float64)
    outs = []
    for t in range(5):
        h, c = cell(x[t], (h, c))
        outs.append(h)
    out, (h_n, c_n) = layer(x)
    assert_close(mt.stack(outs).detach(), out.detach(), F64)
    assert_close(c.detach(), c_n[0].detach(), F64)
