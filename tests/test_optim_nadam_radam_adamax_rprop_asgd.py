"""NAdam (momentum_decay, decoupled weight decay), RAdam (decoupled weight decay), Adamax, Rprop and ASGD against
torch.optim (foreach=False), with ``test_optim``'s twins (three param groups, one parameter without a gradient
every fifth step): float64 trajectories within 1e-10 over 60 steps, every state entry (keys, values, dtypes: ``step``
and the scalar state as torch stores them), param_groups as torch's, float32 against torch's float64 optimizer
fed the same float32 gradients, and state_dict round trips within ours and with torch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import rel_err
from tests.test_optim import (
    _copies,
    _feed,
    _groups,
    _run,
    _twin_optimizers,
    _twin_params,
    run_float32_against_the_truth,
)

TOL64 = 1e-10

CASES = [
    ("NAdam", 0.01, dict()),
    ("NAdam", 0.02, dict(betas=(0.8, 0.99), momentum_decay=0.01, weight_decay=0.05, maximize=True)),
    ("NAdam", 0.02, dict(weight_decay=0.05, decoupled_weight_decay=True)),
    ("RAdam", 0.01, dict()),  # rho_t passes 5 at step 6: both branches run
    ("RAdam", 0.02, dict(betas=(0.85, 0.9), weight_decay=0.05, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", 0.02, dict(weight_decay=0.05, eps=1e-4)),
    ("Adamax", 0.01, dict()),
    ("Adamax", 0.02, dict(betas=(0.7, 0.9), eps=1e-3, weight_decay=0.05, maximize=True)),
    ("Rprop", 0.01, dict()),
    ("Rprop", 0.05, dict(etas=(0.3, 1.7), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", 0.01, dict()),
    ("ASGD", 0.05, dict(lambd=0.01, alpha=0.6, t0=10, weight_decay=0.05, maximize=True)),
]


def _id(case: tuple) -> str:
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[2].items())


def _assert_state_as_torchs(opt_o: object, opt_t: object, tol: float) -> None:
    so, st = opt_o.state_dict(), opt_t.state_dict()
    assert so["state"].keys() == st["state"].keys()
    for idx, theirs in st["state"].items():
        ours = so["state"][idx]
        assert list(ours) == list(theirs), f"param {idx}: state keys {list(ours)} vs torch's {list(theirs)}"
        for key, value in theirs.items():
            assert np.asarray(ours[key]._data).dtype == value.numpy().dtype, f"{key}: dtype differs from torch's"
            assert tuple(ours[key].shape) == tuple(value.shape), key
            assert rel_err(ours[key], value) <= tol, f"state {key} of parameter {idx}"
    for go, gt in zip(so["param_groups"], st["param_groups"]):
        assert go == gt, "param_groups differ from torch's"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_trajectory_matches_torch(case: tuple) -> None:
    name, lr, cfg = case
    ours, theirs = _twin_params(np.float64)
    opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
    worst = _run(opt_o, opt_t, ours, theirs, np.random.default_rng(1), 60, np.float64)
    assert worst <= TOL64, f"float64: parameters drifted from torch: {worst:.3g}"
    _assert_state_as_torchs(opt_o, opt_t, TOL64)
    ours32, opt32 = run_float32_against_the_truth(name, lr, cfg, 20)
    assert all(v.dtype == np.float32 for p in ours32 for v in opt32.state[p].values())


@pytest.mark.parametrize("case", [CASES[1], CASES[4], CASES[7], CASES[9], CASES[11]], ids=_id)
def test_state_dict_round_trips_with_torch(case: tuple) -> None:
    """Saved mid-run, ours and torch's state_dicts load into fresh optimizers of ours and ours into torch's; the
    loaded runs agree within 1e-10. Loaded runs are compared with loaded runs: loading casts the scalar state
    (mu_product, eta, mu) to the parameters' dtype, on both sides, as torch does; without such state, ours resumed
    continues with the uninterrupted run bit for bit."""
    name, lr, cfg = case
    ours, theirs = _twin_params(np.float64)
    opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
    rng = np.random.default_rng(3)
    _run(opt_o, opt_t, ours, theirs, rng, 15, np.float64)
    sd_o, sd_t = opt_o.state_dict(), opt_t.state_dict()
    resumed, from_torch = _copies(ours), _copies(ours)
    opt_r = getattr(mt.optim, name)(_groups(resumed, lr), lr=lr, **cfg)
    opt_r.load_state_dict(sd_o)
    opt_a = getattr(mt.optim, name)(_groups(from_torch, lr), lr=lr, **cfg)
    opt_a.load_state_dict(sd_t)
    to_torch = [torch.tensor(p._data.copy(), requires_grad=True) for p in ours]
    opt_b = getattr(torch.optim, name)(_groups(to_torch, lr), lr=lr, foreach=False, **cfg)
    opt_b.load_state_dict({"state": {i: {k: torch.from_numpy(np.array(v._data)) for k, v in s.items()}
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
        if name not in ("NAdam", "ASGD"):  # no scalar state to recast: the resumed run is the same bits
            assert all(np.array_equal(po._data, pr._data) for po, pr in zip(ours, resumed))
        worst = max(worst, *(rel_err(a, b) for a, b in zip(from_torch, to_torch)),
                    *(rel_err(r, a) for r, a in zip(resumed, from_torch)))
    assert worst <= TOL64
    _assert_state_as_torchs(opt_a, opt_b, TOL64)


@pytest.mark.parametrize("make, match", [
    (lambda p: mt.optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda p: mt.optim.NAdam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: mt.optim.RAdam(p, betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0.1"),
    (lambda p: mt.optim.Adamax(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda p: mt.optim.Rprop(p, etas=(1.2, 0.5)), "Invalid eta values: 1.2, 0.5"),
    (lambda p: mt.optim.ASGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: mt.optim.ASGD(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
])
def test_bad_arguments_raise_like_torch(make, match) -> None:
    with pytest.raises(ValueError, match=match):
        make([mt.zeros(2, requires_grad=True)])
