"""ParameterList, ParameterDict and nn.Buffer against torch's: keys in state_dict and named_parameters, conversion of
plain tensors to parameters, appending, indexing, iteration, extend/update/pop, ``to()``, reprs and errors; a model
holding them trains to the same gradients as torch's and loads torch's state_dict."""

from __future__ import annotations

import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402

rng = np.random.default_rng(0)
A, B, C = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 2))


def _list(lib):
    pl = lib.nn.ParameterList([lib.nn.Parameter(lib.tensor(A)), lib.tensor(B)])
    pl.append(lib.tensor(C.astype(np.float32)))
    return pl


def test_parameter_list_keys_types_and_repr_match_torch() -> None:
    ours, theirs = _list(mt), _list(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "2"]
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert all(isinstance(p, mt.nn.Parameter) for p in ours) and len(ours) == 3
    assert repr(ours) == repr(theirs)
    assert repr(mt.nn.ParameterList()) == repr(torch.nn.ParameterList())
    for i in (0, 1, -1):
        assert_close(ours[i], theirs[i].detach(), np.float64)
    assert repr(ours[1:]) == repr(theirs[1:]) and ours[1:][0] is ours[1]


def test_parameter_list_holds_other_objects_and_extends() -> None:
    ours, theirs = mt.nn.ParameterList([mt.ones(2), 3, "x"]), torch.nn.ParameterList([torch.ones(2), 3, "x"])
    assert repr(ours) == repr(theirs) and ours[1] == 3 and list(ours.state_dict()) == ["0"]
    ours.extend([mt.zeros(1)])
    ours += [mt.zeros(3)]
    theirs.extend([torch.zeros(1)])
    theirs += [torch.zeros(3)]
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "3", "4"]
    ours[0] = mt.full((5,), 2.0)
    assert isinstance(ours[0], mt.nn.Parameter) and tuple(ours[0].shape) == (5,)


def test_parameter_dict_keys_order_repr_and_methods_match_torch() -> None:
    ours = mt.nn.ParameterDict({"b": mt.tensor(B), "a": mt.nn.Parameter(mt.tensor(A))})
    theirs = torch.nn.ParameterDict({"b": torch.tensor(B), "a": torch.nn.Parameter(torch.tensor(A))})
    assert list(ours.keys()) == list(theirs.keys()) == ["a", "b"]  # a plain dict is taken sorted
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours.update(OrderedDict([("z", mt.ones(1)), ("c", mt.ones(2))]))
    theirs.update(OrderedDict([("z", torch.ones(1)), ("c", torch.ones(2))]))
    ours.update([("y", mt.zeros(3))])
    theirs.update([("y", torch.zeros(3))])
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["a", "b", "z", "c", "y"]
    assert isinstance(ours["y"], mt.nn.Parameter) and "z" in ours and ours.get("nope", 7) == 7
    assert tuple(ours.pop("z").shape) == (1,) and ours.popitem()[0] == "y" and list(reversed(ours)) == ["c", "b", "a"]
    assert isinstance(ours.setdefault("d", mt.ones(2)), mt.nn.Parameter) and len(ours) == 4
    merged = ours | {"e": mt.ones(1)}
    assert list(merged.keys()) == ["a", "b", "c", "d", "e"] and "e" not in ours
    del ours["a"]
    assert list(ours.state_dict()) == ["b", "c", "d"]
    assert list(ours.fromkeys(["p", "q"], mt.ones(1)).keys()) == ["p", "q"]
    ours.clear()
    assert len(ours) == 0 and list(ours.parameters()) == []


class _Net:
    """A torch/mt model holding a ParameterList, a ParameterDict and an nn.Buffer, built the same in both."""

    @staticmethod
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.weights = lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(4, 3)), lib.nn.Parameter(lib.zeros(3))])
                self.extra = lib.nn.ParameterDict({"scale": lib.nn.Parameter(lib.ones(3))})
                self.shift = lib.nn.Buffer(lib.full((3,), 0.5))
                self.scratch = lib.nn.Buffer(lib.zeros(3), persistent=False)

            def forward(self, x):
                return ((x @ self.weights[0] + self.weights[1]) * self.extra["scale"] + self.shift).tanh()

        return Net()


def test_model_with_parameter_containers_matches_torch() -> None:
    theirs = _Net.build(torch).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    ours = _Net.build(mt).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["shift", "weights.0", "weights.1", "extra.scale"]
    assert [k for k, _ in ours.named_buffers()] == [k for k, _ in theirs.named_buffers()] == ["shift", "scratch"]
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    x, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    ty, my = theirs(torch.tensor(x)), ours(mt.tensor(x))
    ty.backward(torch.tensor(g))
    my.backward(mt.tensor(g))
    assert_close(my, ty.detach(), np.float64, what="output")
    for (k, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, np.float64, what=f"grad {k}")
    assert repr(ours).replace("Net", "") == repr(theirs).replace("Net", "")


def test_to_keeps_parameter_identity_and_converts() -> None:
    pl = mt.nn.ParameterList([mt.ones(2)])
    pd = mt.nn.ParameterDict({"a": mt.ones(2)})
    first, entry = pl[0], pd["a"]
    pl.to(mt.float64)
    pd.to(mt.float64)
    assert pl[0] is first and pd["a"] is entry and first.dtype == entry.dtype == mt.float64


def test_buffer_shares_storage_and_registers() -> None:
    data = mt.zeros(3)
    buf = mt.nn.Buffer(data)
    m = mt.nn.Module()
    m.buf = buf
    data += 1
    assert np.array_equal(m.buf.numpy(), [1.0, 1.0, 1.0]) and list(m.state_dict()) == ["buf"]
    m.buf = mt.nn.Buffer(mt.zeros(2), persistent=False)
    assert list(m.state_dict()) == [] and [k for k, _ in m.named_buffers()] == ["buf"]
    assert tuple(mt.nn.Buffer().shape) == tuple(torch.nn.Buffer().shape) == (0,)


ERRORS = [
    (lambda lib: lib.nn.ParameterList([lib.ones(1)])[3], IndexError, "index 3 is out of range"),
    (lambda lib: lib.nn.ParameterList().extend(lib.ones(3)), TypeError,
     "ParameterList.extend should be called with an iterable, but got Tensor"),
    (lambda lib: lib.nn.ParameterList()(1), RuntimeError, "ParameterList should not be called."),
    (lambda lib: lib.nn.ParameterDict()[1], TypeError, "cannot be used as a key as it is not a string"),
    (lambda lib: lib.nn.ParameterDict().update(5), TypeError, "should be called with an iterable of key/value pairs"),
    (lambda lib: lib.nn.ParameterDict().update([("a",)]), ValueError, "element #0 has length 1; 2 is required"),
    (lambda lib: lib.nn.ParameterDict().update([3]), TypeError, "element #0 should be Iterable"),
    (lambda lib: lib.nn.ParameterDict()["x"], AttributeError, "'ParameterDict' object has no attribute 'x'"),
    (lambda lib: lib.nn.ParameterDict()(1), RuntimeError, "ParameterDict should not be called."),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors_as_torch(index: int) -> None:
    call, exc, match = ERRORS[index]
    with pytest.raises(exc, match=match):
        call(torch)
    with pytest.raises(exc, match=match):
        call(mt)


def test_containers_and_buffers_survive_deepcopy_and_pickle() -> None:
    import copy
    import pickle

    m = mt.nn.Module()
    m.weights = mt.nn.ParameterList([mt.ones(2), mt.zeros(3)])
    m.extra = mt.nn.ParameterDict({"a": mt.ones(2)})
    m.kept = mt.nn.Buffer(mt.ones(1))
    m.scratch = mt.nn.Buffer(mt.zeros(1), persistent=False)
    for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert list(twin.state_dict()) == ["kept", "weights.0", "weights.1", "extra.a"]
        assert twin.scratch.persistent is False and twin.kept.persistent is True
        assert twin.weights[0] is not m.weights[0] and isinstance(twin.weights[1], mt.nn.Parameter)
        twin.again = twin.scratch  # a Buffer keeps its persistence when assigned anew
        assert "again" not in twin.state_dict()
