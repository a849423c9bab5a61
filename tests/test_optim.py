"""mt.optim against torch.optim (single-tensor path, foreach=False): 100 steps side by side.

Both sides start from the same parameters (several shapes, three param groups with different lrs, one group
overriding weight_decay) and get the SAME gradients each step, drawn as NumPy arrays from a seeded generator; one
parameter gets no gradient every fifth step, so "skip params without grad" is exercised too. Every parameter at
every step, and every state buffer at the end, must agree within 1e-9 relative in float64: the formulas are the
same, only the rounding of torch's fused kernels (FMA in add/lerp) differs, ~1e-16 per op.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn import backend
from tests._parity import assert_f32_close, rel_err

SHAPES = [(5, 3), (7,), (2, 3, 4), (1,)]
STEPS = 100
TOL64 = 1e-9
TOL32 = 1e-5

SGD_CONFIGS = [
    dict(momentum=m, dampening=d, nesterov=n, weight_decay=wd, maximize=mx)
    for m, d, n, wd, mx in itertools.product((0.0, 0.9), (0.0, 0.3), (False, True), (0.0, 0.05), (False, True))
    if not n or (m > 0 and d == 0)
]
ADAM_CONFIGS = [
    # beta1 = 0.3 makes lerp's weight 0.7, torch's other lerp branch
    dict(betas=b, eps=e, weight_decay=wd, amsgrad=a, maximize=mx)
    for b, e, wd, a, mx in itertools.product(
        ((0.9, 0.999), (0.3, 0.9)), (1e-8, 1e-2), (0.0, 0.05), (False, True), (False, True)
    )
]
ADAMW_CONFIGS = [
    dict(betas=b, weight_decay=wd, amsgrad=a, maximize=mx)
    for b, wd, a, mx in itertools.product(((0.9, 0.999), (0.3, 0.9)), (1e-2, 0.1), (False, True), (False, True))
]
CASES = (
    [("SGD", 0.05, c) for c in SGD_CONFIGS]
    + [("Adam", 0.01, c) for c in ADAM_CONFIGS]
    + [("AdamW", 0.01, c) for c in ADAMW_CONFIGS]
)


def _case_id(case: tuple) -> str:
    name, _, cfg = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in cfg.items())


def _twin_params(dtype: np.dtype, seed: int = 0) -> tuple[list[mt.Tensor], list[torch.Tensor]]:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return [mt.tensor(a.copy(), requires_grad=True) for a in arrays], [
        torch.tensor(a.copy(), requires_grad=True) for a in arrays
    ]


def _groups(params: list, lr: float) -> list[dict]:
    """Three groups: the default lr, a larger lr with its own weight decay, a smaller lr."""
    return [
        {"params": params[:2]},
        {"params": params[2:3], "lr": 3 * lr, "weight_decay": 0.1},
        {"params": params[3:], "lr": lr / 4},
    ]


def _twin_optimizers(name: str, lr: float, cfg: dict, ours: list, theirs: list) -> tuple:
    extra = {"foreach": False}
    return getattr(mt.optim, name)(_groups(ours, lr), lr=lr, **cfg, **extra), getattr(torch.optim, name)(
        _groups(theirs, lr), lr=lr, **cfg, **extra
    )


def _feed(rng: np.random.Generator, step: int, ours: list, theirs: list, dtype: np.dtype) -> None:
    """The same random gradient to both sides; the last parameter gets none every fifth step."""
    for i, (po, pt) in enumerate(zip(ours, theirs)):
        if i == len(ours) - 1 and step % 5 == 4:
            po.grad, pt.grad = None, None
            continue
        g = rng.standard_normal(po.shape).astype(dtype)
        po.grad, pt.grad = mt.tensor(g.copy()), torch.tensor(g.copy())


def _run(opt_o, opt_t, ours, theirs, rng, steps: int, dtype: np.dtype) -> float:
    worst = 0.0
    for step in range(steps):
        _feed(rng, step, ours, theirs, dtype)
        opt_o.step()
        opt_t.step()
        worst = max(worst, *(rel_err(po, pt) for po, pt in zip(ours, theirs)))
    return worst


def _state_err(opt_o, opt_t) -> float:
    """Worst relative error over every state buffer; the two sides must hold the same keys."""
    so, st = opt_o.state_dict()["state"], opt_t.state_dict()["state"]
    assert so.keys() == st.keys()
    worst = 0.0
    for idx in st:
        assert so[idx].keys() == st[idx].keys(), f"param {idx}: state keys {so[idx].keys()} vs {st[idx].keys()}"
        for key, value in st[idx].items():
            worst = max(worst, rel_err(so[idx][key], value))
    return worst


def run_float32_against_the_truth(name: str, lr: float, cfg: dict, steps: int) -> tuple[list, Any]:
    """``steps`` float32 steps against the float64 truth: torch's optimizer in float64 from the same float32
    parameters, fed the same float32 gradients; every parameter after every step, and the state at the end, within
    1e-5 of it (or of torch's own float32 error). Returns our parameters and optimizer."""
    ours, theirs = _twin_params(np.float32)
    exact = [torch.tensor(p.detach().numpy(), dtype=torch.float64, requires_grad=True) for p in theirs]
    opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
    opt_e = getattr(torch.optim, name)(_groups(exact, lr), lr=lr, **cfg, foreach=False)
    rng = np.random.default_rng(1)
    for step in range(steps):
        _feed(rng, step, ours, theirs, np.float32)
        for pe, pt in zip(exact, theirs):
            pe.grad = None if pt.grad is None else pt.grad.double()
        for opt in (opt_o, opt_t, opt_e):
            opt.step()
        for i, (po, pt, pe) in enumerate(zip(ours, theirs, exact)):
            assert_f32_close(po, pe.detach(), torch32=pt.detach(), rtol=TOL32, what=f"step {step}, parameter {i}")
    states = [opt.state_dict()["state"] for opt in (opt_o, opt_t, opt_e)]
    for idx, truth in states[2].items():
        for key, value in truth.items():
            assert_f32_close(states[0][idx][key], value, torch32=states[1][idx][key], rtol=TOL32,
                             what=f"state {key} of parameter {idx}")
    return ours, opt_o


# ---- 100-step parity ------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_matches_torch_float64(case: tuple) -> None:
    name, lr, cfg = case
    ours, theirs = _twin_params(np.float64)
    opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
    worst = _run(opt_o, opt_t, ours, theirs, np.random.default_rng(1), STEPS, np.float64)
    assert worst <= TOL64, f"parameters drifted from torch: {worst:.3g}"
    assert _state_err(opt_o, opt_t) <= TOL64


def test_reference_kernels_match_torch_float64() -> None:
    # the tests above run the fastest kernel path present (Numba's one-pass updates); the reference's array code,
    # which CuPy arrays and other dtypes run, is held to torch the same way, every SGD, Adam and AdamW case
    with mt.backends.use_kernels("numpy"):
        for name, lr, cfg in CASES:
            ours, theirs = _twin_params(np.float64)
            opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
            worst = _run(opt_o, opt_t, ours, theirs, np.random.default_rng(1), 20, np.float64)
            assert worst <= TOL64 and _state_err(opt_o, opt_t) <= TOL64, f"{name} {cfg}: drifted: {worst:.3g}"


@pytest.mark.parametrize(
    "case",
    [
        ("SGD", 0.05, dict(momentum=0.9, nesterov=True, weight_decay=0.05)),
        ("Adam", 0.01, dict(weight_decay=0.05, amsgrad=True)),
        ("AdamW", 0.01, dict(weight_decay=0.1)),
    ],
    ids=_case_id,
)
def test_trajectory_matches_torch_float32(case: tuple) -> None:
    name, lr, cfg = case
    ours, opt_o = run_float32_against_the_truth(name, lr, cfg, STEPS)
    for p in ours:
        assert p.dtype == np.float32
        for value in opt_o.state[p].values():
            assert value.dtype == np.float32


# ---- state_dict ------------------------------------------------------------------------
SD_CASES = [
    ("SGD", 0.05, dict(momentum=0.9, dampening=0.1, weight_decay=0.05)),
    ("SGD", 0.05, dict(momentum=0.9, nesterov=True)),
    ("Adam", 0.01, dict(amsgrad=True, weight_decay=0.05)),
    ("AdamW", 0.01, dict(amsgrad=False)),
]


def _copies(params: list) -> list[mt.Tensor]:
    return [mt.tensor(p._data.copy(), requires_grad=True) for p in params]


@pytest.mark.parametrize("case", SD_CASES, ids=_case_id)
def test_state_dict_round_trip_continues_identically(case: tuple) -> None:
    name, lr, cfg = case
    ours, theirs = _twin_params(np.float64)
    opt = getattr(mt.optim, name)(_groups(ours, lr), lr=lr, **cfg)
    rng = np.random.default_rng(2)
    for step in range(40):
        _feed(rng, step, ours, theirs, np.float64)
        opt.step()
    saved = opt.state_dict()
    saved_copy = opt.state_dict()
    resumed = _copies(ours)
    opt2 = getattr(mt.optim, name)(_groups(resumed, lr), lr=lr, **cfg)
    opt2.load_state_dict(saved)

    for step in range(40, 100):
        _feed(rng, step, ours, theirs, np.float64)
        for po, pr in zip(ours, resumed):
            pr.grad = None if po.grad is None else mt.tensor(po.grad._data.copy())
        opt.step()
        opt2.step()
    for po, pr in zip(ours, resumed):
        assert np.array_equal(po._data, pr._data)
    so, sr = opt.state_dict()["state"], opt2.state_dict()["state"]
    for idx in so:
        for key in so[idx]:
            assert np.array_equal(so[idx][key]._data, sr[idx][key]._data), (idx, key)
    # the saved dict is a deep copy: 60 more steps did not touch it, and loading did not alias it
    for idx in saved["state"]:
        for key, value in saved["state"][idx].items():
            assert np.array_equal(value._data, saved_copy["state"][idx][key]._data), (idx, key)
    assert opt2.param_groups[1]["lr"] == 3 * lr and opt2.param_groups[1]["params"][0] is resumed[2]


@pytest.mark.parametrize("case", SD_CASES, ids=_case_id)
def test_state_dict_interchanges_with_torch(case: tuple) -> None:
    """Same layout as torch's; torch's state_dict loads into ours and ours into torch, and both then continue
    in step with an uninterrupted torch run."""
    name, lr, cfg = case
    ours, theirs = _twin_params(np.float64)
    opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
    rng = np.random.default_rng(3)
    _run(opt_o, opt_t, ours, theirs, rng, 30, np.float64)

    sd_o, sd_t = opt_o.state_dict(), opt_t.state_dict()
    assert sd_o["state"].keys() == sd_t["state"].keys()
    for idx in sd_t["state"]:
        assert sd_o["state"][idx].keys() == sd_t["state"][idx].keys()
    for go, gt in zip(sd_o["param_groups"], sd_t["param_groups"]):
        assert go["params"] == gt["params"]
        assert set(go) == set(gt), f"keys only in ours: {set(go) - set(gt)}, only in torch's: {set(gt) - set(go)}"
        assert all(go[k] == gt[k] for k in go)

    # torch -> ours, and ours -> torch (arrays become torch tensors)
    from_torch = _copies(ours)
    opt_a = getattr(mt.optim, name)(_groups(from_torch, lr), lr=lr, **cfg)
    opt_a.load_state_dict(sd_t)
    to_torch = [torch.tensor(p._data.copy(), requires_grad=True) for p in ours]
    opt_b = getattr(torch.optim, name)(_groups(to_torch, lr), lr=lr, foreach=False, **cfg)
    sd_b = {
        "state": {i: {k: torch.from_numpy(v._data.copy()) for k, v in s.items()} for i, s in sd_o["state"].items()},
        "param_groups": sd_o["param_groups"],
    }
    opt_b.load_state_dict(sd_b)

    worst = 0.0
    for step in range(30, 60):
        _feed(rng, step, ours, theirs, np.float64)
        for pa, pb, pt in zip(from_torch, to_torch, theirs):
            pa.grad = None if pt.grad is None else mt.tensor(pt.grad.numpy().copy())
            pb.grad = None if pt.grad is None else pt.grad.clone()
        opt_t.step()
        opt_a.step()
        opt_b.step()
        worst = max(worst, *(rel_err(pa, pt) for pa, pt in zip(from_torch, theirs)))
        worst = max(worst, *(rel_err(pb, pt) for pb, pt in zip(to_torch, theirs)))
    assert worst <= TOL64


def test_load_state_dict_casts_to_the_parameters_dtype() -> None:
    p64 = mt.tensor(np.ones(3), requires_grad=True)
    opt = mt.optim.Adam([p64], lr=0.1)
    p64.grad = mt.tensor(np.full(3, 0.5))
    opt.step()
    p32 = mt.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt32 = mt.optim.Adam([p32], lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    state = opt32.state[p32]
    assert state["exp_avg"].dtype == np.float32 and state["exp_avg_sq"].dtype == np.float32
    assert state["step"].dtype == opt.state[p64]["step"].dtype and float(state["step"]._data) == 1.0


def test_load_state_dict_rejects_a_different_layout() -> None:
    a, b = mt.zeros(2, requires_grad=True), mt.zeros(3, requires_grad=True)
    sd = mt.optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        mt.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        mt.optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_adamw_load_keeps_decay_decoupled() -> None:
    p = mt.zeros(2, requires_grad=True)
    sd = mt.optim.Adam([p], lr=0.1).state_dict()
    opt = mt.optim.AdamW([p], lr=0.1)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


# ---- bookkeeping ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_step_updates_in_place_and_bumps_version(name: str) -> None:
    p, q = mt.tensor(np.ones((2, 3)), requires_grad=True), mt.tensor(np.ones(4), requires_grad=True)
    opt = getattr(mt.optim, name)([p, q], lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    arr, version = p._data, p._version
    p.grad = mt.tensor(np.full((2, 3), 0.5))
    opt.step()
    assert p._data is arr and p._version == version + 1 and not np.array_equal(arr, np.ones((2, 3)))
    # a parameter without a gradient is left alone and gets no state
    assert np.array_equal(q._data, np.ones(4)) and q._version == 0 and q not in opt.state
    for value in opt.state[p].values():
        assert isinstance(value, mt.Tensor)


def test_zero_grad() -> None:
    p = mt.zeros(3, requires_grad=True)
    opt = mt.optim.SGD([p], lr=0.1)
    p.grad = mt.ones(3)
    grad = p.grad._data
    opt.zero_grad(set_to_none=False)
    assert p.grad._data is grad and not grad.any()
    opt.zero_grad()
    assert p.grad is None


def test_step_with_closure_returns_the_loss_with_grad_enabled() -> None:
    p = mt.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = mt.optim.SGD([p], lr=0.5)

    def closure() -> mt.Tensor:
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with mt.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_array_equal(p._data, [0.0, 0.0])  # p - 0.5 * 2p


def test_param_groups_defaults_and_add_param_group() -> None:
    a, b = mt.zeros(2, requires_grad=True), mt.zeros(2, requires_grad=True)
    opt = mt.optim.SGD([{"params": a, "lr": 0.5}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "momentum": 0.0})
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["momentum"] == 0.9
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["momentum"] == 0.0
    assert len(opt.param_groups[0]["params"]) == 1 and opt.param_groups[0]["params"][0] is a
    assert "Parameter Group 1" in repr(opt)


def test_named_parameters_keep_their_names() -> None:
    a, b = mt.zeros(2, requires_grad=True), mt.zeros(2, requires_grad=True)
    opt = mt.optim.Adam([("w", a), ("b", b)])
    assert opt.param_groups[0]["params"][1] is b
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_step_dtype_follows_the_default_dtype() -> None:
    p = mt.zeros(2, requires_grad=True)
    p.grad = mt.ones(2)
    previous = mt.get_default_dtype()
    try:
        mt.set_default_dtype(mt.float64)
        opt = mt.optim.Adam([p])
        opt.step()
    finally:
        mt.set_default_dtype(previous)
    assert opt.state[p]["step"].dtype == np.float64 and opt.state[p]["exp_avg"].dtype == np.float32


# ---- errors as torch's -----------------------------------------------------------------------
def _p() -> mt.Tensor:
    return mt.zeros(2, requires_grad=True)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: mt.optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda: mt.optim.SGD(_p(), lr=0.1), TypeError, "iterable of Tensors or dicts"),
        (lambda: mt.optim.SGD([np.zeros(2)], lr=0.1), TypeError, "can only optimize Tensors"),
        (lambda: mt.optim.SGD([_p() * 2], lr=0.1), ValueError, "non-leaf"),
        (lambda: mt.optim.SGD([{"params": {_p()}}], lr=0.1), TypeError, "ordered collections"),
        (lambda: mt.optim.SGD([("w", _p()), _p()], lr=0.1), ValueError, "names"),
        (lambda: mt.optim.SGD([_p()], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
        (lambda: mt.optim.SGD([_p()], momentum=-0.5), ValueError, "Invalid momentum value"),
        (lambda: mt.optim.SGD([_p()], weight_decay=-1), ValueError, "Invalid weight_decay value"),
        (lambda: mt.optim.SGD([_p()], momentum=0.9, dampening=0.1, nesterov=True), ValueError, "Nesterov"),
        (lambda: mt.optim.SGD([_p()], nesterov=True), ValueError, "Nesterov"),
        (lambda: mt.optim.Adam([_p()], lr=-1e-3), ValueError, "Invalid learning rate"),
        (lambda: mt.optim.Adam([_p()], eps=-1.0), ValueError, "Invalid epsilon value"),
        (lambda: mt.optim.Adam([_p()], betas=(1.0, 0.999)), ValueError, "beta parameter at index 0"),
        (lambda: mt.optim.Adam([_p()], betas=(0.9, -0.1)), ValueError, "beta parameter at index 1"),
        (lambda: mt.optim.AdamW([_p()], weight_decay=-0.1), ValueError, "Invalid weight_decay value"),
    ],
)
def test_bad_arguments_raise_like_torch(make, error, match) -> None:
    with pytest.raises(error, match=match):
        make()


def test_a_parameter_in_two_groups_raises_and_twice_in_one_group_warns() -> None:
    p = _p()
    with pytest.raises(ValueError, match="more than one parameter group"):
        mt.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        mt.optim.SGD([p, p], lr=0.1)
    with pytest.warns(FutureWarning, match="ordered collections"):
        mt.optim.SGD({p}, lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt.optim.SGD([p], lr=0.1)


# ---- GPU --------------------------------------------------------------------------------------
@pytest.mark.skipif(not backend.cuda_available(), reason="CUDA (CuPy with a GPU) not available")
@pytest.mark.parametrize(
    "case",
    [
        ("SGD", 0.05, dict(momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True)),
        ("SGD", 0.05, dict(momentum=0.9, dampening=0.3)),
        ("Adam", 0.01, dict(weight_decay=0.05, amsgrad=True)),
        ("Adam", 0.01, dict(betas=(0.3, 0.9))),
        ("AdamW", 0.01, dict(weight_decay=0.1, amsgrad=True, maximize=True)),
    ],
    ids=_case_id,
)
def test_cupy_parameters_match_torch(case: tuple) -> None:
    """The same code on CuPy arrays: state on the GPU, and the trajectory still within 1e-9 of torch's (CPU)."""
    name, lr, cfg = case
    host, theirs = _twin_params(np.float64)
    ours = [mt.tensor(p._data).to("cuda").requires_grad_() for p in host]
    opt_o, opt_t = _twin_optimizers(name, lr, cfg, ours, theirs)
    rng = np.random.default_rng(1)
    worst = 0.0
    for step in range(STEPS):
        _feed(rng, step, host, theirs, np.float64)
        for po, ph in zip(ours, host):
            po.grad = None if ph.grad is None else ph.grad.to("cuda")
        opt_o.step()
        opt_t.step()
        worst = max(worst, *(rel_err(po, pt) for po, pt in zip(ours, theirs)))
    assert worst <= TOL64
    for p in ours:
        assert p.device.type == "cuda"
        for key, value in opt_o.state[p].items():
            assert value.device.type == ("cpu" if key == "step" else "cuda")
    assert _state_err(opt_o, opt_t) <= TOL64
