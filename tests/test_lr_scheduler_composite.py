"""MultiplicativeLR, SequentialLR, ChainedScheduler, CosineAnnealingWarmRestarts, CyclicLR, PolynomialLR,
ConstantLR and LinearLR against torch.optim.lr_scheduler, using ``test_lr_scheduler``'s twins (SGD with momentum
and Adam, two groups of different lrs): the whole lr (and momentum / beta1) sequence and ``get_last_lr()`` per step
within 1e-12 relative, and the warnings torch raises (or none) on both sides."""

from __future__ import annotations

import warnings

import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.optim import lr_scheduler
from tests.test_lr_scheduler import EPOCHS, _assert_same, _epoch, _optimizers, _sched_id

SIMPLE = [
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.95 if epoch % 3 else 0.7)),
    ("MultiplicativeLR", dict(lr_lambda=[lambda epoch: 0.9, lambda epoch: 1.0 / (1.0 + 0.01 * epoch)])),
    ("PolynomialLR", dict(total_iters=30, power=2.0)),
    ("PolynomialLR", dict()),
    ("ConstantLR", dict(factor=0.25, total_iters=4)),
    ("LinearLR", dict(start_factor=0.1, total_iters=10)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.05, total_iters=40)),
    ("CosineAnnealingWarmRestarts", dict(T_0=7)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=1e-3)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR", dict(base_lr=[0.01, 0.001], max_lr=0.2, step_size_up=3, step_size_down=5, mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.97,
                      base_momentum=[0.7, 0.8], max_momentum=0.95)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=6, scale_fn=lambda x: 0.9**x, scale_mode="iterations",
                      cycle_momentum=False)),
]


def _run_side_by_side(build: object, kind: str, steps: int = EPOCHS) -> tuple:
    opt_o, opt_t = _optimizers(kind)
    with warnings.catch_warnings(record=True) as caught_o:
        warnings.simplefilter("always")
        ours = build(lr_scheduler, opt_o)
    with warnings.catch_warnings(record=True) as caught_t:
        warnings.simplefilter("always")
        theirs = build(torch.optim.lr_scheduler, opt_t)
    # construction warns as torch's does (a nested chain's initial step looks like a step before optimizer.step())
    assert [w.category for w in caught_o] == [w.category for w in caught_t]
    assert all(str(w.message).startswith("Detected call of `lr_scheduler.step()` before") for w in caught_o)
    _assert_same(ours, theirs, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a correct loop raises no warning on either side
        for epoch in range(1, steps + 1):
            _epoch(opt_o, ours)
            _epoch(opt_t, theirs)
            _assert_same(ours, theirs, epoch)
    return ours, theirs


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", SIMPLE, ids=_sched_id)
def test_schedule_matches_torch(case: tuple, kind: str) -> None:
    name, kwargs = case
    ours, theirs = _run_side_by_side(lambda mod, opt: getattr(mod, name)(opt, **kwargs), kind)
    assert ours.last_epoch == theirs.last_epoch
    keys_o, keys_t = set(ours.state_dict()), set(theirs.state_dict())
    assert keys_o == keys_t


@pytest.mark.parametrize("t_mult", [1, 2])
def test_warm_restarts_fractional_epochs_match_torch(t_mult: int) -> None:
    """``step(epoch + i / iters)`` per batch, as SGDR is used; the deprecation warning is torch's (none)."""
    opt_o, opt_t = _optimizers("sgd")
    ours = lr_scheduler.CosineAnnealingWarmRestarts(opt_o, T_0=2, T_mult=t_mult, eta_min=1e-4)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt_t, T_0=2, T_mult=t_mult, eta_min=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for epoch in range(9):
            for i in range(5):
                opt_o.step()
                opt_t.step()
                ours.step(epoch + i / 5)
                theirs.step(epoch + i / 5)
                _assert_same(ours, theirs, epoch)
                assert (ours.T_cur, ours.T_i, ours.last_epoch) == (theirs.T_cur, theirs.T_i, theirs.last_epoch)
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        ours.step(-1)


def _warmup_then_cosine(mod: object, opt: object) -> object:
    warm = mod.LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = mod.CosineAnnealingLR(opt, T_max=20, eta_min=1e-4)
    decay = mod.ExponentialLR(opt, gamma=0.9)
    return mod.SequentialLR(opt, [warm, cosine, decay], milestones=[5, 25])


def _chained(mod: object, opt: object) -> object:
    return mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.5, total_iters=6), mod.ExponentialLR(opt, gamma=0.95),
                                 mod.MultiStepLR(opt, milestones=[10, 30], gamma=0.3)])


def _nested(mod: object, opt: object) -> object:
    """A ChainedScheduler as SequentialLR's first stretch (its members' initial steps undone recursively)."""
    chain = mod.ChainedScheduler([mod.StepLR(opt, step_size=4, gamma=0.5), mod.ExponentialLR(opt, gamma=0.97)])
    return mod.SequentialLR(opt, [chain, mod.LinearLR(opt, start_factor=0.5, total_iters=8)], milestones=[12])


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("build", [_warmup_then_cosine, _chained, _nested], ids=lambda f: f.__name__)
def test_composites_match_torch(build: object, kind: str) -> None:
    ours, theirs = _run_side_by_side(build, kind)
    assert getattr(ours, "last_epoch", None) == getattr(theirs, "last_epoch", None)
    saved_o, saved_t = ours.state_dict(), theirs.state_dict()
    assert set(saved_o) == set(saved_t)
    assert [set(s) for s in saved_o["_schedulers"]] == [set(s) for s in saved_t["_schedulers"]]


@pytest.mark.parametrize("build", [_warmup_then_cosine, _chained], ids=lambda f: f.__name__)
def test_composite_state_dict_round_trip(build: object) -> None:
    opt, _ = _optimizers("sgd")
    sched = build(lr_scheduler, opt)
    for _ in range(12):
        _epoch(opt, sched)
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    opt2, _ = _optimizers("sgd")
    sched2 = build(lr_scheduler, opt2)
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    assert "_schedulers" in saved_sched  # loading must not consume the caller's dict
    for _ in range(20):
        _epoch(opt, sched)
        _epoch(opt2, sched2)
        assert sched.get_last_lr() == sched2.get_last_lr()


def test_cyclic_state_dict_matches_torch_keys_and_resumes() -> None:
    opt_o, opt_t = _optimizers("adam")
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.9)
    ours, theirs = lr_scheduler.CyclicLR(opt_o, **kwargs), torch.optim.lr_scheduler.CyclicLR(opt_t, **kwargs)
    for _ in range(7):
        _epoch(opt_o, ours)
        _epoch(opt_t, theirs)
    assert set(ours.state_dict()) == set(theirs.state_dict())
    opt2, _ = _optimizers("adam")
    fresh = lr_scheduler.CyclicLR(opt2, **kwargs)
    fresh.load_state_dict(ours.state_dict())
    opt2.load_state_dict(opt_o.state_dict())
    for _ in range(10):
        _epoch(opt_o, ours)
        _epoch(opt2, fresh)
        assert ours.get_last_lr() == fresh.get_last_lr()
        assert opt_o.param_groups[0]["betas"] == opt2.param_groups[0]["betas"]


def _warmup_subclass(base: type) -> type:
    """A script's own schedule, written the old way: a subclass of ``_LRScheduler`` reading base_lrs and
    last_epoch."""

    class Warmup(base):
        def __init__(self, optimizer: object, warmup: int) -> None:
            self.warmup = warmup
            super().__init__(optimizer)

        def get_lr(self) -> list[float]:
            scale = min(1.0, (self.last_epoch + 1) / self.warmup)
            return [base_lr * scale for base_lr in self.base_lrs]

    return Warmup


def test_legacy_base_subclass_matches_torch() -> None:
    def build(mod: object, opt: object) -> object:
        return _warmup_subclass(mod._LRScheduler)(opt, warmup=6)

    ours, _ = _run_side_by_side(build, "sgd", steps=12)
    assert type(ours).__mro__[1].__name__ == "_LRScheduler"


def test_bad_input_is_refused_as_torch_does() -> None:
    opt, _ = _optimizers("sgd")
    other, _ = _optimizers("sgd")
    s1 = lr_scheduler.ConstantLR(opt)
    with pytest.raises(ValueError, match="number of schedulers 1 and the number of milestones to be equal to 1"):
        lr_scheduler.SequentialLR(opt, [s1], milestones=[3])
    with pytest.raises(ValueError, match="expects at least one scheduler"):
        lr_scheduler.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="belong to the same optimizer"):
        lr_scheduler.ChainedScheduler([s1, lr_scheduler.ExponentialLR(other, gamma=0.9)])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        lr_scheduler.ChainedScheduler([s1, lr_scheduler.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 1.5"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="sine")
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        lr_scheduler.MultiplicativeLR(opt, lr_lambda=0.9)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        lr_scheduler.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.CyclicLR(mt.optim.Adagrad([mt.zeros(2, requires_grad=True)]), base_lr=0.01, max_lr=0.1)
