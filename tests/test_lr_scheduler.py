"""mt.optim.lr_scheduler against torch.optim.lr_scheduler: 50 epochs side by side.

Twin optimizers (SGD with momentum, and Adam) with two param groups of different lrs; each epoch calls
``optimizer.step()`` then ``scheduler.step()`` on both sides, and every group's lr (and momentum / beta1 for
OneCycleLR) must equal torch's within 1e-12 relative: the schedules are the same float arithmetic in the same
order, so in practice they agree exactly.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.optim import lr_scheduler

EPOCHS = 50
TOL = 1e-12
LRS = (0.1, 0.02)


class Halving:
    """A callable object as lr_lambda: its state (``rate``) travels in the scheduler's state_dict."""

    def __init__(self, rate: float = 0.5) -> None:
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return self.rate ** (epoch // 7)


SCHEDULERS = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=3, gamma=0.7)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=50)),
    ("CosineAnnealingLR", dict(T_max=12, eta_min=1e-3)),  # past T_max: the recursion climbs back up
    ("CosineAnnealingLR", dict(T_max=7)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (1.0 + 0.3 * epoch))),
    ("LambdaLR", dict(lr_lambda=[lambda epoch: 0.97**epoch, Halving()])),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=50)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=10, anneal_strategy="linear", pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=60, three_phase=True, div_factor=10.0, final_div_factor=100.0)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=50, three_phase=True, anneal_strategy="linear")),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=50, cycle_momentum=False)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=50, base_momentum=[0.8, 0.7], max_momentum=0.9, pct_start=0.4)),
]


def _sched_id(case: tuple) -> str:
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items() if not callable(v) and k != "lr_lambda")


def _optimizers(kind: str) -> tuple:
    """Our optimizer and torch's, with two groups of different lrs."""
    ours = [{"params": [mt.zeros(3, requires_grad=True)], "lr": LRS[0]}, {"params": [mt.zeros(2, requires_grad=True)],
                                                                          "lr": LRS[1]}]
    theirs = [{"params": [torch.zeros(3, requires_grad=True)], "lr": LRS[0]},
              {"params": [torch.zeros(2, requires_grad=True)], "lr": LRS[1]}]
    if kind == "sgd":
        return mt.optim.SGD(ours, lr=0.1, momentum=0.9), torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    return mt.optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)


def _hyper(opt: object) -> list[tuple[float, ...]]:
    """lr and momentum (SGD) or beta1 (Adam) of every group."""
    return [(g["lr"], g["momentum"] if "momentum" in g else g["betas"][0]) for g in opt.param_groups]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def _assert_same(ours: object, theirs: object, epoch: int) -> None:
    for (lr_o, m_o), (lr_t, m_t) in zip(_hyper(ours.optimizer), _hyper(theirs.optimizer)):
        assert _rel(lr_o, lr_t) <= TOL, f"epoch {epoch}: lr {lr_o!r} vs torch {lr_t!r}"
        assert _rel(m_o, m_t) <= TOL, f"epoch {epoch}: momentum {m_o!r} vs torch {m_t!r}"
    last_o, last_t = ours.get_last_lr(), theirs.get_last_lr()
    assert len(last_o) == len(last_t) and all(_rel(a, b) <= TOL for a, b in zip(last_o, last_t))


def _epoch(opt: object, sched: object, *metric: float) -> None:
    opt.step()
    sched.step(*metric)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", SCHEDULERS, ids=_sched_id)
def test_schedule_matches_torch(case: tuple, kind: str) -> None:
    name, kwargs = case
    opt_o, opt_t = _optimizers(kind)
    ours = getattr(lr_scheduler, name)(opt_o, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    _assert_same(ours, theirs, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a correct loop raises none of our warnings
        for epoch in range(1, EPOCHS + 1):
            _epoch(opt_o, ours)
            _epoch(opt_t, theirs)
            _assert_same(ours, theirs, epoch)
    assert ours.last_epoch == theirs.last_epoch == EPOCHS


def _metrics(seed: int) -> list[float]:
    """A noisy, mostly improving loss with plateaus, as a validation loss looks."""
    rng = np.random.default_rng(seed)
    trend = 1.0 / (1.0 + 0.1 * np.arange(EPOCHS))
    trend[15:30] = trend[15]  # a long plateau
    return list(trend + 0.02 * rng.standard_normal(EPOCHS))


PLATEAU = [
    {},
    dict(patience=2),
    dict(mode="max", factor=0.5, patience=2, threshold=0.05, threshold_mode="abs", cooldown=2),
    dict(mode="max", patience=1, threshold=0.01),
    dict(factor=0.5, patience=1, cooldown=3, min_lr=[0.05, 1e-3]),
    dict(factor=0.5, patience=0, threshold_mode="abs", threshold=0.0, min_lr=0.01, eps=5e-3),
]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("kwargs", PLATEAU, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_reduce_on_plateau_matches_torch(kwargs: dict, kind: str) -> None:
    opt_o, opt_t = _optimizers(kind)
    ours = lr_scheduler.ReduceLROnPlateau(opt_o, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kwargs)
    sign = -1.0 if kwargs.get("mode") == "max" else 1.0
    reductions = 0
    for epoch, metric in enumerate(_metrics(4), start=1):
        lr_before = opt_o.param_groups[0]["lr"]
        _epoch(opt_o, ours, mt.tensor(sign * metric))  # a 0-d Tensor works as the metric, as in torch
        _epoch(opt_t, theirs, sign * metric)
        _assert_same(ours, theirs, epoch)
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter) == (
            theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter
        )
        reductions += opt_o.param_groups[0]["lr"] != lr_before
    assert reductions >= 1, "the metric sequence should trigger at least one reduction"


# ---- resuming ------------------------------------------------------------------------------
RESUME = [
    ("StepLR", dict(step_size=7)),
    ("CosineAnnealingLR", dict(T_max=12, eta_min=1e-3)),
    ("LambdaLR", dict(lr_lambda=Halving(0.3))),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=50, three_phase=True)),
    ("ReduceLROnPlateau", dict(patience=1, cooldown=2)),
]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", RESUME, ids=_sched_id)
def test_state_dict_round_trip_continues_identically(case: tuple, kind: str) -> None:
    name, kwargs = case
    cls = getattr(lr_scheduler, name)
    metric = _metrics(5)
    args = (lambda e: (metric[e - 1],)) if name == "ReduceLROnPlateau" else (lambda e: ())
    opt, _ = _optimizers(kind)
    sched = cls(opt, **kwargs)
    for epoch in range(1, 21):
        _epoch(opt, sched, *args(epoch))
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_sched

    opt2, _ = _optimizers(kind)
    fresh_kwargs = dict(kwargs, lr_lambda=Halving()) if name == "LambdaLR" else kwargs
    sched2 = cls(opt2, **fresh_kwargs)  # as torch asks: build the scheduler, then load both
    sched2.load_state_dict(saved_sched)
    opt2.load_state_dict(saved_opt)
    if name == "LambdaLR":
        assert sched2.lr_lambdas[0].rate == 0.3
    for epoch in range(21, EPOCHS + 1):
        _epoch(opt, sched, *args(epoch))
        _epoch(opt2, sched2, *args(epoch))
        assert _hyper(opt) == _hyper(opt2) and sched.get_last_lr() == sched2.get_last_lr()
        assert sched.last_epoch == sched2.last_epoch


@pytest.mark.parametrize("case", RESUME[:4], ids=_sched_id)
def test_state_dict_holds_torchs_keys(case: tuple) -> None:
    name, kwargs = case
    opt_o, opt_t = _optimizers("sgd")
    ours = getattr(lr_scheduler, name)(opt_o, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    for _ in range(3):
        _epoch(opt_o, ours)
        _epoch(opt_t, theirs)
    assert set(ours.state_dict()) == set(theirs.state_dict())


@pytest.mark.parametrize("case", SCHEDULERS[:7], ids=_sched_id)
def test_resuming_with_last_epoch_matches_torch(case: tuple) -> None:
    """``last_epoch=k`` on an optimizer whose groups carry ``initial_lr`` (CosineAnnealingLR: closed form first)."""
    name, kwargs = case
    opt_o, opt_t = _optimizers("sgd")
    for group in opt_o.param_groups + opt_t.param_groups:
        group["initial_lr"] = group["lr"] * 2
    ours = getattr(lr_scheduler, name)(opt_o, last_epoch=9, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(opt_t, last_epoch=9, **kwargs)
    _assert_same(ours, theirs, 10)
    for epoch in range(11, 30):
        _epoch(opt_o, ours)
        _epoch(opt_t, theirs)
        _assert_same(ours, theirs, epoch)


@pytest.mark.parametrize("case", SCHEDULERS[:7], ids=_sched_id)
def test_step_with_epoch_uses_torchs_closed_form(case: tuple) -> None:
    name, kwargs = case
    opt_o, opt_t = _optimizers("adam")
    ours = getattr(lr_scheduler, name)(opt_o, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    for epoch in (3, 17, 4, 40):
        opt_o.step()
        opt_t.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            ours.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs.step(epoch)
        _assert_same(ours, theirs, epoch)


# ---- behaviour and errors --------------------------------------------------------------------
def test_constructor_sets_initial_lr_and_takes_the_initial_step() -> None:
    opt, _ = _optimizers("sgd")
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS) == sched.base_lrs
    assert sched.last_epoch == 0 and sched.get_last_lr() == list(LRS)


def test_warns_when_stepped_before_the_optimizer() -> None:
    opt, _ = _optimizers("sgd")
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_resuming_without_initial_lr_raises() -> None:
    opt, _ = _optimizers("sgd")
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=5)


def test_one_cycle_refuses_to_step_past_total_steps() -> None:
    opt, _ = _optimizers("sgd")
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(4):
        _epoch(opt, sched)
    assert math.isclose(sched.get_last_lr()[0], 0.1 / 25 / 1e4)  # step total_steps - 1 ends the cycle
    _epoch(opt, sched)  # torch allows one step more (it extrapolates), and so do we
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        _epoch(opt, sched)


class _NoMomentum(mt.optim.Optimizer):
    def __init__(self, params: list) -> None:
        super().__init__(params, {"lr": 0.1})


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda opt: lr_scheduler.StepLR(object(), step_size=2), TypeError, "is not an Optimizer"),
        (lambda opt: lr_scheduler.ReduceLROnPlateau(object()), TypeError, "is not an Optimizer"),
        (lambda opt: lr_scheduler.LambdaLR(opt, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
        (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=1.0), ValueError, "Factor should be < 1.0"),
        (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="avg"), ValueError, "mode avg is unknown"),
        (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="x"), ValueError, "threshold mode x"),
        (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
        (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1), ValueError, "total_steps OR"),
        (lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=0), ValueError, "total_steps"),
        (lambda opt: lr_scheduler.OneCycleLR(opt, 0.1, epochs=2, steps_per_epoch=-1), ValueError, "steps_per_epoch"),
        (lambda opt: lr_scheduler.OneCycleLR(opt, 0.1, total_steps=9, pct_start=1.5), ValueError, "pct_start"),
        (lambda opt: lr_scheduler.OneCycleLR(opt, 0.1, total_steps=9, anneal_strategy="x"), ValueError, "anneal"),
        (lambda opt: lr_scheduler.OneCycleLR(opt, [0.1], total_steps=9), ValueError, "max_lr must have"),
        (
            lambda opt: lr_scheduler.OneCycleLR(_NoMomentum([mt.zeros(1, requires_grad=True)]), 0.1, total_steps=9),
            ValueError,
            "momentum or beta1",
        ),
    ],
)
def test_bad_arguments_raise_like_torch(make, error, match) -> None:
    opt, _ = _optimizers("sgd")
    with pytest.raises(error, match=match):
        make(opt)
