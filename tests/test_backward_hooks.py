"""Module.register_full_backward_hook / register_full_backward_pre_hook against torch: what the hooks see
(grad_input, grad_output, their kinds and lengths), when they run, what a returned value replaces, the errors;
float64, random upstream gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close

F64 = np.float64


def _pair(make: str, *args: object) -> tuple:
    """The same layer in both libraries with torch's weights."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, make)(*args).double()
    ours = getattr(mt.nn, make)(*args).double()
    ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


def _run(lib: object, model: object, x: np.ndarray, w: np.ndarray, log: list, replace: bool) -> tuple:
    def hook(module: object, grad_input: tuple, grad_output: tuple) -> object:
        log.append(("hook", type(module).__name__, type(grad_input).__name__, len(grad_input),
                    [None if g is None else np.array(g.detach().numpy()) for g in grad_input],
                    [np.array(g.detach().numpy()) for g in grad_output]))
        return (grad_input[0] * 3,) if replace else None

    def pre_hook(module: object, grad_output: tuple) -> object:
        log.append(("pre", len(grad_output), np.array(grad_output[0].detach().numpy())))
        return (grad_output[0] * 2,) if replace else None

    h = model.register_full_backward_hook(hook)
    p = model.register_full_backward_pre_hook(pre_hook)
    tx = lib.tensor(x, requires_grad=True)
    out = model(tx)
    (out * lib.tensor(w)).sum().backward()
    h.remove()
    p.remove()
    return tx.grad, model.weight.grad


@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hooks_see_and_replace_as_torch(replace: bool) -> None:
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 4, 4, 4))
    theirs, ours = _pair("Conv2d", 3, 4, 3)
    log_t: list = []
    log_m: list = []
    gx_t, gw_t = _run(torch, theirs, x, w, log_t, replace)
    gx_m, gw_m = _run(mt, ours, x, w, log_m, replace)
    assert [e[0] for e in log_m] == [e[0] for e in log_t] == ["pre", "hook"]
    assert log_m[0][1] == log_t[0][1] == 1
    assert_close(log_m[0][2], log_t[0][2], F64, what="pre-hook grad_output")
    assert log_m[1][1:4] == log_t[1][1:4] == ("Conv2d", "tuple", 1)
    assert_close(log_m[1][4][0], log_t[1][4][0], F64, what="grad_input")
    assert_close(log_m[1][5][0], log_t[1][5][0], F64, what="grad_output (after the pre-hook)")
    assert_close(gx_m, gx_t, F64, what="input grad")
    assert_close(gw_m, gw_t, F64, what="weight grad")


def test_hook_without_input_grad_gets_none_and_may_not_replace() -> None:
    """A first layer (its input needs no grad): grad_input is (None,), the hook runs once the outputs' gradients
    are in; returning a gradient there is torch's error."""
    for lib in (torch, mt):
        seen: list = []
        layer = lib.nn.Linear(3, 2).double()
        layer.register_full_backward_hook(lambda m, gi, go, seen=seen: seen.append((gi, len(go))))
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are computed with respect "
                                             "to module outputs since no inputs require gradients"):
            layer(lib.ones(4, 3, dtype=lib.float64)).sum().backward()
        assert len(seen) == 1 and seen[0][0] == (None,) and seen[0][1] == 1
        bad = lib.nn.Linear(3, 2).double()
        bad.register_full_backward_hook(lambda m, gi, go, lib=lib: (lib.ones(4, 3),))
        with pytest.raises(RuntimeError, match="no input requires gradient should always return None"), \
                pytest.warns(UserWarning, match="Full backward hook is firing"):
            bad(lib.ones(4, 3, dtype=lib.float64)).sum().backward()


def test_hook_on_a_container_sees_its_boundary_and_wrong_counts_raise() -> None:
    """On a Sequential (Grad-CAM's layer4): grad_output is the gradient at the block's output, grad_input at its
    input; a hook returning the wrong number of gradients raises, as torch's."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    got = {}
    for name, lib in (("torch", torch), ("mt", mt)):
        torch.manual_seed(0)
        seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
        if lib is mt:
            ours = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.ReLU(), mt.nn.Linear(4, 2)).double()
            ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in seq.state_dict().items()})
            seq = ours
        store: dict = {}
        seq.register_full_backward_hook(lambda m, gi, go, store=store: store.update(gi=gi[0], go=go[0]))
        tx = lib.tensor(x, requires_grad=True)
        (seq(tx) * lib.tensor(w)).sum().backward()
        got[name] = store
        seq.register_full_backward_hook(lambda m, gi, go, lib=lib: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
            (seq(lib.tensor(x, requires_grad=True)) * lib.tensor(w)).sum().backward()
    for k in ("gi", "go"):
        assert_close(got["mt"][k], got["torch"][k], F64, what=k)


def test_no_hooks_under_no_grad_and_removal() -> None:
    calls: list = []
    layer = mt.nn.Linear(2, 2)
    handle = layer.register_full_backward_hook(lambda *a: calls.append(1))
    with mt.no_grad():
        out = layer(mt.ones(1, 2))
    assert out.grad_fn is None and calls == []
    handle.remove()
    layer(mt.ones(1, 2, requires_grad=True)).sum().backward()
    assert calls == []
