"""mt.utils.hooks.RemovableHandle against torch.utils.hooks.RemovableHandle, in both registries that use it: a
dict keyed by the handle's id (Module's hooks, torch's form) and a list of hooks (a Tensor's gradient hooks)."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch.utils.hooks

import minitorch_cnn as mt
from minitorch_cnn.utils.hooks import RemovableHandle


def test_dict_registry_behaves_as_torchs():
    for cls in (RemovableHandle, torch.utils.hooks.RemovableHandle):
        hooks = OrderedDict()
        first, second = cls(hooks), cls(hooks)
        hooks[first.id], hooks[second.id] = "a", "b"
        assert second.id > first.id
        first.remove()
        first.remove()  # a second call does nothing
        assert list(hooks.values()) == ["b"], cls
        with second:
            assert list(hooks.values()) == ["b"]
        assert not hooks, cls


def test_list_registry_removes_its_own_entry_by_identity():
    def f(g):
        return g

    def h(g):
        return g

    hooks = [f, h, f]
    handle = RemovableHandle(hooks, hook=h)
    handle.remove()
    handle.remove()
    assert hooks == [f, f]
    with RemovableHandle(hooks, hook=f):
        pass
    assert hooks == [f]
    with pytest.raises(TypeError, match="needs hook="):
        RemovableHandle([])


def test_module_hooks_return_the_shared_handle():
    layer = mt.nn.ReLU()
    calls = []
    handle = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    assert isinstance(handle, RemovableHandle)
    layer(mt.ones(2))
    with handle:
        layer(mt.ones(3))
    layer(mt.ones(4))
    assert calls == [(2,), (3,)]
