"""torch.autograd.graph's saved-tensor hooks against torch: the tutorial "Hooks for autograd saved tensors" run
with ``torch`` bound to each library (its imports changed, nothing else), then the rules one by one, each checked in
both libraries, and gradients under hooks compared with torch's from the same inputs.

What differs by design (see ``minitorch_cnn/autograd/graph.py``): which tensors a node saves is our op's choice, so
the number of packed tensors can differ from torch's (a small CNN: 17 against 20, listed in
``test_packed_counts_differ_where_our_ops_save_other_tensors``), and the order of the packs of one node.
"""

from __future__ import annotations

import contextlib
import gc
import os
import textwrap
import weakref

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close

LIBS = pytest.mark.parametrize("lib", [torch, mt], ids=["torch", "ours"])


def _run(lib, src: str, **names) -> dict:
    """The tutorial's code ``src`` with ``torch`` (and ``nn``) bound to ``lib``: the port changes the imports only."""
    ns = {"torch": lib, "nn": lib.nn, "os": os, **names}
    exec(textwrap.dedent(src), ns)  # noqa: S102 - the tutorial's own code, from this file
    return ns


# ---- the tutorial, section by section ---------------------------------------------------------------------------

SAVED = """
a = torch.randn(5, requires_grad=True)
b = torch.ones(5, requires_grad=True)
y = a * b
self_is_a, other_is_b = y.grad_fn._saved_self is a, y.grad_fn._saved_other is b
a = torch.randn(5, requires_grad=True)
y = torch.exp(a)
result_equal, result_is_y = y.grad_fn._saved_result.equal(y), y.grad_fn._saved_result is y
"""

HOOKS = """
log = []
def pack_hook(x):
    log.append(("Packing", x.tolist(), x.requires_grad, x.grad_fn is not None))
    return x

def unpack_hook(x):
    log.append(("Unpacking", x.tolist(), x.requires_grad, x.grad_fn is not None))
    return x
a = torch.ones(5, requires_grad=True)
b = torch.ones(5, requires_grad=True) * 2

with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = a * b
packs_in_forward = len(log)
y.sum().backward()

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda x: x * 4, lambda x: x / 4):
    y = torch.pow(x, 2)
y.sum().backward()
assert(x.grad.equal(2 * x))
"""

UNCONVENTIONAL = """
storage = []

def pack(x):
    storage.append(x)
    return len(storage) - 1

def unpack(x):
    return storage[x]

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x * x
y.sum().backward()

assert(x.grad.equal(2 * x))

def pack(x):
    delta = torch.randn(*x.size())
    return x - delta, lambda x: x + delta

def unpack(packed):
    x, f = packed
    return f(x)


x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
    y = x * x
y.sum().backward()

assert(torch.allclose(x.grad, 2 * x))

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(lambda x: repr(x), lambda x: eval("torch." + x)):
    y = x * x
y.sum().backward()
assert(torch.all(x.grad - 2 * x <= 1e-4))
"""

# the tutorial passes ``pack, unpack`` (the previous section's) to the first context here: a slip; these are its hooks
CPU = """
def pack_hook(x):
    return (x.device, x.cpu())

def unpack_hook(packed):
    device, tensor = packed
    return tensor.to(device)

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = x * x
y.sum().backward()

assert torch.allclose(x.grad, (2 * x))

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(5))

    def forward(self, x):
        with torch.autograd.graph.save_on_cpu(pin_memory=True):
            # some computation
            return self.w * x

x = torch.randn(5)
model = Model()
loss = model(x).sum()
loss.backward()
assert model.w.grad.equal(x)

class SaveToCpu(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        with torch.autograd.graph.save_on_cpu(pin_memory=True):
            return self.module(*args, **kwargs)

model = nn.Sequential(
    nn.Linear(10, 100),
    SaveToCpu(nn.Linear(100, 100)),
    nn.Linear(100, 10),
)

x = torch.randn(10)
loss = model(x).sum()
loss.backward()
"""

# ``tmp_dir`` comes from the test (the tutorial's tempfile.TemporaryDirectory); the last pack_hook's
# ``torch.save(tensor, ...)`` is the tutorial's slip for ``torch.save(x, ...)``
DISK = """
import uuid

def pack_hook(tensor):
    name = os.path.join(tmp_dir, str(uuid.uuid4()))
    torch.save(tensor, name)
    return name

def unpack_hook(name):
    tensor = torch.load(name)
    os.remove(name)
    return tensor

x = torch.ones(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = x.pow(2)
first = y.grad_fn._saved_self.tolist()
try:
    print(y.grad_fn._saved_self)
    double_access = "Double access succeeded!"
except Exception:
    double_access = "Double access failed!"

class SelfDeletingTempFile():
    def __init__(self):
        self.name = os.path.join(tmp_dir, str(uuid.uuid4()))

    def __del__(self):
        os.remove(self.name)

def pack_hook(tensor):
    temp_file = SelfDeletingTempFile()
    torch.save(tensor, temp_file.name)
    return temp_file

def unpack_hook(temp_file):
    return torch.load(temp_file.name)

def f(x):
    return x * x

x = torch.randn(5, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = f(f(f(x)))
files_before_backward = len(os.listdir(tmp_dir))
y.sum().backward()
files_after_backward = len(os.listdir(tmp_dir))

SAVE_ON_DISK_THRESHOLD = 1000

def pack_hook(x):
    if x.numel() < SAVE_ON_DISK_THRESHOLD:
        return x
    temp_file = SelfDeletingTempFile()
    torch.save(x, temp_file.name)
    return temp_file

def unpack_hook(tensor_or_sctf):
    if isinstance(tensor_or_sctf, torch.Tensor):
        return tensor_or_sctf
    return torch.load(tensor_or_sctf.name)

class SaveToDisk(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
            return self.module(*args, **kwargs)

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(2000))

    def forward(self, x):
        return self.w * x

net = nn.DataParallel(SaveToDisk(Model()))
x = torch.randn(2000)
loss = net(x).sum()
files_in_model = len(os.listdir(tmp_dir))
loss.backward()
assert net.module.module.w.grad.equal(x)
files_after_model = len(os.listdir(tmp_dir))
"""


def test_tutorial_saved_tensors_are_the_inputs_and_a_copy_of_the_result() -> None:
    ours, theirs = _run(mt, SAVED), _run(torch, SAVED)
    for key in ("self_is_a", "other_is_b", "result_equal", "result_is_y"):
        assert ours[key] == theirs[key], key
    assert (ours["self_is_a"], ours["result_is_y"]) == (True, False)


def test_tutorial_pack_and_unpack_hooks_see_the_saved_tensors() -> None:
    ours, theirs = _run(mt, HOOKS), _run(torch, HOOKS)
    assert ours["packs_in_forward"] == theirs["packs_in_forward"] == 2
    # the same tensors (values, requires_grad, has a grad_fn) packed, then unpacked in backward; torch packs a
    # node's `other` before its `self`, ours in the order the op stored them
    assert sorted(ours["log"]) == sorted(theirs["log"])
    assert len(ours["log"]) == 4


def test_tutorial_unconventional_packed_objects() -> None:
    ours, theirs = _run(mt, UNCONVENTIONAL), _run(torch, UNCONVENTIONAL)
    assert len(ours["storage"]) == len(theirs["storage"]) == 2  # x * x saves x twice, in both


def test_tutorial_saving_to_cpu() -> None:
    _run(torch, CPU)
    _run(mt, CPU)


def test_tutorial_saving_to_disk(tmp_path) -> None:
    got = {}
    for lib in (torch, mt):
        d = tmp_path / lib.__name__
        d.mkdir()
        ns = _run(lib, DISK, tmp_dir=str(d))
        got[lib] = {k: ns[k] for k in ("double_access", "files_before_backward", "files_after_backward",
                                       "files_in_model", "files_after_model")}
        assert ns["first"] == [1.0] * 5
    assert got[mt] == got[torch]
    # f(f(f(x))): three products, each saving its two factors, on disk until backward frees them
    assert got[mt] == {"double_access": "Double access failed!", "files_before_backward": 6,
                       "files_after_backward": 0, "files_in_model": 1, "files_after_model": 0}


# ---- the rules, each in both libraries ---------------------------------------------------------------------------


def _pair(shape, seed=0):
    """The same float64 leaf in both libraries."""
    a = np.random.default_rng(seed).standard_normal(shape)
    return mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


@LIBS
def test_hooks_run_with_grad_mode_off_and_only_for_recorded_nodes(lib) -> None:
    modes, packs = [], []
    x = lib.randn(3, requires_grad=True)

    def pack(t):
        modes.append(lib.is_grad_enabled())
        packs.append(t)
        return t * 4  # under grad mode off: records nothing, saves nothing

    def unpack(t):
        modes.append(lib.is_grad_enabled())
        return t / 4

    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        with lib.no_grad():
            x * x
        x.detach() * x.detach()
        assert packs == []
        y = x * x
    assert len(packs) == 2 and all(t is x for t in packs)  # the input Tensor itself, as torch
    y.backward(lib.ones(3))
    assert modes == [False] * 4
    assert lib.equal(x.grad, 2 * x)


@LIBS
def test_nested_contexts_apply_the_innermost_pair(lib) -> None:
    x = lib.randn(3, requires_grad=True)
    log = []
    graph = lib.autograd.graph
    with graph.saved_tensors_hooks(lambda t: log.append("outer") or t, lambda t: t):
        with graph.saved_tensors_hooks(lambda t: log.append("inner") or t, lambda t: t):
            x.exp()
        x.exp()
    x.exp()
    assert log == ["inner", "outer"]


@LIBS
def test_unpack_must_return_a_tensor(lib) -> None:
    x = lib.randn(3, requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = x.exp()
    with pytest.raises(TypeError, match="Output of saved tensor unpack_hook expected to be a Tensor but got result "
                                        "of type int"):
        _ = y.grad_fn._saved_result
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor"):
        y.sum().backward()


@LIBS
def test_a_pack_hook_error_propagates(lib) -> None:
    x = lib.randn(3, requires_grad=True)

    def boom(t):
        raise ValueError("boom")

    with lib.autograd.graph.saved_tensors_hooks(boom, lambda t: t), pytest.raises(ValueError, match="boom"):
        x * x


@LIBS
def test_disable_saved_tensors_hooks(lib) -> None:
    graph = lib.autograd.graph
    x = lib.randn(3, requires_grad=True)
    with graph.disable_saved_tensors_hooks("hooks are off here"):
        with pytest.raises(RuntimeError, match="hooks are off here"):
            with graph.save_on_cpu():
                pass
        y = x.pow(2)
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)  # per-tensor hooks stay allowed
    with graph.saved_tensors_hooks(lambda t: t, lambda t: t):  # open again after the context
        with pytest.raises(RuntimeError, match="not while hooks are open"):
            with graph.disable_saved_tensors_hooks("not while hooks are open"):
                pass
        x.exp()


@LIBS
def test_hooks_must_be_callable(lib) -> None:
    with pytest.raises(TypeError):
        with lib.autograd.graph.saved_tensors_hooks(1, 2):
            pass


@LIBS
def test_retained_graph_unpacks_on_every_backward_and_frees_the_packed_objects_after_the_last(lib) -> None:
    class Box:
        def __init__(self, t):
            self.t = t

    x = lib.randn(3, requires_grad=True)
    unpacks, boxes = [], []

    def pack(t):
        boxes.append(weakref.ref(box := Box(t.detach().clone())))
        return box

    with lib.autograd.graph.saved_tensors_hooks(pack, lambda b: unpacks.append(1) or b.t):
        y = x * x
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert len(unpacks) == 4
    gc.collect()
    assert [r() for r in boxes] == [None, None]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        _ = y.grad_fn._saved_self
    assert lib.equal(x.grad, 4 * x)


@LIBS
def test_a_packed_output_written_in_place_is_read_back_through_the_hooks(lib) -> None:
    x = lib.randn(3, requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp()
    y.add_(1)  # no version error once packed: backward reads what unpack_hook gives, the written tensor
    y.backward(lib.ones(3))
    assert lib.allclose(x.grad, x.exp() + 1)


@LIBS
def test_register_hooks_on_one_saved_tensor(lib) -> None:
    x = lib.randn(3, requires_grad=True)
    y = x.pow(2)
    log = []
    raw = y.grad_fn._raw_saved_self
    raw.register_hooks(lambda t: log.append(("pack", t.requires_grad)) or t * 4,
                       lambda t: log.append(("unpack",)) or t / 4)
    assert log == [("pack", False)]  # packed at once, its data without autograd history (torch's)
    with pytest.raises(RuntimeError, match="hooks have already been set"):
        raw.register_hooks(lambda t: t, lambda t: t)
    saved = y.grad_fn._saved_self
    assert saved.requires_grad and saved.grad_fn is None and lib.equal(saved, x)
    y.backward(lib.ones(3))
    assert log == [("pack", False), ("unpack",), ("unpack",)]
    assert lib.equal(x.grad, 2 * x)
    with pytest.raises(RuntimeError, match="register_hooks on a saved tensor after it has been freed"):
        raw.register_hooks(lambda t: t, lambda t: t)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.pow(2)
    with pytest.raises(RuntimeError, match="hooks have already been set"):
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)


@LIBS
def test_saved_attributes_as_torch(lib) -> None:
    a = lib.randn(3, requires_grad=True)
    b = lib.randn(3)
    y = a * b
    assert y.grad_fn._saved_self is None  # a's gradient needs b only: a is not saved
    with pytest.raises(RuntimeError, match="saved tensor with value None is forbidden"):
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    assert lib.equal(y.grad_fn._saved_other, b)
    with pytest.raises(AttributeError, match="_saved_foo"):
        _ = y.grad_fn._saved_foo
    h = (a * 2).exp()
    r = h.grad_fn._saved_result
    assert r is not h and lib.equal(r, h) and r.grad_fn is h.grad_fn
    assert lib.equal(a.sigmoid().grad_fn._saved_result, a.sigmoid())


# ---- custom Functions: what save_for_backward got ---------------------------------------------------------------


def _custom(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            out = a * b
            ctx.save_for_backward(a, None, out)
            return out

        @staticmethod
        def backward(ctx, g):
            a, none, out = ctx.saved_tensors
            assert none is None and a.requires_grad and out.grad_fn is not None
            return g * out / a, g * a

    return Scale


@LIBS
def test_custom_function_save_for_backward_is_packed_and_unpacked_on_each_read(lib) -> None:
    a = lib.randn(3, requires_grad=True)
    b = lib.randn(3, requires_grad=True)
    seen, unpacks = [], []
    with lib.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t) or t * 4,
                                                lambda t: unpacks.append(1) or t / 4):
        y = _custom(lib).apply(a, b)
    assert len(seen) == 2 and seen[0] is a and seen[1].grad_fn is y.grad_fn  # None skipped; the output linked
    y.backward(lib.ones(3))
    assert len(unpacks) == 2
    assert lib.allclose(a.grad, b) and lib.equal(b.grad, a)


def test_custom_function_gradients_under_hooks_equal_torchs() -> None:
    (a, ta), (b, tb) = _pair(4, 1), _pair(4, 2)
    g = np.random.default_rng(3).standard_normal(4)
    for lib, x, w in ((mt, a, b), (torch, ta, tb)):
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            y = _custom(lib).apply(x, w)
        y.backward(lib.tensor(g))
    assert_close(a.grad, ta.grad, np.float64)
    assert_close(b.grad, tb.grad, np.float64)


# ---- a network under hooks: gradients identical to ours without hooks, equal to torch's -------------------------


def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 3 * 3, 5), nn.Tanh(), nn.Linear(5, 3)).double()


def _nets():
    mt.manual_seed(0)
    ours, theirs = _net(mt), _net(torch)
    theirs.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def _grads(lib, net, x, target, hooks):
    net.zero_grad()
    if hooks is None:
        loss = lib.nn.functional.cross_entropy(net(x), target)
    else:
        with hooks:
            loss = lib.nn.functional.cross_entropy(net(x), target)
    loss.backward()
    return [p.grad for p in net.parameters()]


def _disk_like(lib):
    """Hooks that keep nothing of the tensor: its bytes, rebuilt in unpack (what saving to disk does)."""
    def pack(t):
        a = t.detach().numpy()
        return a.tobytes(), a.shape, a.dtype

    def unpack(p):
        raw, shape, dtype = p
        return lib.tensor(np.frombuffer(raw, dtype=dtype).reshape(shape).copy())

    return lib.autograd.graph.saved_tensors_hooks(pack, unpack)


@pytest.mark.parametrize("hooks", ["disk_like", "save_on_cpu"])
def test_network_gradients_under_hooks_are_ours_without_hooks_and_torchs(hooks) -> None:
    ours, theirs = _nets()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 6, 6))
    target = rng.integers(0, 3, 3)
    plain = _grads(mt, ours, mt.tensor(x), mt.tensor(target), None)
    make = {"disk_like": _disk_like, "save_on_cpu": lambda lib: lib.autograd.graph.save_on_cpu()}[hooks]
    hooked = _grads(mt, ours, mt.tensor(x), mt.tensor(target), make(mt))
    ref = _grads(torch, theirs, torch.tensor(x), torch.tensor(target), make(torch))
    for p, h, r in zip(plain, hooked, ref):
        assert np.array_equal(p.numpy(), h.numpy())  # packing changes nothing of the arithmetic
        assert_close(h, r, np.float64)


def test_in_place_ops_under_hooks_give_torchs_gradients_and_counts() -> None:
    (x, tx) = _pair(4, 7)
    g = np.arange(4.0)
    counts = []
    for lib, v in ((mt, x), (torch, tx)):
        n = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t, n=n: n.append(t) or t.detach().clone(), lambda t: t):
            y = v * 2
            y.exp_()
            z = y.sigmoid()
            z.relu_()
        (z * lib.tensor(g)).sum().backward()
        counts.append(len(n))
    assert counts[0] == counts[1] == 3
    assert_close(x.grad, tx.grad, np.float64)


def test_second_order_under_hooks_equals_torchs() -> None:
    (x, tx) = _pair(5, 5)
    for lib, v in ((mt, x), (torch, tx)):
        with _disk_like(lib):
            y = (v.exp() * v).pow(3).sum()
        (g,) = lib.autograd.grad(y, v, create_graph=True)
        g.backward(lib.tensor(np.linspace(-1, 1, 5)))
    assert_close(x.grad, tx.grad, np.float64)


def test_packing_to_bytes_frees_the_saved_arrays_before_backward() -> None:
    x = mt.randn(1000, dtype=mt.float64, requires_grad=True)
    alive, arrays_on_node = {}, {}
    for name, hooks in (("plain", contextlib.nullcontext()), ("packed", _disk_like(mt))):
        with hooks:
            h = x * x
            y = h * h  # saves h, twice
        r = weakref.ref(h._data)
        del h
        gc.collect()
        alive[name] = r() is not None
        arrays_on_node[name] = sum(isinstance(v, np.ndarray) for v in y.grad_fn.__dict__.values())
        y.backward(mt.ones(1000, dtype=mt.float64))
        assert_close(x.grad, 4 * x.detach() ** 3, np.float64)
        x.grad = None
    # without hooks the node keeps h's array for backward; packed to bytes, the array itself is gone at once
    assert alive == {"plain": True, "packed": False}
    assert arrays_on_node == {"plain": 2, "packed": 0}


def test_packed_counts_differ_where_our_ops_save_other_tensors() -> None:
    """The pack count of one conv + batch-norm + ReLU + max-pool + linear + tanh + linear + cross-entropy forward,
    made visible (17 ours, 20 torch's), all of them Tensors in both. Where they differ:

    - conv: ours its input only (the weight is needed for the input's gradient, which this input does not need);
      torch's input and weight;
    - batch-norm: ours its input (as an (N, C, H*W) view, so a Tensor without history), the batch mean and variance
      and the weight; torch's input, weight, running mean and var, saved mean and inverse std;
    - max-pool: ours the argmax indices; torch's the indices and its input (the ReLU's output, packed twice there);
    - linear: ours the input and W; torch's the input and W.t() (a TBackward0 view);
    - cross-entropy: ours the softmax, the target, the per-sample weights and the ignored-entries mask; torch's the
      log-softmax output twice (its own node and nll_loss's), the target and the total weight.

    The values and the gradients are the same (``test_network_gradients_under_hooks_are_ours_without_hooks_and_
    torchs``); only what is stored differs."""
    ours, theirs = _nets()
    rng = np.random.default_rng(6)
    x, target = rng.standard_normal((3, 2, 6, 6)), rng.integers(0, 3, 3)
    counts = {}
    for lib, net in ((mt, ours), (torch, theirs)):
        n = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t, n=n: n.append(t) or t, lambda t: t):
            lib.nn.functional.cross_entropy(net(lib.tensor(x)), lib.tensor(target))
        counts[lib.__name__] = len(n)
        assert all(isinstance(t, lib.Tensor) for t in n)
    assert counts == {"minitorch_cnn": 17, "torch": 20}
