"""``inplace=True`` for the rest of torch's activations and dropouts (ELU, SELU, CELU, Hardtanh, SiLU, Mish, RReLU,
Threshold, ReLU6's node name, the ``F.*_`` forms, Dropout/Dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout):
each writes into its input as torch's. Compared with torch in the test: values, the kept reference, float64
gradients under a random upstream gradient (and second order), version counters, grad_fn names, the leaf and
"modified by an inplace operation" errors, and a slice written in place inside a graph (its base rewritten, as
torch's CopySlices)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

RNG = np.random.default_rng(7)
X = 1.5 * RNG.standard_normal((3, 4))
G = RNG.standard_normal((3, 4))


def _acts(lib: Any) -> dict:
    F, nn = lib.nn.functional, lib.nn
    return {
        "elu": lambda x: F.elu(x, 0.7, inplace=True), "elu_": lambda x: F.elu_(x, 1.3), "ELU": nn.ELU(inplace=True),
        "selu": lambda x: F.selu(x, inplace=True), "selu_": F.selu_, "SELU": nn.SELU(inplace=True),
        "celu": lambda x: F.celu(x, 0.6, inplace=True), "celu_": F.celu_, "CELU": nn.CELU(1.5, inplace=True),
        "hardtanh": lambda x: F.hardtanh(x, -0.5, 0.8, inplace=True), "hardtanh_": F.hardtanh_,
        "Hardtanh": nn.Hardtanh(-2.0, 1.0, inplace=True), "silu": lambda x: F.silu(x, inplace=True),
        "SiLU": nn.SiLU(inplace=True), "mish": lambda x: F.mish(x, inplace=True), "Mish": nn.Mish(inplace=True),
        "rrelu": lambda x: F.rrelu(x, 0.1, 0.3, inplace=True), "rrelu_": F.rrelu_,
        "RReLU": nn.RReLU(0.2, 0.4, inplace=True).eval(),
        "threshold": lambda x: F.threshold(x, 0.1, 2.0, inplace=True),
        "threshold_": lambda x: F.threshold_(x, -0.3, -1.0), "Threshold": nn.Threshold(0.2, 0.5, inplace=True),
        "relu6": lambda x: F.relu6(x, inplace=True),
        "ReLU6": nn.ReLU6(inplace=True), "leaky_relu": lambda x: F.leaky_relu(x, 0.2, inplace=True),
        "leaky_relu_": F.leaky_relu_,
    }


NAMES = list(_acts(torch))


def _run(lib: Any, k: str, view: bool, x: np.ndarray = X) -> tuple:
    a = lib.tensor(x, requires_grad=True)
    h = a * 2.0
    alias = h.view(-1)
    t = h[1:] if view else h
    before = h._version
    y = _acts(lib)[k](t)
    names = (y.grad_fn.name(), h.grad_fn.name())
    moved, same = h._version - before, y is t
    (h if view else y).backward(lib.tensor(G if view else G[: y.shape[0]]))
    return (alias.detach().numpy().copy(), a.grad.numpy()), (names, moved, same)


@pytest.mark.parametrize("view", [False, True], ids=["tensor", "slice"])
@pytest.mark.parametrize("k", NAMES)
def test_writes_into_its_input_as_torchs(k: str, view: bool) -> None:
    theirs, theirs_meta = _run(torch, k, view)
    ours, ours_meta = _run(mt, k, view)
    assert ours_meta == theirs_meta  # grad_fn names (EluBackward1, CopySlices ...), version +1, the input returned
    for o, t in zip(ours, theirs):
        assert_close(o, t, np.float64)


@pytest.mark.parametrize("k", ["elu", "elu_", "celu", "celu_", "SELU", "silu", "mish"])
def test_second_order_through_the_inplace_node(k: str) -> None:
    res = []
    for lib in (torch, mt):
        a = lib.tensor(X, requires_grad=True)
        y = _acts(lib)[k](a * 1.0)
        (g,) = lib.autograd.grad(y, a, lib.tensor(G), create_graph=True)
        (g * lib.tensor(X)).sum().backward()
        res.append((g.detach().numpy(), a.grad.numpy()))
    for o, t in zip(res[1], res[0]):
        assert_close(o, t, np.float64)


@pytest.mark.parametrize("k", NAMES)
def test_leaf_refuses_and_no_grad_writes(k: str) -> None:
    for lib in (torch, mt):
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place"):
            _acts(lib)[k](lib.tensor(X, requires_grad=True))
        with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is being used in"):
            _acts(lib)[k](lib.tensor(X, requires_grad=True)[1:])
    t, o = torch.tensor(X), mt.tensor(X)
    with torch.no_grad():
        _acts(torch)[k](t)
    with mt.no_grad():
        assert _acts(mt)[k](o) is o
    assert o._version == t._version == 1
    assert_close(o.numpy(), t.numpy(), np.float64)


@pytest.mark.parametrize("k", ["elu", "SELU", "hardtanh_", "silu", "Mish", "threshold"])
def test_an_input_saved_for_backward_then_overwritten_raises(k: str) -> None:
    for lib in (torch, mt):
        a = lib.tensor(X, requires_grad=True)
        h = a * 2.0
        s = h.sin()  # saves h
        _acts(lib)[k](h)
        with pytest.raises(RuntimeError, match="modified by an in-?place operation"):
            s.backward(lib.tensor(G))


@pytest.mark.parametrize("make", [lambda F, x: F.elu(x, -0.5, inplace=True), lambda F, x: F.celu_(x, -2.0),
                                  lambda F, x: F.leaky_relu(x, -0.1, inplace=True),
                                  lambda F, x: F.rrelu(x, -0.5, -0.1, inplace=True)],
                         ids=["elu", "celu_", "leaky_relu", "rrelu"])
def test_negative_slope_in_place_refuses_backward_as_torchs(make: Any) -> None:
    for lib in (torch, mt):
        a = lib.tensor(X, requires_grad=True)
        y = make(lib.nn.functional, a * 1.0)
        with pytest.raises(RuntimeError, match=r"^In-place (elu|leakyReLu) backward calculation is triggered with a"):
            y.backward(lib.tensor(G))


def test_rrelu_training_writes_random_slopes_with_their_gradient() -> None:
    mt.manual_seed(0)
    a = mt.tensor(X, requires_grad=True)
    h = a * 1.0
    y = mt.nn.RReLU(0.1, 0.3, inplace=True)(h)
    assert y is h and h._version == 1 and y.grad_fn.name() == "RreluWithNoiseBackward1"
    y.backward(mt.tensor(G))
    slope = h.detach().numpy() / X
    assert np.allclose(slope[X >= 0], 1) and ((slope[X < 0] >= 0.1) & (slope[X < 0] <= 0.3)).all()
    assert_close(a.grad.numpy(), G * slope, np.float64)


def test_kept_features_see_the_inplace_activation_as_torchs() -> None:
    """The layer walk of the style-transfer scripts, with ELU and SiLU layers."""
    x = RNG.standard_normal((2, 3))
    out = []
    for lib in (torch, mt):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ELU(inplace=True), lib.nn.Linear(4, 2),
                                lib.nn.SiLU(inplace=True)).double()
        if lib is mt:
            net.load_state_dict({k: mt.tensor(v.numpy()) for k, v in out[0][2].items()})
        inp = lib.tensor(x, requires_grad=True)
        h, feats = inp, []
        for layer in net:
            h = layer(h)
            if isinstance(layer, lib.nn.Linear):
                feats.append(h)
        sum((f ** 2).sum() for f in feats).backward()
        out.append(([f.detach().numpy().copy() for f in feats], inp.grad.numpy(), net.state_dict()))
    for ours, theirs in zip(out[1][0] + [out[1][1]], out[0][0] + [out[0][1]]):
        assert_close(ours, theirs, np.float64)


def _drops(lib: Any) -> dict:
    F, nn = lib.nn.functional, lib.nn
    return {
        "dropout": (lambda x: F.dropout(x, 0.5, inplace=True), (3, 4), 1),
        "Dropout": (lambda x: nn.Dropout(0.3, inplace=True)(x), (3, 4), 1),
        "dropout1d": (lambda x: F.dropout1d(x, 0.5, inplace=True), (1, 3, 4), 1),
        "Dropout1d": (lambda x: nn.Dropout1d(inplace=True)(x), (2, 3, 2), 1),
        "dropout2d": (lambda x: F.dropout2d(x, 0.5, inplace=True), (1, 3, 2, 2), 1),
        "Dropout2d": (lambda x: nn.Dropout2d(inplace=True)(x), (3, 2, 2, 1), 1),
        "dropout3d": (lambda x: F.dropout3d(x, 0.5, inplace=True), (1, 3, 2, 2, 1), 1),
        "Dropout3d": (lambda x: nn.Dropout3d(inplace=True)(x), (2, 3, 2, 1, 1), 1),
        "alpha_dropout": (lambda x: F.alpha_dropout(x, 0.5, True, inplace=True), (3, 4), 2),
        "feature_alpha_dropout": (lambda x: F.feature_alpha_dropout(x, 0.5, True, True), (1, 3, 4), 2),
    }


@pytest.mark.parametrize("view", [False, True], ids=["tensor", "slice"])
@pytest.mark.parametrize("k", list(_drops(torch)))
def test_dropout_writes_into_its_input(k: str, view: bool) -> None:
    """The masks are each library's own draws: torch gives the names and version counts; the gradient is the
    mask the written values show (y / x_old for dropout; alpha's scale a where kept, 0 where the value is the
    dropped constant α'a(p - 1), p = 0.5)."""
    meta = []
    for lib in (torch, mt):
        lib.manual_seed(1)
        fn, shape, _ = _drops(lib)[k]
        x = 1.0 + RNG.random((shape[0] + view, *shape[1:]))  # a slice: the rows after the first
        g = RNG.standard_normal(x.shape)
        a = lib.tensor(x, requires_grad=True)
        h = a * 1.0
        t = h[1:] if view else h
        before = h._version
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = fn(t)
        meta.append((y.grad_fn.name(), h.grad_fn.name(), y is t, h._version - before))
        h.backward(lib.tensor(g))
        out, grad = h.detach().numpy()[view:], a.grad.numpy()[view:]
        if k.endswith("alpha_dropout"):
            scale = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5)
            kept = grad != 0
            assert_close(grad[kept], g[view:][kept] * scale, np.float64)
            assert_close(out[~kept], np.full((~kept).sum(), -1.7580993408473766 * scale * 0.5), np.float64)
        else:
            assert_close(grad, g[view:] * out / x[view:], np.float64)
        if view:
            assert_close(a.grad.numpy()[:1], g[:1], np.float64)  # the row outside the slice: untouched
    assert meta[1] == meta[0]
    assert meta[0][3] == _drops(torch)[k][2]


@pytest.mark.parametrize("call", [lambda F, x: F.dropout(x, 0.5, False, True),
                                  lambda F, x: F.dropout(x, 0.0, True, True),
                                  lambda F, x: F.alpha_dropout(x, 0.5, False, True),
                                  lambda F, x: F.dropout2d(x, 0.5, False, True)], ids=["eval", "p0", "alpha", "2d"])
def test_dropout_that_drops_nothing_gives_the_input_untouched(call: Any) -> None:
    for lib in (torch, mt):
        a = lib.tensor(X.reshape(1, 3, 4, 1), requires_grad=True)
        h = a * 1.0
        assert call(lib.nn.functional, h) is h and h._version == 0
        assert call(lib.nn.functional, a) is a  # no write, so a leaf is fine, as torch's


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout"])
def test_dropout_p1_zeroes_in_place_and_leaf_refuses(name: str) -> None:
    res = []
    for lib in (torch, mt):
        f = getattr(lib.nn.functional, name)
        a = lib.tensor(X, requires_grad=True)
        h = a * 1.0
        y = f(h, 1.0, True, inplace=True)
        assert y is h and h._version == 1 and y.grad_fn.name() == "MulBackward0"
        y.backward(lib.tensor(G))
        res.append((h.detach().numpy().copy(), a.grad.numpy()))
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place"):
            f(lib.tensor(X, requires_grad=True), 0.5, True, inplace=True)
    for o, t in zip(res[1], res[0]):
        assert_close(o, t, np.float64)


def test_alpha_dropout_modules_stay_out_of_place_as_torchs() -> None:
    for lib in (torch, mt):
        h = lib.tensor(X)
        for mod in (lib.nn.AlphaDropout(0.5, inplace=True), lib.nn.FeatureAlphaDropout(0.5, inplace=True)):
            assert mod(h) is not h and h._version == 0
    assert repr(mt.nn.AlphaDropout(0.5, True)) == repr(torch.nn.AlphaDropout(0.5, True))


def test_reprs_show_inplace_as_torchs() -> None:
    for make in (lambda nn: nn.ELU(inplace=True), lambda nn: nn.SELU(True), lambda nn: nn.CELU(0.5, True),
                 lambda nn: nn.Hardtanh(-1.0, 2.0, True), lambda nn: nn.SiLU(True), lambda nn: nn.Mish(True),
                 lambda nn: nn.RReLU(inplace=True), lambda nn: nn.Threshold(0.1, 0.0, True),
                 lambda nn: nn.Dropout(inplace=True), lambda nn: nn.Dropout3d(0.2, True)):
        assert repr(make(mt.nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("name", ["dropout_", "feature_dropout_", "alpha_dropout_", "feature_alpha_dropout_"])
@pytest.mark.parametrize("train", [True, False])
def test_top_level_dropout_forms_as_torchs(name: str, train: bool) -> None:
    """torch.dropout_(x, p, train) and its kin: the version moves once (twice for the alpha forms, mul_ then add_)
    when training, not at all otherwise, where a leaf is then fine."""
    meta = []
    for lib in (torch, mt):
        f = getattr(lib, name)
        h = lib.tensor(X.reshape(1, 3, 4), requires_grad=True) * 1.0
        y = f(h, 0.5, train)
        meta.append((y is h, h._version, y.grad_fn.name()))
        leaf = lib.tensor(X.reshape(1, 3, 4), requires_grad=True)
        if train:
            with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place"):
                f(leaf, 0.5, train)
        else:
            assert f(leaf, 0.5, train) is leaf
    assert meta[1] == meta[0]


@pytest.mark.parametrize("first,second", [("elu", "silu"), ("silu", "elu"), ("relu", "celu"), ("hardtanh", "mish"),
                                          ("mish", "relu")])
def test_two_slices_of_one_base_as_torchs(first: str, second: str) -> None:
    """Two in-place activations on disjoint slices of one tensor: a node that saved its result (elu, relu) sees the
    base's version move on the second write and refuses, as torch's; the others give torch's gradient."""
    res = []
    for lib in (torch, mt):
        F = lib.nn.functional
        a = lib.tensor(X, requires_grad=True)
        h = a.exp() * 1.0
        getattr(F, first)(h[:, :2], inplace=True)
        getattr(F, second)(h[:, 3:], inplace=True)
        try:
            h.backward(lib.tensor(G))
        except RuntimeError as exc:
            assert "modified by an in" in str(exc)
            res.append(None)
        else:
            res.append((h.detach().numpy(), a.grad.numpy()))
    assert (res[0] is None) == (res[1] is None)
    if res[0] is not None:
        for o, t in zip(res[1], res[0]):
            assert_close(o, t, np.float64)
