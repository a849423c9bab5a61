"""Adadelta, RMSprop (centered, momentum) and Adagrad (lr_decay, initial_accumulator_value) against torch.optim
(foreach=False): trajectories side by side with the same gradients (float64 within 1e-9 over 60 steps, float32
within 1e-5), state buffers, and state_dict round trips both within ours and with torch's, using
``test_optim``'s twin set-up (three param groups, one parameter without a gradient every fifth step)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import rel_err
from tests.test_optim import _copies, _feed, _groups, _run, _state_err, _twin_optimizers, _twin_params

CASES = [
    ("Adadelta", 1.0, dict()),
    ("Adadelta", 0.5, dict(rho=0.5, eps=1e-3, weight_decay=0.05, maximize=True)),
    ("RMSprop", 0.01, dict()),
    ("RMSprop", 0.01, dict(centered=True)),
    ("RMSprop", 0.01, dict(momentum=0.9, weight_decay=0.05)),
    ("RMSprop", 0.005, dict(alpha=0.3, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", 0.01, dict()),
    ("Adagrad", 0.05, dict(lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.05)),
    ("Adagrad", 0.05, dict(eps=1e-3, maximize=True)),
]


def _id(case: tuple) -> str:
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[2].items())


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_trajectory_matches_torch(case: tuple) -> None:
    name, lr, cfg = case
    for dtype, steps, tol in ((np.float64, 60, 1e-9), (np.float32, 20, 1e-5)):
        ours, theirs = _twin_params(dtype)
        opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
        worst = _run(opt_o, opt_t, ours, theirs, np.random.default_rng(1), steps, dtype)
        assert worst <= tol, f"{dtype.__name__}: parameters drifted from torch: {worst:.3g}"
        assert _state_err(opt_o, opt_t) <= tol
        assert all(v.dtype == dtype for p in ours for k, v in opt_o.state[p].items() if k != "step")


@pytest.mark.parametrize("case", [CASES[1], CASES[5], CASES[7]], ids=_id)
def test_state_dict_round_trips(case: tuple) -> None:
    """Ours saved mid-run continues identically in a fresh optimizer; torch's loads into ours and ours into
    torch's, and both continue with the uninterrupted torch run."""
    name, lr, cfg = case
    ours, theirs = _twin_params(np.float64)
    opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
    rng = np.random.default_rng(3)
    _run(opt_o, opt_t, ours, theirs, rng, 15, np.float64)
    sd_o, sd_t = opt_o.state_dict(), opt_t.state_dict()
    for go, gt in zip(sd_o["param_groups"], sd_t["param_groups"]):
        assert all(go[k] == gt[k] for k in go), "param_group values differ from torch's"
    resumed, from_torch = _copies(ours), _copies(ours)
    opt_r = getattr(mt.optim, name)(_groups(resumed, lr), lr=lr, **cfg)
    opt_r.load_state_dict(sd_o)
    opt_a = getattr(mt.optim, name)(_groups(from_torch, lr), lr=lr, **cfg)
    opt_a.load_state_dict(sd_t)
    to_torch = [torch.tensor(p._data.copy(), requires_grad=True) for p in ours]
    opt_b = getattr(torch.optim, name)(_groups(to_torch, lr), lr=lr, foreach=False, **cfg)
    opt_b.load_state_dict({"state": {i: {k: torch.from_numpy(v._data.copy()) for k, v in s.items()}
                                     for i, s in sd_o["state"].items()}, "param_groups": sd_o["param_groups"]})
    worst = 0.0
    for step in range(15, 30):
        _feed(rng, step, ours, theirs, np.float64)
        for pr, pa, pb, pt in zip(resumed, from_torch, to_torch, theirs):
            g = None if pt.grad is None else pt.grad.numpy().copy()
            pr.grad = pa.grad = None if g is None else mt.tensor(g)
            pb.grad = None if g is None else torch.tensor(g)
        for opt in (opt_o, opt_t, opt_r, opt_a, opt_b):
            opt.step()
        for po, pr in zip(ours, resumed):
            assert np.array_equal(po._data, pr._data)
        worst = max(worst, *(rel_err(a, t) for group in (from_torch, to_torch) for a, t in zip(group, theirs)))
    assert worst <= 1e-9


def test_adagrad_state_exists_from_construction_like_torch() -> None:
    ours, theirs = _twin_params(np.float64)
    opt_o = mt.optim.Adagrad(ours, initial_accumulator_value=0.3)
    opt_t = torch.optim.Adagrad(theirs, initial_accumulator_value=0.3)
    assert _state_err(opt_o, opt_t) == 0.0
    extra = mt.tensor(np.ones(3), requires_grad=True)
    opt_o.add_param_group({"params": [extra]})
    extra.grad = mt.tensor(np.ones(3))
    opt_o.step()
    np.testing.assert_allclose(extra.detach().numpy(), 1 - 0.01 / (np.sqrt(1.3) + 1e-10), rtol=1e-12)


@pytest.mark.parametrize("make, match", [
    (lambda p: mt.optim.Adadelta(p, rho=1.5), "Invalid rho value"),
    (lambda p: mt.optim.RMSprop(p, alpha=-1), "Invalid alpha value"),
    (lambda p: mt.optim.RMSprop(p, momentum=-0.1), "Invalid momentum value"),
    (lambda p: mt.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value"),
    (lambda p: mt.optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
])
def test_bad_arguments_raise_like_torch(make, match) -> None:
    with pytest.raises(ValueError, match=match):
        make([mt.zeros(2, requires_grad=True)])
