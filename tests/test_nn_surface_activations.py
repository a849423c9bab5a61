"""ELU / Softsign (functional and modules), torch.nn.functional's in-place activations (relu_, elu_ ...) and
gumbel_softmax against torch: float64 exact and float32 against the float64 truth, values and gradients under a
random upstream gradient, second order, in-place semantics (storage, version, leaf refusal), reprs, bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _grad_parity import function_parity, layer_parity  # noqa: E402
from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as F  # noqa: E402

TF = torch.nn.functional


@pytest.mark.parametrize("name,args", [("elu", ()), ("elu", (0.4,)), ("elu", (2.5,)), ("softsign", ())])
def test_elu_softsign_match_torch(name: str, args: tuple) -> None:
    x = np.random.default_rng(0).uniform(-5, 5, (3, 40))
    function_parity(lambda t: getattr(F, name)(t, *args), lambda t: getattr(TF, name)(t, *args), [x], [True],
                    what=f"{name}{args}")


@pytest.mark.parametrize("name,args", [("elu", (0.7,)), ("softsign", ())])
def test_elu_softsign_second_order(name: str, args: tuple) -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(-4, 4, (4, 6))
    v, w = rng.standard_normal(x.shape), rng.standard_normal(x.shape)
    grads = []
    for lib, f in ((torch, TF), (mt, F)):
        tx = lib.tensor(x, requires_grad=True)
        (gx,) = lib.autograd.grad((getattr(f, name)(tx, *args) * lib.tensor(w)).sum(), tx, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        grads.append(tx.grad)
    assert_close(grads[1], grads[0], np.float64, what=f"{name} second order")


def test_elu_at_zero_and_grad_fn_names() -> None:
    x = np.array([0.0, -1e-3, 1e-3, 50.0, -50.0])
    function_parity(lambda t: F.elu(t, 1.3), lambda t: TF.elu(t, 1.3), [x], [True], what="elu breakpoints")
    assert F.elu(mt.ones(2, requires_grad=True)).grad_fn.name() == "EluBackward0"
    assert F.softsign(mt.ones(2, requires_grad=True)).grad_fn.name() == "DivBackward0"


@pytest.mark.parametrize("ctor", [lambda nn: nn.ELU(), lambda nn: nn.ELU(alpha=0.5), lambda nn: nn.Softsign()])
def test_modules_match_torch(ctor) -> None:
    layer_parity(ctor, np.random.default_rng(3).uniform(-3, 3, (2, 3, 5)), what=repr(ctor(torch.nn)))


@pytest.mark.parametrize("ctor", [lambda nn: nn.ELU(), lambda nn: nn.ELU(alpha=0.5, inplace=True),
                                  lambda nn: nn.Softsign()])
def test_modules_repr_and_state_dict(ctor) -> None:
    assert repr(ctor(mt.nn)) == repr(ctor(torch.nn))
    assert list(ctor(mt.nn).state_dict()) == list(ctor(torch.nn).state_dict()) == []


INPLACE = [("relu_", ()), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.8)), ("threshold_", (0.3, -2.0)),
           ("elu_", (0.6,)), ("selu_", ()), ("celu_", (1.5,)), ("rrelu_", (0.1, 0.3, False))]


@pytest.mark.parametrize("name,args", INPLACE)
def test_inplace_forms_write_into_their_input(name: str, args: tuple) -> None:
    x = np.random.default_rng(4).uniform(-3, 3, (4, 5))
    tx, mx = torch.tensor(x), mt.tensor(x)
    ty, my = getattr(TF, name)(tx, *args), getattr(F, name)(mx, *args)
    assert my is mx and ty is tx
    assert mx._version == tx._version == 1
    assert_close(mx, tx, np.float64, what=name)


@pytest.mark.parametrize("name,args", INPLACE)
def test_inplace_forms_backward_match_torch(name: str, args: tuple) -> None:
    x = np.random.default_rng(5).uniform(-3, 3, (4, 5))
    g = np.random.default_rng(6).standard_normal(x.shape)

    def run(lib, f):
        leaf = lib.tensor(x, requires_grad=True)
        mid = leaf * 1.5  # a non-leaf: in-place is allowed inside the graph
        out = getattr(f, name)(mid, *args)
        assert out is mid
        out.backward(lib.tensor(g))
        return out, leaf.grad

    (ty, tg), (my, mg) = run(torch, TF), run(mt, F)
    assert_close(my, ty.detach(), np.float64, what=f"{name} forward")
    assert_close(mg, tg, np.float64, what=f"{name} grad")


@pytest.mark.parametrize("name,args", INPLACE)
def test_inplace_forms_refuse_a_leaf_that_requires_grad(name: str, args: tuple) -> None:
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(TF, name)(torch.ones(3, requires_grad=True), *args)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(mt.ones(3, requires_grad=True), *args)


def test_inplace_forms_bad_input_as_torch() -> None:
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh_(mt.ones(2), 1.0, -1.0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu_(mt.ones(2), 0.0)
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F.rrelu_(mt.ones(2), 0.5, 0.1)


def test_inplace_relu_seen_through_a_view() -> None:
    x = mt.tensor(np.array([[-1.0, 2.0], [3.0, -4.0]]))
    alias = x.view(4)
    F.relu_(x)
    assert np.array_equal(alias.numpy(), [0.0, 2.0, 3.0, 0.0])


def _gumbels(shape: tuple, seed: int, dtype: type) -> np.ndarray:
    """The Gumbel noise gumbel_softmax draws after ``mt.manual_seed(seed)``: -log(Exp(1)) of the same stream."""
    mt.manual_seed(seed)
    return -np.log(mt.empty(*shape, dtype=mt.float64).exponential_().numpy()).astype(dtype)


@pytest.mark.parametrize("tau,dim", [(1.0, -1), (0.5, 0), (2.0, 1)])
def test_gumbel_softmax_soft_is_softmax_of_perturbed_logits(tau: float, dim: int) -> None:
    """With the noise g read back from our generator, the sample and its gradient are torch's
    softmax((logits + g) / τ) exactly, float64, under a random upstream gradient."""
    rng = np.random.default_rng(7)
    logits, up = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    gumbels = _gumbels(logits.shape, 11, np.float64)
    mt.manual_seed(11)
    mx = mt.tensor(logits, requires_grad=True)
    my = F.gumbel_softmax(mx, tau=tau, dim=dim)
    my.backward(mt.tensor(up))
    tx = torch.tensor(logits, requires_grad=True)
    ty = ((tx + torch.tensor(gumbels)) / tau).softmax(dim)
    ty.backward(torch.tensor(up))
    assert_close(my, ty.detach(), np.float64, what="gumbel soft sample")
    assert_close(mx.grad, tx.grad, np.float64, what="gumbel soft grad")


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient() -> None:
    rng = np.random.default_rng(8)
    logits, up = rng.standard_normal((6, 7)), rng.standard_normal((6, 7))
    gumbels = _gumbels(logits.shape, 12, np.float64)
    mt.manual_seed(12)
    mx = mt.tensor(logits, requires_grad=True)
    my = F.gumbel_softmax(mx, tau=0.7, hard=True)
    my.backward(mt.tensor(up))
    tx = torch.tensor(logits, requires_grad=True)
    soft = ((tx + torch.tensor(gumbels)) / 0.7).softmax(-1)
    index = soft.max(-1, keepdim=True)[1]
    ty = torch.zeros_like(tx).scatter_(-1, index, 1.0) - soft.detach() + soft
    ty.backward(torch.tensor(up))
    hard = my.detach().numpy()
    assert np.array_equal(hard.sum(-1), np.ones(6)) and set(np.unique(hard)) <= {0.0, 1.0}
    assert_close(my, ty.detach(), np.float64, what="gumbel hard sample")
    assert_close(mx.grad, tx.grad, np.float64, what="gumbel hard (straight-through) grad")


def test_gumbel_softmax_samples_follow_the_categorical() -> None:
    """argmax of logits + Gumbel noise is a draw from softmax(logits): hard samples' frequencies match it."""
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    mt.manual_seed(0)
    y = F.gumbel_softmax(mt.tensor(np.tile(logits, (20000, 1))), tau=1.0, hard=True).numpy()
    freq = y.mean(0)
    assert np.abs(freq - np.exp(logits)).max() < 0.015, freq  # ~4 standard errors at n = 20000
    soft = F.gumbel_softmax(mt.tensor(np.tile(logits, (10, 1)).astype(np.float32)), tau=0.3)
    assert soft.dtype == mt.float32 and np.allclose(soft.numpy().sum(-1), 1.0, atol=1e-6)


def test_gumbel_softmax_warns_on_eps_as_torch() -> None:
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(mt.zeros(2, 3), eps=1e-5)
