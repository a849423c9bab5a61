"""Module bookkeeping against torch.nn.Module: registration, traversal names, train/eval, zero_grad, apply, hooks,
state_dict keys and values both ways, load_state_dict's strictness and errors, device/dtype moves that keep
parameter identity, the nested repr, the containers and Parameter."""

from __future__ import annotations

import copy
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import assert_close, assert_f32_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn import nn  # noqa: E402


def twin(lib):
    """The same small architecture in torch (lib=torch) or here (lib=mt): nested modules, every container,
    a persistent and a non-persistent buffer."""
    L = lib.nn

    class Block(L.Module):
        def __init__(self):
            super().__init__()
            self.conv = L.Conv2d(3, 4, 3, padding=1)
            self.bn = L.BatchNorm2d(4)
            self.register_buffer("scale", lib.ones(4) * 2)
            self.register_buffer("cache", lib.zeros(2), persistent=False)

        def forward(self, x):
            return L.functional.relu(self.bn(self.conv(x))) * self.scale.reshape(1, 4, 1, 1)

    class Net(L.Module):
        def __init__(self):
            super().__init__()
            self.features = L.Sequential(Block(), L.MaxPool2d(2), L.Flatten())
            self.heads = L.ModuleList([L.Linear(16, 5), L.Linear(16, 5)])
            self.extra = L.ModuleDict({"drop": L.Dropout(0.2), "act": L.Tanh()})
            self.out = L.Linear(5, 3, bias=False)

        def forward(self, x):
            h = self.features(x)
            h = self.extra["act"](self.heads[0](h) + self.heads[1](h))
            return self.out(self.extra["drop"](h))

    return Net()


def _loaded_pair(dtype=np.float64):
    theirs = twin(torch).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = twin(mt).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


# ---- registration and traversal ------------------------------------------------------------------------
def test_traversal_names_match_torch():
    ours, theirs = twin(mt), twin(torch)
    for method in ("named_parameters", "named_buffers", "named_children", "named_modules"):
        assert [n for n, _ in getattr(ours, method)()] == [n for n, _ in getattr(theirs, method)()], method
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "features.0.cache" not in ours.state_dict()  # non-persistent buffer: in buffers(), not in state_dict
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours.parameters())


def test_shared_submodules_are_traversed_once_but_keyed_twice():
    lin = nn.Linear(3, 3)
    net = nn.Sequential(lin, nn.ReLU(), lin)
    tlin = torch.nn.Linear(3, 3)
    tnet = torch.nn.Sequential(tlin, torch.nn.ReLU(), tlin)
    assert len(list(net.parameters())) == len(list(tnet.parameters())) == 2
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]


def test_setattr_registers_and_rejects_as_torch():
    m = nn.Module()
    m.w = nn.Parameter(mt.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("buf", mt.ones(2))
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and list(m._buffers) == ["buf"]
    assert "plain" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = mt.zeros(2)
    m.w = None
    assert m.w is None and list(m.parameters()) == list(m.sub.parameters())
    m.buf = mt.zeros(3)  # a plain Tensor replaces a buffer
    assert m.buf.shape == (3,)
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", mt.ones(1))
    with pytest.raises(KeyError, match='parameter name must be non-empty and contain no "."'):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        m.register_parameter("q", mt.ones(1))
    del m.sub
    assert "sub" not in m._modules and not hasattr(m, "sub")
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nothing'"):
        _ = m.nothing

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(mt.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Early()


def test_forward_missing_raises():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward" function'):
        nn.Module()(mt.ones(1))


def test_train_eval_apply_zero_grad_requires_grad():
    net = twin(mt)
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")
    order, torch_order = [], []
    net.apply(lambda m: order.append(type(m).__name__))
    twin(torch).apply(lambda m: torch_order.append(type(m).__name__))
    assert order == torch_order and order[0] == "Conv2d" and order[-1] == "Net"  # children first
    out = net(mt.randn(2, 3, 4, 4))
    out.backward(mt.ones(*out.shape))
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.get_submodule("features.0.bn") is net.features[0].bn


def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(2, 2)
    seen = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    h3 = lin.register_forward_hook(lambda m, args, out: out + 1)
    h4 = lin.register_forward_hook(lambda m, args, out: seen.append("first"), prepend=True)
    y = lin(mt.randn(4, 2))
    np.testing.assert_allclose(y.detach().numpy(), np.broadcast_to(lin.bias.detach().numpy() + 1, (4, 2)), rtol=1e-6)
    assert seen == ["first", (4, 2)]
    for h in (h1, h2, h3, h4):
        h.remove()
    x = mt.randn(4, 2)
    with lin.register_forward_hook(lambda m, args, out: out * 0):
        assert not lin(x).detach().numpy().any()
    assert lin(x).detach().numpy().any() and seen == ["first", (4, 2)]


# ---- state_dict -------------------------------------------------------------------------------------
def test_state_dict_values_are_detached_tensors_sharing_memory():
    lin = nn.Linear(3, 2)
    sd = lin.state_dict()
    assert type(sd) is OrderedDict and list(sd) == ["weight", "bias"]
    assert type(sd["weight"]) is mt.Tensor and not sd["weight"].requires_grad
    assert np.shares_memory(sd["weight"].numpy(), lin.weight.detach().numpy())
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_state_dict_loads_and_gives_the_same_outputs_and_gradients(dtype):
    ours, theirs = _loaded_pair(dtype)
    for m in (ours, theirs):
        m.eval()  # dropout off; BN on its (loaded) running statistics
    with torch.no_grad():
        for name, buf in theirs.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(torch.linspace(-0.5, 0.5, buf.numel()))
    ours.load_state_dict(theirs.state_dict())
    exact = copy.deepcopy(theirs).double()  # float32 runs: the float64 truth from the same parameters
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(dtype)
    g = np.random.default_rng(1).standard_normal(tuple(exact(torch.tensor(x, dtype=torch.float64)).shape))
    results = []
    for model, lib, dt in ((ours, mt, dtype), (theirs, torch, dtype), (exact, torch, np.float64)):
        xl = lib.tensor(x.astype(dt), requires_grad=True)
        y = model(xl)
        y.backward(lib.tensor(g.astype(dtype).astype(dt)))
        results.append([y, xl.grad] + [p.grad for p in model.parameters()])
    names = ["y", "dx"] + [name for name, _ in ours.named_parameters()]
    for name, a, b, truth in zip(names, *results):
        if dtype == np.float64:
            assert_close(a, b, dtype, what=name)
        else:  # a whole model: 1e-4 of the float64 truth (DESIGN.md) or torch's own float32 error
            assert_f32_close(a, truth, torch32=b, rtol=1e-4, what=name)


def test_our_state_dict_loads_into_torch_exactly():
    ours, theirs = twin(mt).double(), twin(torch).double()
    ours(mt.randn(4, 3, 4, 4, dtype=mt.float64))  # a training step moves the BN buffers
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    assert theirs.features[0].bn.num_batches_tracked.item() == 1


def test_load_accepts_numpy_arrays_and_casts_to_each_tensors_dtype():
    lin = nn.Linear(3, 2)
    w = np.arange(6, dtype=np.float64).reshape(2, 3)
    result = lin.load_state_dict({"weight": w, "bias": np.zeros(2)})
    assert repr(result) == "<All keys matched successfully>" and result.missing_keys == []
    assert lin.weight.dtype == np.float32 and np.array_equal(lin.weight.detach().numpy(), w)


def test_load_lists_every_problem_in_one_error_and_copies_nothing():
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = {k: v.numpy() * 0 + 7 for k, v in net.state_dict().items()}
    del bad["0.bias"], bad["1.running_var"]
    bad["0.weight"] = np.zeros((3, 3))
    bad["2.weight"] = np.zeros(1)
    bad["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "0.bias", "1.running_var".' in msg
    assert 'Unexpected key(s) in state_dict: "2.weight", "extra".' in msg
    assert ("size mismatch for 0.weight: copying a param with shape (3, 3) from checkpoint, the shape in current "
            "model is (2, 3).") in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


def test_non_strict_load_returns_the_keys_as_torch():
    sd = {"0.weight": np.ones((2, 3)), "zzz": np.ones(1)}
    ours = nn.Sequential(nn.Linear(3, 2)).load_state_dict(sd, strict=False)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2)).load_state_dict(
        {k: torch.tensor(v, dtype=torch.float32) for k, v in sd.items()}, strict=False)
    assert ours.missing_keys == theirs.missing_keys == ["0.bias"]
    assert ours.unexpected_keys == theirs.unexpected_keys == ["zzz"]
    assert ours == (["0.bias"], ["zzz"])
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):  # shapes are checked even when not strict
        nn.Sequential(nn.Linear(3, 2)).load_state_dict({"0.weight": np.ones((3, 3))}, strict=False)


def test_batchnorm_without_num_batches_tracked_loads_as_torch():
    bn = nn.BatchNorm1d(2)
    sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(sd).missing_keys == []


# ---- devices and dtypes ------------------------------------------------------------------------------------
def test_double_and_float_cast_parameters_and_buffers_in_place():
    net = twin(mt)
    params = list(net.parameters())
    net(mt.randn(2, 3, 4, 4)).sum().backward()
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]  # optimizers built before stay valid
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in net.parameters())
    bn = net.features[0].bn
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    net.to(mt.float32)
    assert all(p.dtype == np.float32 for p in net.parameters()) and bn.running_var.dtype == np.float32
    net.to("cpu").cpu()
    assert all(p.device == mt.device("cpu") for p in net.parameters())
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        net.to(mt.int64)
    like = mt.zeros(1, dtype=mt.float64)
    assert net.to(like).out.weight.dtype == np.float64


@pytest.mark.skipif(not mt.cuda.is_available(), reason="CUDA is not available")
def test_cuda_moves_parameters_and_buffers():
    net = twin(mt).cuda()
    assert all(p.is_cuda for p in net.parameters()) and net.features[0].bn.running_mean.is_cuda
    assert net(mt.randn(2, 3, 4, 4).cuda()).is_cuda


# ---- repr --------------------------------------------------------------------------------------------------
def test_repr_matches_torch_for_nested_models_and_containers():
    assert repr(twin(mt)) == repr(twin(torch))
    blocks = [nn.Linear(4, 4) for _ in range(3)] + [nn.ReLU()]
    tblocks = [torch.nn.Linear(4, 4) for _ in range(3)] + [torch.nn.ReLU()]
    assert repr(nn.ModuleList(blocks)) == repr(torch.nn.ModuleList(tblocks))  # "(0-2): 3 x Linear(...)"
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential())
    od = OrderedDict(conv=nn.Conv2d(1, 2, 3, bias=False), pool=nn.AdaptiveAvgPool2d((1, 1)))
    tod = OrderedDict(conv=torch.nn.Conv2d(1, 2, 3, bias=False), pool=torch.nn.AdaptiveAvgPool2d((1, 1)))
    assert repr(nn.Sequential(od)) == repr(torch.nn.Sequential(tod))


# ---- containers ------------------------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"] and tail[0] is b
    x = mt.randn(5, 2)
    np.testing.assert_allclose(seq(x).detach().numpy(), c(b(a(x))).detach().numpy())
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and seq[1] is c  # renumbered, as torch
    seq.insert(0, nn.Identity())
    assert isinstance(seq[0], nn.Identity) and len(seq) == 4
    seq[0] = nn.Tanh()
    assert isinstance(seq[0], nn.Tanh)
    with pytest.raises(IndexError, match="index 9 is out of range"):
        seq[9]
    named = nn.Sequential(OrderedDict(first=a, second=b))
    assert named.first is a and list(named.state_dict()) == ["first.weight", "first.bias"]


def test_modulelist_and_moduledict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Sigmoid()]
    ml.insert(1, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Linear", "Identity", "ReLU", "Tanh", "Sigmoid"]
    assert isinstance(ml[1:3], nn.ModuleList) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"] and len(list(ml.parameters())) == 0
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.ReLU()
    md.update({"c": nn.Tanh()})
    assert list(md) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert list(md.keys()) == ["a", "b", "c"] and isinstance(md.pop("b"), nn.ReLU) and len(md) == 2
    assert list(md.state_dict()) == ["a.weight", "a.bias"]


# ---- Parameter -----------------------------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_sharing_storage():
    t = mt.randn(3)
    p = nn.Parameter(t)
    assert isinstance(p, mt.Tensor) and p.requires_grad and p.is_leaf and p._data is t._data
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert nn.Parameter().shape == (0,)
    y = (p * 2).sum()
    assert type(y) is mt.Tensor


def test_deepcopy_gives_an_independent_module():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    dup = copy.deepcopy(net)
    assert isinstance(dup[0].weight, nn.Parameter)
    with mt.no_grad():
        dup[0].weight.fill_(0)
    assert net[0].weight.detach().numpy().any()
