"""optim.LBFGS against torch.optim.LBFGS: the iterates, losses and evaluation counts of several steps, with and
without the strong-Wolfe line search, history limits, maximize, float64 to 1e-10 and float32 against the float64
truth; its state (saved and loaded, torch's state_dict too), checks and messages.

The objective is a convex, well-conditioned one (an L2-regularised logistic regression on two parameters), so the
iterates of the two libraries stay apart by rounding only (a non-convex objective amplifies rounding step by step,
which would test the objective, not the optimizer).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close

RNG = np.random.default_rng(7)
X = RNG.standard_normal((12, 5))
Y = (RNG.random(12) > 0.5).astype(np.float64)
W0 = 0.3 * RNG.standard_normal((1, 5))
B0 = 0.1 * RNG.standard_normal(1)


def _problem(lib, dtype, inputs=None):
    """The parameters and loss in ``dtype``, from the data rounded to ``inputs`` first (the float64 truth of a
    float32 run starts from the float32 values)."""
    inputs = dtype if inputs is None else inputs
    w = lib.tensor(W0.astype(inputs).astype(dtype), requires_grad=True)
    b = lib.tensor(B0.astype(inputs).astype(dtype), requires_grad=True)
    x, y = lib.tensor(X.astype(inputs).astype(dtype)), lib.tensor(Y.astype(dtype))
    bce = lib.nn.BCEWithLogitsLoss()

    def loss_fn():
        return bce((x @ w.t() + b).reshape(-1), y) + 0.05 * (w * w).sum()

    return w, b, loss_fn


def _run(lib, dtype, steps: int, sign: float = 1.0, inputs=None, **kw) -> dict:
    w, b, loss_fn = _problem(lib, dtype, inputs)
    opt = lib.optim.LBFGS([w, b], **kw)

    def closure():
        opt.zero_grad()
        loss = sign * loss_fn()
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    state = opt.state[w]
    return {"w": w.detach().numpy().copy(), "b": b.detach().numpy().copy(), "losses": np.array(losses),
            "func_evals": state["func_evals"], "n_iter": state["n_iter"], "opt": opt, "params": (w, b),
            "closure": closure}


CASES = [
    dict(),
    dict(max_iter=4),
    dict(history_size=2, max_iter=6, lr=0.8),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=5, history_size=3),
    dict(tolerance_grad=1e-3, tolerance_change=1e-4),
]


@pytest.mark.parametrize("kw", CASES, ids=[str(c) for c in CASES])
def test_lbfgs_iterates_match_torch(kw: dict) -> None:
    theirs = _run(torch, np.float64, 3, **kw)
    ours = _run(mt, np.float64, 3, **kw)
    assert (ours["func_evals"], ours["n_iter"]) == (theirs["func_evals"], theirs["n_iter"])
    for k in ("w", "b", "losses"):
        assert_close(ours[k], theirs[k], np.float64, what=k)
    # float32: one step of at most 4 iterations, short of convergence (there, whether |f - f_prev| falls under
    # tolerance_change depends on the last bits of f, and either library may stop an iteration earlier)
    kw32 = {**kw, "max_iter": min(kw.get("max_iter", 20), 4)}
    truth = _run(torch, np.float64, 1, inputs=np.float32, **kw32)
    ours32, torch32 = _run(mt, np.float32, 1, **kw32), _run(torch, np.float32, 1, **kw32)
    assert (ours32["func_evals"], ours32["n_iter"]) == (torch32["func_evals"], torch32["n_iter"])
    for k in ("w", "b"):
        assert ours32[k].dtype == np.float32
        assert_f32_close(ours32[k].ravel(), truth[k].ravel(), torch32=torch32[k].ravel(), what=f"float32 {k}")


def test_lbfgs_maximize_is_minimizing_the_negation() -> None:
    theirs = _run(torch, np.float64, 2, sign=-1.0, maximize=True, line_search_fn="strong_wolfe")
    ours = _run(mt, np.float64, 2, sign=-1.0, maximize=True, line_search_fn="strong_wolfe")
    plain = _run(mt, np.float64, 2, line_search_fn="strong_wolfe")
    assert_close(ours["w"], theirs["w"], np.float64)
    assert_close(ours["w"], plain["w"], np.float64)


def test_lbfgs_state_dict_round_trip_and_torch_state_loads() -> None:
    kw = dict(history_size=3, max_iter=3, line_search_fn="strong_wolfe")
    straight = _run(mt, np.float64, 3, **kw)
    # two steps, save, a fresh optimizer (and fresh parameters at the same values) loads it and takes the third
    first = _run(mt, np.float64, 2, **kw)
    buf = io.BytesIO()
    mt.save(first["opt"].state_dict(), buf)
    w, b, loss_fn = _problem(mt, np.float64)
    with mt.no_grad():
        w.copy_(mt.tensor(first["w"]))
        b.copy_(mt.tensor(first["b"]))
    opt = mt.optim.LBFGS([w, b], **kw)
    opt.load_state_dict(mt.load(io.BytesIO(buf.getvalue()), weights_only=False))

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    opt.step(closure)
    assert_close(w.detach().numpy(), straight["w"], np.float64, what="resumed from our state_dict")
    # torch's own state_dict after two steps, loaded into ours, gives torch's third step
    theirs2 = _run(torch, np.float64, 2, **kw)
    theirs3 = _run(torch, np.float64, 3, **kw)
    w, b, loss_fn = _problem(mt, np.float64)
    with mt.no_grad():
        w.copy_(mt.tensor(theirs2["w"]))
        b.copy_(mt.tensor(theirs2["b"]))
    opt = mt.optim.LBFGS([w, b], **kw)
    opt.load_state_dict(theirs2["opt"].state_dict())
    opt.step(closure)
    assert_close(w.detach().numpy(), theirs3["w"], np.float64, what="resumed from torch's state_dict")


def test_lbfgs_checks() -> None:
    w = mt.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        mt.optim.LBFGS([w], lr=-1)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        mt.optim.LBFGS([{"params": [w]}, {"params": [mt.zeros(2, requires_grad=True)]}])
    opt = mt.optim.LBFGS([w], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
    assert mt.optim.LBFGS([w]).defaults["max_eval"] == 25  # max_iter * 5 // 4, as torch
    with pytest.raises(RuntimeError, match="needs a closure"):
        mt.optim.LBFGS([w]).step(None)


def test_lbfgs_stops_at_a_stationary_point() -> None:
    """A zero gradient on the first evaluation returns the loss without a step (torch's tolerance_grad check)."""
    w = mt.tensor([1.0, 1.0], requires_grad=True)
    opt = mt.optim.LBFGS([w])

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert opt.state[w]["func_evals"] == 1 and opt.state[w]["n_iter"] == 0
