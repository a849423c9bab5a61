"""SmoothL1Loss, HuberLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss, GaussianNLLLoss (functional and modules)
against torch: float64 exact and float32 against the float64 truth, values and gradients (random upstream
gradient for reduction='none') in every reduction, the breakpoints, second order, state_dict and bad input."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _grad_parity import function_parity  # noqa: E402
from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as F  # noqa: E402

TF = torch.nn.functional
REDUCTIONS = ["none", "mean", "sum"]


def _pair(shape: tuple, seed: int = 0, scale: float = 2.0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-scale, scale, shape), rng.uniform(-scale, scale, shape)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.3, 0.0])
def test_smooth_l1_matches_torch(reduction: str, beta: float) -> None:
    function_parity(lambda x, t: F.smooth_l1_loss(x, t, reduction=reduction, beta=beta),
                    lambda x, t: TF.smooth_l1_loss(x, t, reduction=reduction, beta=beta),
                    _pair((4, 9)), [True, True], what=f"smooth_l1 {reduction} beta={beta}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.4])
def test_huber_matches_torch(reduction: str, delta: float) -> None:
    function_parity(lambda x, t: F.huber_loss(x, t, reduction=reduction, delta=delta),
                    lambda x, t: TF.huber_loss(x, t, reduction=reduction, delta=delta),
                    _pair((4, 9), 1), [True, True], what=f"huber {reduction} delta={delta}")
    w = np.random.default_rng(2).uniform(0, 1, (4, 9))
    function_parity(lambda x, t, w: F.huber_loss(x, t, reduction=reduction, delta=delta, weight=w),
                    lambda x, t, w: TF.huber_loss(x, t, reduction=reduction, delta=delta, weight=w),
                    _pair((4, 9), 1) + [w], [True, True, False], what=f"weighted huber {reduction}")


def test_robust_losses_at_the_breakpoint_and_broadcast() -> None:
    """|d| exactly β or δ takes the linear piece; d = 0 has zero gradient; a broadcast target warns as torch."""
    x, t = np.array([1.5, -0.5, 0.0, 0.7, 2.0]), np.array([0.5, 0.5, 0.0, 0.7, 2.3])
    for name, kw in (("smooth_l1_loss", {"beta": 1.0}), ("huber_loss", {"delta": 1.0})):
        function_parity(lambda a, b, name=name, kw=kw: getattr(F, name)(a, b, reduction="none", **kw),
                        lambda a, b, name=name, kw=kw: getattr(TF, name)(a, b, reduction="none", **kw), [x, t],
                        [True, True],
                        what=f"{name} breakpoints")
    with pytest.warns(UserWarning, match="target size"):
        ours = F.smooth_l1_loss(mt.tensor(np.ones((3, 2))), mt.tensor(np.zeros(2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.smooth_l1_loss(torch.ones(3, 2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    assert_close(ours, theirs, np.float64, what="broadcast smooth_l1")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_matches_torch(reduction: str) -> None:
    rng = np.random.default_rng(3)
    x, t, w = rng.uniform(-30, 30, (5, 4)), (rng.uniform(0, 1, (5, 4)) > 0.5).astype(np.float64), rng.uniform(0, 2, 4)
    function_parity(lambda a, b: F.multilabel_soft_margin_loss(a, b, reduction=reduction),
                    lambda a, b: TF.multilabel_soft_margin_loss(a, b, reduction=reduction), [x, t], [True, False],
                    what=f"multilabel_soft_margin {reduction}")
    function_parity(lambda a, b, c: F.multilabel_soft_margin_loss(a, b, c, reduction=reduction),
                    lambda a, b, c: TF.multilabel_soft_margin_loss(a, b, c, reduction=reduction), [x, t, w],
                    [True, False, False], what=f"weighted multilabel_soft_margin {reduction}")
    function_parity(lambda a, b: F.multilabel_soft_margin_loss(a, b, reduction=reduction),
                    lambda a, b: TF.multilabel_soft_margin_loss(a, b, reduction=reduction), [x[0], t[0]],
                    [True, False], what=f"unbatched multilabel_soft_margin {reduction}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (True, True), (False, False), (False, True)])
def test_poisson_nll_matches_torch(reduction: str, log_input: bool, full: bool) -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(-2, 2, (3, 8)) if log_input else rng.uniform(0.1, 4, (3, 8))
    t = rng.poisson(2.0, (3, 8)).astype(np.float64)
    function_parity(lambda a, b: F.poisson_nll_loss(a, b, log_input, full, reduction=reduction),
                    lambda a, b: TF.poisson_nll_loss(a, b, log_input, full, reduction=reduction), [x, t],
                    [True, False], what=f"poisson_nll {reduction} log_input={log_input} full={full}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_matches_torch(reduction: str, var_shape: tuple, full: bool) -> None:
    rng = np.random.default_rng(5)
    x, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    v = rng.uniform(0.2, 2.0, var_shape)
    v.flat[0] = 1e-9  # below eps: clamped in value, the gradient passes as if unclamped (torch's)
    function_parity(lambda a, b, c: F.gaussian_nll_loss(a, b, c, full=full, reduction=reduction),
                    lambda a, b, c: TF.gaussian_nll_loss(a, b, c, full=full, reduction=reduction), [x, t, v],
                    [True, True, True], what=f"gaussian_nll {reduction} var {var_shape} full={full}")


def test_gaussian_nll_float_var_and_module() -> None:
    x, t = _pair((3, 2), 6)
    ours = mt.nn.GaussianNLLLoss(full=True)(mt.tensor(x), mt.tensor(t), 0.5)
    theirs = torch.nn.GaussianNLLLoss(full=True)(torch.tensor(x), torch.tensor(t), 0.5)
    assert_close(ours, theirs, np.float64, what="float var")


@pytest.mark.parametrize("name", ["smooth_l1_loss", "huber_loss", "multilabel_soft_margin_loss",
                                  "poisson_nll_loss", "gaussian_nll_loss"])
def test_second_order_matches_torch(name: str) -> None:
    rng = np.random.default_rng(7)
    x, t, v = rng.uniform(-2, 2, (3, 4)), rng.uniform(0, 1, (3, 4)), rng.standard_normal((3, 4))
    var = rng.uniform(0.5, 1.5, (3, 4))
    grads = []
    for lib, f in ((torch, TF), (mt, F)):
        tx, tv = lib.tensor(x, requires_grad=True), lib.tensor(var, requires_grad=True)
        args = (tx, lib.tensor(t), tv) if name == "gaussian_nll_loss" else (tx, lib.tensor(t))
        loss = getattr(f, name)(*args, reduction="sum")
        (gx,) = lib.autograd.grad(loss, tx, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        grads.append(tx.grad)
    assert_close(grads[1], grads[0], np.float64, what=f"{name} second order")


def test_modules_state_and_legacy_arguments() -> None:
    x, t = _pair((3, 4), 8)
    w = np.random.default_rng(9).uniform(0, 1, 4)
    cases = [(lambda nn: nn.SmoothL1Loss(beta=0.5, reduction="sum"), (x, t)),
             (lambda nn: nn.HuberLoss(delta=0.5, reduction="none"), (x, t)),
             (lambda nn: nn.PoissonNLLLoss(log_input=False, full=True), (np.abs(x) + 0.1, np.round(np.abs(t) * 3))),
             (lambda nn: nn.MultiLabelSoftMarginLoss(weight=(mt if nn is mt.nn else torch).tensor(w)),
              (x, (t > 0) * 1.0))]
    for make, (a, b) in cases:
        ours, theirs = make(mt.nn), make(torch.nn)
        assert list(ours.state_dict()) == list(theirs.state_dict()), repr(theirs)
        assert repr(ours) == repr(theirs)
        assert_close(ours(mt.tensor(a), mt.tensor(b)), theirs(torch.tensor(a), torch.tensor(b)), np.float64,
                     what=repr(theirs))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        legacy = mt.nn.SmoothL1Loss(reduce=False)
    assert legacy.reduction == "none"


def test_bad_input() -> None:
    x = mt.zeros(2, 3)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.huber_loss(x, x, weight=mt.ones(3))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(x, x, -mt.ones(2, 3))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, mt.ones(3, 2))
    with pytest.raises(ValueError, match="'avg' is not valid"):
        F.poisson_nll_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="'avg' is not valid"):
        F.gaussian_nll_loss(x, x, mt.ones(2, 3), reduction="avg")
