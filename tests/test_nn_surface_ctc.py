"""CTCLoss / F.ctc_loss against torch: float64 exact and float32 against the float64 truth, loss and torch's
gradient with respect to the log-probabilities under a random upstream gradient, every reduction, padded and
concatenated targets, unbatched input, repeated labels (the skip rule), empty targets, impossible alignments with
and without zero_infinity, the gradient through log_softmax, repr and bad input."""

from __future__ import annotations

import sys
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


def _case(seed: int, t: int = 12, n: int = 4, c: int = 6, s: int = 5) -> tuple:
    rng = np.random.default_rng(seed)
    lp = torch.tensor(rng.standard_normal((t, n, c))).log_softmax(2).numpy()
    targets = rng.integers(1, c, (n, s))
    targets[0, :3] = [2, 2, 3]  # a repeated label: the blank between them is required
    input_lengths = [t] + list(rng.integers(2 * s + 1, t + 1, n - 1))
    target_lengths = [s] + list(rng.integers(0, s + 1, n - 1))
    return lp, targets, input_lengths, target_lengths


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("seed", [0, 1])
def test_ctc_loss_matches_torch(reduction: str, seed: int) -> None:
    lp, targets, il, tl = _case(seed)
    function_parity(lambda x, y: F.ctc_loss(x, y, il, tl, reduction=reduction),
                    lambda x, y: TF.ctc_loss(x, y, il, tl, reduction=reduction), [lp, targets], [True, False],
                    what=f"ctc {reduction}")


@pytest.mark.parametrize("blank", [0, 3, 5])
def test_ctc_loss_blank_anywhere_and_tensor_lengths(blank: int) -> None:
    lp, targets, il, tl = _case(2)
    targets = np.where(targets == blank, (blank + 1) % 6 or 1, targets)
    function_parity(lambda x, y: F.ctc_loss(x, y, mt.tensor(np.array(il)), mt.tensor(np.array(tl)), blank),
                    lambda x, y: TF.ctc_loss(x, y, torch.tensor(il), torch.tensor(tl), blank), [lp, targets],
                    [True, False], what=f"ctc blank={blank}")


def test_ctc_loss_concatenated_targets_and_unbatched() -> None:
    lp, targets, il, tl = _case(3)
    flat = np.concatenate([targets[i, :k] for i, k in enumerate(tl)])
    function_parity(lambda x, y: F.ctc_loss(x, y, il, tl, reduction="none"),
                    lambda x, y: TF.ctc_loss(x, y, il, tl, reduction="none"), [lp, flat], [True, False],
                    what="ctc concatenated")
    function_parity(lambda x, y: F.ctc_loss(x, y, mt.tensor(il[0]), mt.tensor(tl[0]), reduction="none"),
                    lambda x, y: TF.ctc_loss(x, y, torch.tensor(il[0]), torch.tensor(tl[0]), reduction="none"),
                    [lp[:, 0], targets[0, :tl[0]]], [True, False], what="ctc unbatched")


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_impossible_alignment_and_empty_input(zero_infinity: bool) -> None:
    """(1, 1, 1) needs 5 steps; 3 are given: the loss is inf (or 0 with zero_infinity, gradient 0 too); a sample of
    no steps has loss 0 for an empty target."""
    rng = np.random.default_rng(4)
    lp = torch.tensor(rng.standard_normal((6, 3, 4))).log_softmax(2).numpy()
    targets, il, tl = np.array([[1, 1, 1], [2, 3, 1], [1, 2, 3]]), [3, 6, 0], [3, 3, 0]
    g = rng.standard_normal(3)
    tx, mx = torch.tensor(lp, requires_grad=True), mt.tensor(lp, requires_grad=True)
    ty = TF.ctc_loss(tx, torch.tensor(targets), il, tl, reduction="none", zero_infinity=zero_infinity)
    my = F.ctc_loss(mx, mt.tensor(targets), il, tl, reduction="none", zero_infinity=zero_infinity)
    np.testing.assert_array_equal(np.isinf(my.detach().numpy()), np.isinf(ty.detach().numpy()))
    finite = np.isfinite(ty.detach().numpy())
    assert_close(my.detach().numpy()[finite], ty.detach().numpy()[finite], np.float64)
    if zero_infinity:
        ty.backward(torch.tensor(g))
        my.backward(mt.tensor(g))
        assert_close(mx.grad, tx.grad, np.float64, what="ctc zero_infinity grad")


def test_ctc_loss_gradient_through_log_softmax() -> None:
    """The usual use: logits -> log_softmax -> ctc_loss; the logits' gradient equals torch's."""
    lp, targets, il, tl = _case(5)
    function_parity(lambda x, y: F.ctc_loss(F.log_softmax(x, 2), y, il, tl),
                    lambda x, y: TF.ctc_loss(TF.log_softmax(x, 2), y, il, tl), [lp * 3.0, targets], [True, False],
                    what="ctc after log_softmax")


def test_ctc_module_repr_and_grad_fn() -> None:
    lp, targets, il, tl = _case(6)
    for kw in (dict(), dict(blank=2, reduction="sum", zero_infinity=True)):
        ours, theirs = mt.nn.CTCLoss(**kw), torch.nn.CTCLoss(**kw)
        assert repr(ours) == repr(theirs) and list(ours.state_dict()) == []
        targets_kw = np.where(targets == kw.get("blank", 0), 1, targets)
        a = ours(mt.tensor(lp), mt.tensor(targets_kw), il, tl)
        b = theirs(torch.tensor(lp), torch.tensor(targets_kw), il, tl)
        assert_close(a, b, np.float64)
    y = F.ctc_loss(mt.tensor(lp, requires_grad=True), mt.tensor(targets), il, tl, reduction="none")
    assert y.grad_fn.name() == "CtcLossBackward0"


BAD = [
    (lambda f, lib, lp, tg: f.ctc_loss(lp, tg, [12], [5, 2, 1, 0]), RuntimeError,
     "input_lengths must be of size batch_size"),
    (lambda f, lib, lp, tg: f.ctc_loss(lp, tg, [12] * 4, [5]), RuntimeError,
     "target_lengths must be of size batch_size"),
    (lambda f, lib, lp, tg: f.ctc_loss(lp, tg, [13, 12, 12, 12], [5] * 4), RuntimeError,
     "Expected input_lengths to have value at most 12, but got value 13"),
    (lambda f, lib, lp, tg: f.ctc_loss(lp, tg, [12] * 4, [6, 1, 1, 1]), RuntimeError,
     "Expected tensor to have size at least 6 at dimension 1, but got size 5 for argument #2 'targets'"),
    (lambda f, lib, lp, tg: f.ctc_loss(lp, tg, [12] * 4, [5] * 4, blank=6), RuntimeError,
     "blank must be in label range"),
    (lambda f, lib, lp, tg: f.ctc_loss(lp, tg, [12] * 4, [5, -1, 1, 1]), RuntimeError,
     "Expected target_lengths to have value at least 0, but got value -1"),
    (lambda f, lib, lp, tg: f.ctc_loss(lp, tg, [12] * 4, [5] * 4, reduction="x"), ValueError,
     "x is not a valid value for reduction"),
]


@pytest.mark.parametrize("index", range(len(BAD)))
def test_ctc_loss_bad_input_as_torch(index: int) -> None:
    lp, targets, _, _ = _case(7)
    call, exc, match = BAD[index]
    for f, lib in ((TF, torch), (F, mt)):
        with pytest.raises(exc, match=match):
            call(f, lib, lib.tensor(lp), lib.tensor(targets))


def test_ctc_loss_double_backward_raises_as_torch() -> None:
    lp, targets, il, tl = _case(8)
    for f, lib in ((TF, torch), (F, mt)):
        x = lib.tensor(lp, requires_grad=True)
        (g,) = lib.autograd.grad(f.ctc_loss(x, lib.tensor(targets), il, tl), x, create_graph=True)
        with pytest.raises(RuntimeError, match="not implemented|not differentiable twice"):
            g.sum().backward()


def test_ctc_loss_all_targets_empty() -> None:
    """Every target empty: the loss is -Σ_t log y_t(blank), the gradient torch's."""
    lp = torch.tensor(np.random.default_rng(9).standard_normal((5, 2, 4))).log_softmax(2).numpy()
    function_parity(lambda x, y: F.ctc_loss(x, y, [5, 3], [0, 0], reduction="none"),
                    lambda x, y: TF.ctc_loss(x, y, [5, 3], [0, 0], reduction="none"),
                    [lp, np.zeros((2, 0), dtype=np.int64)], [True, False], what="ctc empty targets")
