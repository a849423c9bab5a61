"""RNN, LSTM and GRU against torch's, torch's weights copied in through state_dict: outputs, final states and the
gradients of every parameter, the input and the initial states under random upstream gradients, for every
combination of num_layers, bidirectional, batch_first, bias, given or zero initial states (and LSTM's proj_size);
unbatched and packed inputs; second order; float32 against the float64 truth; the errors torch raises."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

F64 = np.float64
SEQ, BATCH, HIDDEN, INPUT = 5, 3, 4, 3
MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]


def _pair(kind: str, kwargs: dict, dtype: type = F64, seed: int = 0) -> tuple:
    """(ours, theirs): the same layer in both libraries, torch's parameters loaded into ours."""
    torch.manual_seed(seed)
    theirs = getattr(torch.nn, kind)(INPUT, HIDDEN, **kwargs).to(torch.float64 if dtype == F64 else torch.float32)
    ours = getattr(mt.nn, kind)(INPUT, HIDDEN, **kwargs).to(mt.float64 if dtype == F64 else mt.float32)
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _states(kind: str, kwargs: dict, batch: int | None, rng: np.random.Generator) -> list[np.ndarray]:
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    lead = (layers,) if batch is None else (layers, batch)
    h = rng.standard_normal(lead + (kwargs.get("proj_size") or HIDDEN,))
    return [h, rng.standard_normal(lead + (HIDDEN,))] if kind == "LSTM" else [h]


def _run(layer: object, lib: object, x: np.ndarray, states: list | None, grads: list[np.ndarray],
         dtype: type = F64) -> dict:
    """Forward, then every gradient under the upstream ``grads`` (for output and final states)."""
    xs = lib.tensor(x.astype(dtype), requires_grad=True)
    hs = None if states is None else [lib.tensor(s.astype(dtype), requires_grad=True) for s in states]
    hx = None if hs is None else (tuple(hs) if len(hs) == 2 else hs[0])
    out, h_n = layer(xs, hx)
    finals = list(h_n) if isinstance(h_n, tuple) else [h_n]
    names = [n for n, _ in layer.named_parameters()]
    wrt = [xs] + list(layer.parameters()) + (hs or [])
    got = lib.autograd.grad([out] + finals, wrt, [lib.tensor(g.astype(dtype)) for g in grads])
    res = {"out": out, **{f"final{i}": f for i, f in enumerate(finals)}, "dx": got[0]}
    res.update({"d" + n: g for n, g in zip(names, got[1:])})
    res.update({f"dh{i}": g for i, g in enumerate(got[1 + len(names):])})
    return res


def _grads(out_shape: tuple, kind: str, kwargs: dict, batch: int | None, rng: np.random.Generator) -> list:
    return [rng.standard_normal(out_shape)] + _states(kind, kwargs, batch, rng)


def _combos() -> list:
    cases = []
    for (kind, extra), layers, bidi, first, bias, given in itertools.product(
            MODES, (1, 2), (False, True), (False, True), (True, False), (True, False)):
        projs = (0, 2) if kind == "LSTM" else (0,)
        for proj in projs:
            kwargs = dict(extra, num_layers=layers, bidirectional=bidi, batch_first=first, bias=bias)
            if proj:
                kwargs["proj_size"] = proj
            cases.append((kind, kwargs, given))
    return cases


def _id(case: tuple) -> str:
    kind, kwargs, given = case
    return kind + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items()) + f"-h0={given}"


@pytest.mark.parametrize("case", _combos(), ids=_id)
def test_layer_float64_matches_torch(case: tuple) -> None:
    kind, kwargs, given = case
    ours, theirs = _pair(kind, kwargs)
    rng = np.random.default_rng(1)
    shape = (BATCH, SEQ, INPUT) if kwargs["batch_first"] else (SEQ, BATCH, INPUT)
    x = rng.standard_normal(shape)
    states = _states(kind, kwargs, BATCH, rng) if given else None
    d = 2 if kwargs["bidirectional"] else 1
    out_shape = shape[:2] + (d * (kwargs.get("proj_size") or HIDDEN),)
    grads = _grads(out_shape, kind, kwargs, BATCH, rng)
    a, b = _run(ours, mt, x, states, grads), _run(theirs, torch, x, states, grads)
    assert a.keys() == b.keys()
    for k in b:
        assert_close(a[k], b[k], F64, what=k)


@pytest.mark.parametrize("kind,extra", MODES, ids=lambda v: v if isinstance(v, str) else str(v))
@pytest.mark.parametrize("given", [True, False])
def test_unbatched_input_matches_torch(kind: str, extra: dict, given: bool) -> None:
    kwargs = dict(extra, num_layers=2, bidirectional=True)
    ours, theirs = _pair(kind, kwargs)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((SEQ, INPUT))
    states = _states(kind, kwargs, None, rng) if given else None
    grads = _grads((SEQ, 2 * HIDDEN), kind, kwargs, None, rng)
    a, b = _run(ours, mt, x, states, grads), _run(theirs, torch, x, states, grads)
    assert a["out"].shape == tuple(b["out"].shape) and a["final0"].shape == tuple(b["final0"].shape)
    for k in b:
        assert_close(a[k], b[k], F64, what=k)


def _packed_run(layer: object, lib: object, x: np.ndarray, lengths: list, states: list, grads: list,
                batch_first: bool) -> dict:
    rnn = lib.nn.utils.rnn
    xs = lib.tensor(x, requires_grad=True)
    hs = [lib.tensor(s, requires_grad=True) for s in states]
    ordered = lengths == sorted(lengths, reverse=True)
    packed = rnn.pack_padded_sequence(xs, lengths, batch_first=batch_first, enforce_sorted=ordered)
    out, h_n = layer(packed, tuple(hs) if len(hs) == 2 else hs[0])
    assert isinstance(out, rnn.PackedSequence)
    padded, lens = rnn.pad_packed_sequence(out, batch_first=batch_first)
    finals = list(h_n) if isinstance(h_n, tuple) else [h_n]
    wrt = [xs] + list(layer.parameters()) + hs
    got = lib.autograd.grad([padded] + finals, wrt, [lib.tensor(g) for g in grads])
    return {"out": padded, "lengths": lens, "data": out.data, **{f"final{i}": f for i, f in enumerate(finals)},
            **{f"d{i}": g for i, g in enumerate(got)}}


@pytest.mark.parametrize("kind,extra", MODES, ids=lambda v: v if isinstance(v, str) else str(v))
@pytest.mark.parametrize("layers,bidi,batch_first,lengths", [(1, False, False, [3, 5, 1, 3]),
                                                              (2, True, False, [3, 5, 1, 3]),
                                                              (2, True, True, [3, 5, 1, 3]),
                                                              (2, True, False, [5, 3, 3, 1])])
def test_packed_input_matches_torch(kind: str, extra: dict, layers: int, bidi: bool, batch_first: bool,
                                    lengths: list) -> None:
    """Unsorted lengths (the layer sorts the initial states and unsorts the final ones) and sorted ones packed with
    enforce_sorted (no permutation), both directions."""
    kwargs = dict(extra, num_layers=layers, bidirectional=bidi, batch_first=batch_first)
    if kind == "LSTM" and bidi:
        kwargs["proj_size"] = 2
    ours, theirs = _pair(kind, kwargs)
    rng = np.random.default_rng(3)
    batch = 4
    shape = (batch, SEQ, INPUT) if batch_first else (SEQ, batch, INPUT)
    x = rng.standard_normal(shape)
    states = _states(kind, kwargs, batch, rng)
    d = 2 if bidi else 1
    grads = _grads(shape[:2] + (d * (kwargs.get("proj_size") or HIDDEN),), kind, kwargs, batch, rng)
    a = _packed_run(ours, mt, x, lengths, states, grads, batch_first)
    b = _packed_run(theirs, torch, x, lengths, states, grads, batch_first)
    for k in b:
        assert_close(a[k], b[k], F64, what=k)


@pytest.mark.parametrize("kind,extra", MODES, ids=lambda v: v if isinstance(v, str) else str(v))
def test_second_order_matches_torch(kind: str, extra: dict) -> None:
    """d/dθ of <∂(out·g)/∂x, v>: the composed steps differentiate twice, as torch's."""
    kwargs = dict(extra, num_layers=2, bidirectional=True)
    ours, theirs = _pair(kind, kwargs)
    rng = np.random.default_rng(4)
    x, g, v = (rng.standard_normal(s) for s in ((SEQ, BATCH, INPUT), (SEQ, BATCH, 2 * HIDDEN),
                                                (SEQ, BATCH, INPUT)))
    res = []
    for layer, lib in ((ours, mt), (theirs, torch)):
        xs = lib.tensor(x, requires_grad=True)
        out = layer(xs)[0]
        (dx,) = lib.autograd.grad(out, xs, lib.tensor(g), create_graph=True)
        # relu's second derivative is zero: its biases may be unused (zeros) in the second-order graph
        res.append(lib.autograd.grad((dx * lib.tensor(v)).sum(), list(layer.parameters()) + [xs], allow_unused=True,
                                     materialize_grads=True))
    for k, (a, b) in enumerate(zip(*res)):
        assert_close(a, b, F64, what=f"second-order grad {k}")


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("kind,extra", MODES, ids=lambda v: v if isinstance(v, str) else str(v))
def test_float32_against_float64_truth(kind: str, extra: dict) -> None:
    kwargs = dict(extra, num_layers=2, bidirectional=True, batch_first=True)
    if kind == "LSTM":
        kwargs["proj_size"] = 2
    rng = np.random.default_rng(5)
    x = rng.standard_normal((BATCH, SEQ, INPUT)).astype(np.float32)
    states = [s.astype(np.float32) for s in _states(kind, kwargs, BATCH, rng)]
    out_shape = (BATCH, SEQ, 2 * (kwargs.get("proj_size") or HIDDEN))
    grads = [g.astype(np.float32) for g in _grads(out_shape, kind, kwargs, BATCH, rng)]
    ours32, theirs32 = _pair(kind, kwargs, np.float32)
    ours64 = _pair(kind, kwargs, F64)[0]
    ours64.load_state_dict({k: mt.tensor(v.numpy().astype(F64)) for k, v in theirs32.state_dict().items()})
    a = _run(ours32, mt, x, states, grads, np.float32)
    truth = _run(ours64, mt, x, states, grads, F64)
    t32 = _run(theirs32, torch, x, states, grads, np.float32)
    for k in truth:
        assert a[k].dtype == mt.float32, k
        assert_f32_close(a[k], truth[k], torch32=t32[k], what=k)


def test_dropout_between_layers() -> None:
    """Eval: dropout does nothing (torch's outputs); training: each layer but the last sees its input layer's
    output through F.dropout, drawn in that order (the same draws rebuild it layer by layer)."""
    ours, theirs = _pair("LSTM", {"num_layers": 3, "dropout": 0.5})
    x = np.random.default_rng(6).standard_normal((SEQ, BATCH, INPUT))
    ours.eval()
    theirs.eval()
    assert_close(ours(mt.tensor(x))[0].detach(), theirs(torch.tensor(x))[0].detach(), F64, what="eval")
    ours.train()
    mt.manual_seed(0)
    full = ours(mt.tensor(x))[0]
    singles = []
    for k in range(3):
        one = mt.nn.LSTM(INPUT if k == 0 else HIDDEN, HIDDEN).double()
        one.load_state_dict({n.replace(f"_l{k}", "_l0"): p for n, p in ours.state_dict().items() if f"_l{k}" in n})
        singles.append(one)
    mt.manual_seed(0)
    h = mt.tensor(x)
    for k, one in enumerate(singles):
        if k:
            h = mt.nn.functional.dropout(h, 0.5, True)
        h = one(h)[0]
    assert_close(full.detach(), h.detach(), F64, what="training")
    assert not np.allclose(full.detach().numpy(), ours.eval()(mt.tensor(x))[0].detach().numpy())


def test_parameters_state_dict_and_init_as_torch() -> None:
    for kind, kwargs in [("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}),
                         ("GRU", {"bias": False, "bidirectional": True}), ("RNN", {"nonlinearity": "relu"})]:
        ours, theirs = _pair(kind, kwargs)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)
        assert ours._flat_weights_names == theirs._flat_weights_names
        assert [[tuple(p.shape) for p in w] for w in ours.all_weights] == \
            [[tuple(p.shape) for p in w] for w in theirs.all_weights]
    layer = mt.nn.GRU(3, 16, num_layers=2)
    for p in layer.parameters():
        arr = p.detach().numpy()
        assert np.abs(arr).max() <= 0.25 and np.abs(arr).max() > 0.2  # U(±1/√16), spread over the range
    layer.flatten_parameters()
    assert repr(mt.nn.RNN(3, 4, 2, "relu", False, True, 0.0, True)) == \
        repr(torch.nn.RNN(3, 4, 2, "relu", False, True, 0.0, True))


def test_tied_and_replaced_weights_are_used() -> None:
    """The layer reads its parameters by name at each call: a replaced Parameter (or .double()) takes effect."""
    ours, theirs = _pair("GRU", {})
    new = np.random.default_rng(7).standard_normal((3 * HIDDEN, HIDDEN))
    ours.weight_hh_l0 = mt.nn.Parameter(mt.tensor(new))
    theirs.weight_hh_l0 = torch.nn.Parameter(torch.tensor(new))
    x = np.random.default_rng(8).standard_normal((SEQ, BATCH, INPUT))
    assert_close(ours(mt.tensor(x))[0].detach(), theirs(torch.tensor(x))[0].detach(), F64)


def _raises_as_torch(ours: object, theirs: object, *args: object) -> None:
    """Ours raises torch's exception type with torch's message (after our prefix naming the layer)."""
    with pytest.raises(Exception) as t:
        theirs(*args[len(args) // 2:])
    with pytest.raises(type(t.value)) as o:
        ours(*args[:len(args) // 2])
    assert str(t.value).replace("torch.", "mt.") in str(o.value), (str(o.value), str(t.value))
    assert repr(ours).split("(")[0] in str(o.value) or "Expected input to be" in str(o.value)


@pytest.mark.parametrize("kind,extra", MODES, ids=lambda v: v if isinstance(v, str) else str(v))
def test_bad_input_errors_as_torch(kind: str, extra: dict) -> None:
    ours, theirs = _pair(kind, dict(extra, num_layers=2))
    lstm = kind == "LSTM"

    def both(shape_x: tuple, shapes_h: list | None = None, dtype: type = F64) -> tuple:
        x = np.zeros(shape_x, dtype)
        hs = None if shapes_h is None else [np.zeros(s) for s in shapes_h]

        def h(lib: object) -> object:
            if hs is None:
                return None
            t = [lib.tensor(a) for a in hs]
            return tuple(t) if lstm else t[0]
        return mt.tensor(x), h(mt), torch.tensor(x), h(torch)

    hstate = [(2, 3, HIDDEN), (2, 3, HIDDEN)] if lstm else [(2, 3, HIDDEN)]
    _raises_as_torch(ours, theirs, *both((SEQ, 3, 5)))                       # wrong input_size
    _raises_as_torch(ours, theirs, *both((SEQ, 3, INPUT, 1)))                # 4-D input
    _raises_as_torch(ours, theirs, *both((SEQ, 3, INPUT), [(1, 3, HIDDEN)] * (2 if lstm else 1)))  # layers
    _raises_as_torch(ours, theirs, *both((SEQ, 2, INPUT), hstate))           # batch of the state
    _raises_as_torch(ours, theirs, *both((SEQ, 3, INPUT), [(3, HIDDEN)] * (2 if lstm else 1)))  # 2-D state
    _raises_as_torch(ours, theirs, *both((SEQ, INPUT), hstate))              # unbatched input, 3-D state
    _raises_as_torch(ours, theirs, *both((SEQ, 3, INPUT), None, np.float32))  # dtype
    if lstm:
        _raises_as_torch(ours, theirs, *both((SEQ, 3, INPUT), [(2, 3, HIDDEN), (2, 3, 5)]))  # cell state size


def test_constructor_errors_as_torch() -> None:
    bad = [("RNN", (3, 4), {"nonlinearity": "sigmoid"}), ("GRU", (3, 4), {"proj_size": 2}),
           ("RNN", (3, 4), {"proj_size": 2}), ("LSTM", (3, 4), {"proj_size": 4}), ("LSTM", (3, 4), {"proj_size": -1}),
           ("LSTM", (3, 4), {"dropout": 1.5}), ("LSTM", (3, 4), {"dropout": True}), ("LSTM", (3, 0), {}),
           ("LSTM", (0, 4), {}), ("LSTM", (3, 4), {"num_layers": 0}), ("LSTM", (3, 4.0), {}),
           ("LSTM", (3, 4), {"bias": 1}), ("LSTM", (3, 4), {"batch_first": None})]
    for kind, args, kwargs in bad:
        with pytest.raises(Exception) as t:
            getattr(torch.nn, kind)(*args, **kwargs)
        with pytest.raises(type(t.value), match=str(t.value).replace("[", r"\[").replace("(", r"\(")
                           .replace(")", r"\)").replace(".", r"\.")):
            getattr(mt.nn, kind)(*args, **kwargs)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        mt.nn.LSTM(3, 4, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt.nn.LSTM(3, 4, num_layers=2, dropout=0.2)
