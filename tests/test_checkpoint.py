"""mt.utils.checkpoint against the plain run and against torch.utils.checkpoint: outputs and every gradient
(inputs and parameters) under a random upstream gradient, float64, both variants; dropout's mask redrawn equal in
the recomputation; activations not kept (a weakref to one dies); torch's warnings and errors."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import minitorch_cnn as mt
from minitorch_cnn.utils.checkpoint import checkpoint, checkpoint_sequential
from tests._parity import assert_close

RNG = np.random.default_rng(5)


def _nets(dropout: float = 0.0) -> tuple[mt.nn.Module, torch.nn.Module]:
    def build(nn: object) -> object:
        return nn.Sequential(nn.Linear(6, 10), nn.Tanh(), nn.Dropout(dropout), nn.Linear(10, 8), nn.ReLU(),
                             nn.Linear(8, 3))

    ours, theirs = build(mt.nn).double(), build(torch.nn).double()
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _grads(net: object, *tensors: object) -> list[np.ndarray]:
    out = [np.array(p.grad.numpy()) for p in net.parameters()]
    return out + [np.array(t.grad.numpy()) for t in tensors]


def _zero(net: object, *tensors: object) -> None:
    for t in (*net.parameters(), *tensors):
        t.grad = None


@pytest.mark.parametrize("reentrant", [True, False])
def test_gradients_equal_plain_run_and_torch(reentrant: bool) -> None:
    ours, theirs = _nets()
    xv, gv = RNG.standard_normal((5, 6)), RNG.standard_normal((5, 3))
    x, tx = mt.tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
    y = checkpoint(ours, x, use_reentrant=reentrant)
    assert y.requires_grad
    y.backward(mt.tensor(gv))
    ck = _grads(ours, x)
    _zero(ours, x)
    ours(x).backward(mt.tensor(gv))
    for a, b in zip(ck, _grads(ours, x)):
        np.testing.assert_array_equal(a, b)
    ty = tcp.checkpoint(theirs, tx, use_reentrant=reentrant)
    ty.backward(torch.tensor(gv))
    assert_close(y, ty, np.float64, what="output")
    for a, b in zip(ck, _grads(theirs, tx)):
        assert_close(a, b, np.float64, what="grad")


@pytest.mark.parametrize("reentrant", [True, False])
def test_dropout_mask_is_redrawn_the_same(reentrant: bool) -> None:
    ours, _ = _nets(dropout=0.5)
    x = mt.tensor(RNG.standard_normal((7, 6)), requires_grad=True)
    g = mt.tensor(RNG.standard_normal((7, 3)))
    mt.manual_seed(3)
    y = checkpoint(ours, x, use_reentrant=reentrant)
    y.backward(g)
    after = mt.rand(1).item()  # the recomputation leaves the global generator where it was
    ck = _grads(ours, x)
    _zero(ours, x)
    mt.manual_seed(3)
    y2 = ours(x)
    y2.backward(g)
    assert mt.rand(1).item() == after
    np.testing.assert_array_equal(y.detach().numpy(), y2.detach().numpy())
    for a, b in zip(ck, _grads(ours, x)):
        np.testing.assert_array_equal(a, b)


def test_without_preserved_rng_the_mask_differs() -> None:
    ours, _ = _nets(dropout=0.5)
    x = mt.tensor(RNG.standard_normal((7, 6)), requires_grad=True)
    g = mt.tensor(RNG.standard_normal((7, 3)))
    mt.manual_seed(3)
    checkpoint(ours, x, use_reentrant=False, preserve_rng_state=False).backward(g)
    ck = x.grad.numpy().copy()
    _zero(ours, x)
    mt.manual_seed(3)
    ours(x).backward(g)
    assert not np.array_equal(ck, x.grad.numpy())


def test_activations_are_not_kept() -> None:
    kept: list = []

    def fn(a: mt.Tensor) -> mt.Tensor:
        h = mt.tanh(a)
        kept.append(weakref.ref(h._data))
        return (h * h).sum()

    xv = RNG.standard_normal((50, 50))
    x = mt.tensor(xv, requires_grad=True)
    plain = fn(x)
    gc.collect()
    assert kept[-1]() is not None  # the plain graph holds tanh's output for the product's backward
    del plain
    y = checkpoint(fn, x, use_reentrant=False)
    gc.collect()
    assert kept[-1]() is None
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.tanh(xv) * (1 - np.tanh(xv) ** 2), rtol=1e-12)


def test_non_reentrant_reaches_parameters_without_input_grad() -> None:
    ours, theirs = _nets()
    xv, gv = RNG.standard_normal((4, 6)), RNG.standard_normal((4, 3))
    y = checkpoint(ours, mt.tensor(xv), use_reentrant=False)
    got = mt.autograd.grad(y, list(ours.parameters()), mt.tensor(gv))
    ty = tcp.checkpoint(theirs, torch.tensor(xv), use_reentrant=False)
    want = torch.autograd.grad(ty, list(theirs.parameters()), torch.tensor(gv))
    for a, b in zip(got, want):
        assert_close(a, b, np.float64, what="parameter grad")


def test_reentrant_without_input_grad_warns_and_gives_none() -> None:
    ours, theirs = _nets()
    xv = RNG.standard_normal((4, 6))
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        ty = tcp.checkpoint(theirs, torch.tensor(xv), use_reentrant=True)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(ours, mt.tensor(xv), use_reentrant=True)
    assert y.requires_grad == ty.requires_grad is False


@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_sequential_matches_torch(reentrant: bool) -> None:
    ours, theirs = _nets()
    xv, gv = RNG.standard_normal((5, 6)), RNG.standard_normal((5, 3))
    x, tx = mt.tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
    checkpoint_sequential(ours, 3, x, use_reentrant=reentrant).backward(mt.tensor(gv))
    tcp.checkpoint_sequential(theirs, 3, tx, use_reentrant=reentrant).backward(torch.tensor(gv))
    for a, b in zip(_grads(ours, x), _grads(theirs, tx)):
        assert_close(a, b, np.float64, what="grad")


def test_several_outputs_and_keyword_arguments() -> None:
    wv, xv = RNG.standard_normal((3, 3)), RNG.standard_normal((2, 3))
    g1, g2 = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))

    def run(lib: object, w: object, x: object) -> tuple:
        def fn(a: object, scale: float = 1.0) -> tuple:
            h = a @ w
            return lib.sin(h) * scale, h.exp()

        out = (checkpoint if lib is mt else tcp.checkpoint)(fn, x, use_reentrant=False, scale=2.0)
        lib.autograd.backward(out, (lib.tensor(g1), lib.tensor(g2))) if lib is torch else \
            (out[0] * lib.tensor(g1) + out[1] * lib.tensor(g2)).sum().backward()
        return w.grad, x.grad

    ours = run(mt, mt.tensor(wv, requires_grad=True), mt.tensor(xv, requires_grad=True))
    theirs = run(torch, torch.tensor(wv, requires_grad=True), torch.tensor(xv, requires_grad=True))
    for a, b in zip(ours, theirs):
        assert_close(a, b, np.float64, what="grad")


def test_warnings_and_errors_as_torch() -> None:
    x = mt.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda a: a * 2, x)
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter should be passed"):
        checkpoint_sequential([mt.nn.Tanh(), mt.nn.Tanh()], 2, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda a, scale: a * scale, x, use_reentrant=True, scale=2)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: bogus"):
        checkpoint_sequential([mt.nn.Tanh()], 1, x, use_reentrant=False, bogus=1)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda a: a, x, use_reentrant=True, context_fn=lambda: (None, None))
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lambda a: a, x, use_reentrant=False, determinism_check="strict")


def test_reachable_as_torch_names_it() -> None:
    assert mt.utils.checkpoint.checkpoint is checkpoint
    x = mt.ones(2, requires_grad=True)
    assert checkpoint(lambda a: a * 2, x, use_reentrant=True).grad_fn.name() == \
        tcp.checkpoint(lambda a: a * 2, torch.ones(2, requires_grad=True), use_reentrant=True).grad_fn.name()


@pytest.mark.parametrize("reentrant", [True, False])
def test_training_a_cnn_with_checkpoint_sequential_tracks_torch(reentrant: bool) -> None:
    """What the checkpointing tutorials do: a conv net run through checkpoint_sequential inside an SGD loop."""

    def build(nn: object) -> object:
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 6, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(6 * 3 * 3, 5))

    ours, theirs = build(mt.nn).double(), build(torch.nn).double()
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    opt = mt.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        xv, yv = RNG.standard_normal((4, 1, 10, 10)), RNG.integers(0, 5, 4)
        x, tx = mt.tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
        opt.zero_grad()
        topt.zero_grad()
        mt.nn.functional.cross_entropy(checkpoint_sequential(ours, 2, x, use_reentrant=reentrant),
                                       mt.tensor(yv)).backward()
        torch.nn.functional.cross_entropy(tcp.checkpoint_sequential(theirs, 2, tx, use_reentrant=reentrant),
                                          torch.tensor(yv)).backward()
        opt.step()
        topt.step()
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert_close(a, b, np.float64, what=k)


def test_a_recomputation_that_differs_raises_as_torch() -> None:
    def make() -> object:
        calls = [0]

        def fn(x: object) -> object:
            calls[0] += 1
            return (x[: 3 if calls[0] == 1 else 2] * 2).sin()

        return fn

    with pytest.raises(tcp.CheckpointError, match="Recomputed values for the following tensors have different"):
        tcp.checkpoint(make(), torch.ones(4, requires_grad=True), use_reentrant=False).sum().backward()
    with pytest.raises(mt.utils.checkpoint.CheckpointError,
                       match="Recomputed values for the following tensors have different"):
        checkpoint(make(), mt.ones(4, requires_grad=True), use_reentrant=False).sum().backward()


def test_decorator_form_on_functions_and_methods() -> None:
    wv, xv, gv = RNG.standard_normal((3, 3)), RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))

    def run(lib: object, ck: object) -> tuple:
        class Block(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.w = lib.nn.Parameter(lib.tensor(wv))

            @ck(use_reentrant=False)
            def forward(self, x: object, scale: float = 1.0) -> object:
                return (x @ self.w).tanh() * scale

        block = Block()
        x = lib.tensor(xv, requires_grad=True)
        block(x, scale=3.0).backward(lib.tensor(gv))
        return block.w.grad, x.grad

    for a, b in zip(run(mt, checkpoint), run(torch, tcp.checkpoint)):
        assert_close(a, b, np.float64, what="grad")
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(use_reentrant=False, scale=2)
