"""mt.nn.utils.prune against torch.nn.utils.prune: state_dict keys, masks (equal to torch's for the deterministic
methods; weights drawn at random are distinct, so magnitudes never tie), iterative pruning through a
PruningContainer, global pruning, remove, gradients reaching ``_orig`` masked, errors; and the PyTorch pruning
tutorial on LeNet run side by side."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tp

import minitorch_cnn as mt
from tests._parity import assert_close

mp = mt.nn.utils.prune
RNG = np.random.default_rng(17)


def _copy(ours: mt.nn.Module, theirs: torch.nn.Module) -> None:
    ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def _pair(kind: str = "conv") -> tuple[mt.nn.Module, torch.nn.Module]:
    build = {"conv": lambda nn: nn.Conv2d(3, 6, 3), "linear": lambda nn: nn.Linear(7, 5)}[kind]
    ours, theirs = build(mt.nn).double(), build(torch.nn).double()
    _copy(ours, theirs)
    return ours, theirs


def _same(a: object, b: object) -> None:
    np.testing.assert_array_equal(np.asarray(a.detach().numpy()), b.detach().numpy())


@pytest.mark.parametrize(("kind", "name", "amount"), [("conv", "weight", 0.3), ("conv", "weight", 17),
                                                      ("linear", "bias", 2), ("linear", "weight", 0.0),
                                                      ("linear", "weight", 1.0)])
def test_l1_unstructured_mask_and_keys(kind: str, name: str, amount: float) -> None:
    ours, theirs = _pair(kind)
    assert mp.l1_unstructured(ours, name, amount) is ours
    tp.l1_unstructured(theirs, name, amount)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    _same(getattr(ours, name + "_mask"), getattr(theirs, name + "_mask"))
    _same(getattr(ours, name), getattr(theirs, name))
    assert not isinstance(getattr(ours, name), mt.nn.Parameter)
    assert mp.is_pruned(ours) and tp.is_pruned(theirs)


@pytest.mark.parametrize(("n", "dim", "amount"), [(1, 0, 0.5), (2, 1, 1), (float("inf"), -1, 0.4),
                                                  ("fro", 0, 2), (2, 0, 0)])
def test_ln_structured_mask(n: object, dim: int, amount: float) -> None:
    ours, theirs = _pair()
    mp.ln_structured(ours, "weight", amount, n, dim)
    tp.ln_structured(theirs, "weight", amount, n, dim)
    _same(ours.weight_mask, theirs.weight_mask)


def test_importance_scores_choose_the_mask() -> None:
    ours, theirs = _pair("linear")
    scores = RNG.standard_normal((5, 7))
    mp.l1_unstructured(ours, "weight", 0.4, importance_scores=mt.tensor(scores))
    tp.l1_unstructured(theirs, "weight", 0.4, importance_scores=torch.tensor(scores))
    _same(ours.weight_mask, theirs.weight_mask)
    mp.ln_structured(ours, "weight", 2, 1, 0, importance_scores=mt.tensor(scores))
    tp.ln_structured(theirs, "weight", 2, 1, 0, importance_scores=torch.tensor(scores))
    _same(ours.weight_mask, theirs.weight_mask)


def test_iterative_pruning_combines_masks_as_torch() -> None:
    ours, theirs = _pair()
    steps = [("l1_unstructured", dict(amount=0.25)), ("ln_structured", dict(amount=2, n=2, dim=0)),
             ("l1_unstructured", dict(amount=10)), ("ln_structured", dict(amount=0.5, n=1, dim=1)),
             ("identity", {})]
    for fn, kw in steps:
        getattr(mp, fn)(ours, "weight", **kw)
        getattr(tp, fn)(theirs, "weight", **kw)
        _same(ours.weight_mask, theirs.weight_mask)
    hook = next(iter(ours._forward_pre_hooks.values()))
    thook = next(iter(theirs._forward_pre_hooks.values()))
    assert isinstance(hook, mp.PruningContainer) and len(ours._forward_pre_hooks) == 1
    assert [type(h).__name__ for h in hook] == [type(h).__name__ for h in thook]
    assert hook[0]._tensor_name == "weight" and len(hook) == len(thook)


def test_forward_and_gradient_reach_orig_masked() -> None:
    ours, theirs = _pair()
    mp.l1_unstructured(ours, "weight", 0.5)
    tp.l1_unstructured(theirs, "weight", 0.5)
    mp.l1_unstructured(ours, "bias", 2)
    tp.l1_unstructured(theirs, "bias", 2)
    xv, gv = RNG.standard_normal((2, 3, 6, 6)), RNG.standard_normal((2, 6, 4, 4))
    y, ty = ours(mt.tensor(xv)), theirs(torch.tensor(xv))
    assert_close(y, ty, np.float64, what="output")
    y.backward(mt.tensor(gv))
    ty.backward(torch.tensor(gv))
    for n in ("weight_orig", "bias_orig"):
        assert_close(getattr(ours, n).grad, getattr(theirs, n).grad, np.float64, what=n)
    assert (ours.weight_orig.grad.numpy()[ours.weight_mask.numpy() == 0] == 0).all()


def test_custom_from_mask_and_global_unstructured() -> None:
    pairs = [_pair("conv"), _pair("linear"), _pair("linear")]
    mask = RNG.random((6, 3, 3, 3)) > 0.5
    mp.custom_from_mask(pairs[0][0], "weight", mt.tensor(mask))
    tp.custom_from_mask(pairs[0][1], "weight", torch.tensor(mask))
    scores = RNG.standard_normal((5,))
    mp.global_unstructured([(m, n) for (m, _), n in zip(pairs, ("weight", "weight", "bias"))], mp.L1Unstructured,
                           importance_scores={(pairs[2][0], "bias"): mt.tensor(scores)}, amount=0.4)
    tp.global_unstructured([(t, n) for (_, t), n in zip(pairs, ("weight", "weight", "bias"))], tp.L1Unstructured,
                           importance_scores={(pairs[2][1], "bias"): torch.tensor(scores)}, amount=0.4)
    for (m, t), n in zip(pairs, ("weight", "weight", "bias")):
        _same(getattr(m, n + "_mask"), getattr(t, n + "_mask"))
        assert list(m.state_dict()) == list(t.state_dict())


def test_random_methods_prune_torchs_counts() -> None:
    ours, theirs = _pair()
    mp.random_unstructured(ours, "weight", 0.3)
    tp.random_unstructured(theirs, "weight", 0.3)
    assert ours.weight_mask.sum().item() == theirs.weight_mask.sum().item()
    mp.random_structured(ours, "weight", 0.5, 0)
    tp.random_structured(theirs, "weight", 0.5, 0)
    ch, tch = ours.weight_mask.sum(dim=(1, 2, 3)).numpy(), theirs.weight_mask.sum(dim=(1, 2, 3)).numpy()
    assert (ch == 0).sum() == (tch == 0).sum() == 3
    before = ours.weight_mask.numpy().copy()
    mp.random_unstructured(ours, "weight", 5)  # only among the entries still kept
    after = ours.weight_mask.numpy()
    assert (after <= before).all() and before.sum() - after.sum() == 5


def test_remove_makes_pruning_permanent() -> None:
    ours, theirs = _pair("linear")
    for lib, m in ((mp, ours), (tp, theirs)):
        lib.l1_unstructured(m, "weight", 0.5)
        lib.ln_structured(m, "weight", 1, 2, 0)
        assert lib.remove(m, "weight") is m
        assert not lib.is_pruned(m)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert isinstance(ours.weight, mt.nn.Parameter) and ours.weight.requires_grad
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    _same(ours.weight, theirs.weight)
    assert not ours._forward_pre_hooks


def test_custom_pruning_method_subclass() -> None:
    """The tutorial's FooBarPruningMethod: every other entry of the flattened tensor."""

    def make(base: type) -> type:
        class FooBarPruningMethod(base):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t: object, default_mask: object) -> object:
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask

        return FooBarPruningMethod

    ours, theirs = _pair("linear")
    mp.l1_unstructured(ours, "bias", 1)
    tp.l1_unstructured(theirs, "bias", 1)
    make(mp.BasePruningMethod).apply(ours, "bias")
    make(tp.BasePruningMethod).apply(theirs, "bias")
    _same(ours.bias_mask, theirs.bias_mask)
    _same(make(mp.BasePruningMethod)().prune(mt.tensor([1.0, 2.0, 3.0])),
          make(tp.BasePruningMethod)().prune(torch.tensor([1.0, 2.0, 3.0])))


def test_errors_as_torch() -> None:
    lin, tlin = mt.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    with pytest.raises(TypeError, match="Invalid type for amount"):
        mp.l1_unstructured(lin, "weight", "half")
    with pytest.raises(ValueError, match="should either be a float in the range"):
        mp.l1_unstructured(lin, "weight", 1.5)
    with pytest.raises(ValueError, match="should be smaller than the number of parameters to prune=12"):
        mp.l1_unstructured(lin, "weight", 13)
    with pytest.raises(ValueError, match="should be smaller than the number of parameters to prune=12"):
        tp.l1_unstructured(tlin, "weight", 13)
    # a failed pruning puts the parameter back (last, as torch) and leaves no hook
    assert list(lin.state_dict()) == list(tlin.state_dict()) and not lin._forward_pre_hooks
    with pytest.raises(ValueError, match="Structured pruning can only be applied to multidimensional tensors"):
        mp.ln_structured(lin, "bias", 1, 2, 0)
    with pytest.raises(IndexError, match="Invalid index 2 for tensor"):
        mp.ln_structured(lin, "weight", 1, 2, 2)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        mp.remove(lin, "weight")
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        mp.global_unstructured([(lin, "weight")], mp.LnStructured, amount=1, n=2, dim=0)
    with pytest.raises(TypeError, match="importance_scores must be of type dict"):
        mp.global_unstructured([(lin, "weight")], mp.L1Unstructured, importance_scores=[1], amount=1)


class _LeNet:
    """The pruning tutorial's LeNet, built from either library."""

    @staticmethod
    def build(lib: object) -> object:
        nn, F = lib.nn, lib.nn.functional

        class LeNet(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 3)
                self.conv2 = nn.Conv2d(6, 16, 3)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x: object) -> object:
                x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                x = x.view(x.shape[0], -1)
                return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

        return LeNet().double()


def _sparsity(lib: object, model: object) -> list[float]:
    """What the tutorial prints: each layer's and the global share of zero weights, in percent."""
    layers = [model.conv1, model.conv2, model.fc1, model.fc2, model.fc3]
    out = [100.0 * float((m.weight == 0).sum()) / m.weight.numel() for m in layers]
    zeros = sum(float((m.weight == 0).sum()) for m in layers)
    return [*out, 100.0 * zeros / sum(m.weight.numel() for m in layers)]


def test_pruning_tutorial_on_lenet() -> None:
    ours, theirs = _LeNet.build(mt), _LeNet.build(torch)
    _copy(ours, theirs)
    xv = RNG.standard_normal((2, 1, 28, 28))
    # conv1's weight at random (torch's draw copied, our generator differs), its bias by L1
    tp.random_unstructured(theirs.conv1, name="weight", amount=0.3)
    mp.random_unstructured(ours.conv1, name="weight", amount=0.3)
    assert ours.conv1.weight_mask.sum().item() == theirs.conv1.weight_mask.sum().item()
    ours.conv1.weight_mask.copy_(mt.tensor(theirs.conv1.weight_mask.numpy()))
    assert_close(ours(mt.tensor(xv)), theirs(torch.tensor(xv)), np.float64, what="output after random pruning")
    tp.l1_unstructured(theirs.conv1, name="bias", amount=3)
    mp.l1_unstructured(ours.conv1, name="bias", amount=3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(dict(ours.conv1.named_buffers())) == list(dict(theirs.conv1.named_buffers()))
    # iterative: ln_structured on top of the random mask
    tp.ln_structured(theirs.conv1, name="weight", amount=0.5, n=2, dim=0)
    mp.ln_structured(ours.conv1, name="weight", amount=0.5, n=2, dim=0)
    _same(ours.conv1.weight, theirs.conv1.weight)
    hook = next(h for h in ours.conv1._forward_pre_hooks.values() if h._tensor_name == "weight")
    thook = next(h for h in theirs.conv1._forward_pre_hooks.values() if h._tensor_name == "weight")
    assert [type(h).__name__ for h in hook] == [type(h).__name__ for h in thook]
    tp.remove(theirs.conv1, "weight")
    mp.remove(ours.conv1, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # several parameters: conv layers 20% by L1, linear ones 40%
    for lib, model in ((tp, theirs), (mp, ours)):
        for _, module in model.named_modules():
            if isinstance(module, (torch.nn.Conv2d, mt.nn.Conv2d)):
                lib.l1_unstructured(module, name="weight", amount=0.2)
            elif isinstance(module, (torch.nn.Linear, mt.nn.Linear)):
                lib.l1_unstructured(module, name="weight", amount=0.4)
    assert list(dict(ours.named_buffers())) == list(dict(theirs.named_buffers()))
    assert _sparsity(mt, ours) == _sparsity(torch, theirs)
    # global pruning of a fresh model
    ours, theirs = _LeNet.build(mt), _LeNet.build(torch)
    _copy(ours, theirs)
    names = ("conv1", "conv2", "fc1", "fc2", "fc3")
    tp.global_unstructured([(getattr(theirs, n), "weight") for n in names], pruning_method=tp.L1Unstructured,
                           amount=0.2)
    mp.global_unstructured([(getattr(ours, n), "weight") for n in names], pruning_method=mp.L1Unstructured,
                           amount=0.2)
    assert _sparsity(mt, ours) == _sparsity(torch, theirs)
    assert _sparsity(mt, ours)[-1] == pytest.approx(20.0, abs=0.01)
    for n in names:
        _same(getattr(ours, n).weight_mask, getattr(theirs, n).weight_mask)
    assert_close(ours(mt.tensor(xv)), theirs(torch.tensor(xv)), np.float64, what="output after global pruning")
