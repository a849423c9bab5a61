"""mt.jit: script/trace run eagerly; their modules share the original's state (state_dict keys as torch's scripted
and traced modules have them), calls equal the eager module's; trace checks its inputs and outputs as torch's
tracer does; save/load refuse."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import minitorch_cnn as mt


def _net(lib: object) -> object:
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3))


@pytest.mark.parametrize("how", ["script", "trace"])
def test_module_state_and_calls(how: str) -> None:
    x = np.random.default_rng(0).standard_normal((2, 1, 5, 5)).astype(np.float32)
    ours, theirs = _net(mt), _net(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch 2.14 deprecates TorchScript
        jt = torch.jit.script(theirs) if how == "script" else torch.jit.trace(theirs, torch.tensor(x))
    jm = mt.jit.script(ours) if how == "script" else mt.jit.trace(ours, mt.tensor(x))
    assert list(jm.state_dict()) == list(jt.state_dict()) == list(ours.state_dict())
    assert jm.state_dict()["0.weight"] is not None and jm[0] is ours[0] and len(jm) == 5
    assert isinstance(jm, mt.jit.ScriptModule) and isinstance(jt, torch.jit.ScriptModule)
    jm.eval()
    assert not ours.training and not ours[1].training
    np.testing.assert_array_equal(jm(mt.tensor(x)).detach().numpy(), ours(mt.tensor(x)).detach().numpy())
    jm.train()
    assert ours.training and ours[1].training
    loss = jm(mt.tensor(x)).sum()
    loss.backward()
    assert ours[0].weight.grad is not None  # the parameters are the original's


def test_functions_and_decorators() -> None:
    def f(a: mt.Tensor, b: mt.Tensor) -> tuple:
        return a + b, {"p": a * b}

    assert mt.jit.script(f) is f
    assert mt.jit.trace(f, (mt.ones(2), mt.ones(2))) is f

    class M(mt.nn.Module):
        @mt.jit.ignore
        def helper(self) -> int:
            return 1

        @mt.jit.ignore(drop=True)
        def dropped(self) -> int:
            return 2

        @mt.jit.export
        def exported(self) -> int:
            return 3

        @mt.jit.unused
        def unused(self) -> int:
            return 4

    m = mt.jit.script(M())
    assert (m.helper(), m.dropped(), m.exported(), m.unused()) == (1, 2, 3, 4)
    assert not mt.jit.is_scripting() and not mt.jit.is_tracing()
    assert mt.jit.annotate(list, [1]) == [1]


def test_old_style_script_module_subclass() -> None:
    class Scaled(mt.jit.ScriptModule):
        def __init__(self) -> None:
            super().__init__()
            self.lin = mt.nn.Linear(2, 2)

        @mt.jit.script_method
        def forward(self, x: mt.Tensor) -> mt.Tensor:
            return self.lin(x) * 2

    m = Scaled()
    assert list(m.state_dict()) == ["lin.weight", "lin.bias"]
    assert mt.equal(m(mt.ones(1, 2)), m.lin(mt.ones(1, 2)) * 2)


def test_bad_input() -> None:
    with pytest.raises(RuntimeError, match="Only tensors, lists, tuples of tensors, or dictionary of tensors can be "
                                           "output from traced functions"):
        mt.jit.trace(lambda x: 3, (mt.ones(2),))
    with pytest.raises(RuntimeError, match=r"Type 'float' cannot be traced. Only Tensors and \(possibly nested\)"):
        mt.jit.trace(lambda x: x, [1.0])
    with pytest.raises(RuntimeError, match="example_kwarg_inputs or example_inputs must be provided"):
        mt.jit.trace(lambda x: x)
    with pytest.raises(RuntimeError, match="mt.save"):
        mt.jit.save(mt.jit.script(_net(mt)), "model.pt")
    with pytest.raises(RuntimeError, match="mt.load"):
        mt.jit.load("model.pt")
    with pytest.raises(RuntimeError, match="expected a Module, a function or a class"):
        mt.jit.script(3)
