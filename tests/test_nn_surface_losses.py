"""L1Loss, MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss, MultiMarginLoss, MultiLabelMarginLoss,
TripletMarginWithDistanceLoss (functional and modules) against torch: float64 exact and float32 against the float64
truth, values and gradients under a random upstream gradient, every reduction, reprs, state_dict keys, bad input."""

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
REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)


def _signs(shape: tuple, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_matches_torch(reduction: str) -> None:
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    function_parity(lambda a, b: F.l1_loss(a, b, reduction=reduction),
                    lambda a, b: TF.l1_loss(a, b, reduction=reduction), [x, y], [True, True], what="l1")


def test_l1_loss_broadcast_warns_as_torch() -> None:
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((1, 5))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.l1_loss(mt.tensor(x), mt.tensor(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        function_parity(lambda a, b: F.l1_loss(a, b), lambda a, b: TF.l1_loss(a, b), [x, y], [True, True],
                        what="l1 broadcast")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss_matches_torch(reduction: str, margin: float) -> None:
    a, b, y = rng.standard_normal(30), rng.standard_normal(30), _signs((30,), 1)
    function_parity(lambda p, q, t: F.margin_ranking_loss(p, q, t, margin, reduction=reduction),
                    lambda p, q, t: TF.margin_ranking_loss(p, q, t, margin, reduction=reduction),
                    [a, b, y], [True, True, True], what="margin_ranking")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss_matches_torch(reduction: str, margin: float) -> None:
    x, y = rng.standard_normal((5, 6)), _signs((5, 6), 2)
    function_parity(lambda p, t: F.hinge_embedding_loss(p, t, margin, reduction=reduction),
                    lambda p, t: TF.hinge_embedding_loss(p, t, margin, reduction=reduction), [x, y], [True, False],
                    what="hinge_embedding")


def test_hinge_embedding_loss_other_labels_add_both_terms() -> None:
    x, y = rng.standard_normal(8), np.array([1.0, -1.0, 0.0, 2.0, 1.0, -1.0, 0.5, 0.0])
    function_parity(lambda p, t: F.hinge_embedding_loss(p, t, reduction="none"),
                    lambda p, t: TF.hinge_embedding_loss(p, t, reduction="none"), [x, y], [True, False],
                    what="hinge_embedding labels")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss_matches_torch(reduction: str) -> None:
    x, y = 3 * rng.standard_normal((4, 7)), _signs((4, 7), 3)
    function_parity(lambda p, t: F.soft_margin_loss(p, t, reduction=reduction),
                    lambda p, t: TF.soft_margin_loss(p, t, reduction=reduction), [x, y], [True, False],
                    what="soft_margin")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 1.0, False), (1, 0.4, True), (2, 2.0, True)])
def test_multi_margin_loss_matches_torch(reduction: str, p: int, margin: float, weighted: bool) -> None:
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    w = rng.uniform(0.5, 2, 5)

    def ours(a, t, ww):
        return F.multi_margin_loss(a, t, p, margin, ww if weighted else None, reduction=reduction)

    def theirs(a, t, ww):
        return TF.multi_margin_loss(a, t, p, margin, ww if weighted else None, reduction=reduction)

    function_parity(ours, theirs, [x, y, w], [True, False, False], what=f"multi_margin p={p}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss_single_sample(reduction: str) -> None:
    function_parity(lambda a, t: F.multi_margin_loss(a, t, reduction=reduction),
                    lambda a, t: TF.multi_margin_loss(a, t, reduction=reduction),
                    [rng.standard_normal(5), np.array(3)], [True, False], what="multi_margin 1-d")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("batched", [True, False])
def test_multilabel_margin_loss_matches_torch(reduction: str, batched: bool) -> None:
    x = rng.standard_normal((4, 6))
    y = np.array([[3, 0, -1, 1, 1, 1], [5, 4, 3, 2, 1, 0], [-1, 2, 2, 2, 2, 2], [1, 1, 4, -1, 0, 0]])
    if not batched:
        x, y = x[0], y[0]
    function_parity(lambda a, t: F.multilabel_margin_loss(a, t, reduction=reduction),
                    lambda a, t: TF.multilabel_margin_loss(a, t, reduction=reduction), [x, y], [True, False],
                    what="multilabel_margin")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap,margin", [(False, 1.0), (True, 0.5)])
def test_triplet_margin_with_distance_loss_default_distance(reduction: str, swap: bool, margin: float) -> None:
    a, p, n = (rng.standard_normal((5, 4)) for _ in range(3))

    def ours(*t):
        return F.triplet_margin_with_distance_loss(*t, margin=margin, swap=swap, reduction=reduction)

    def theirs(*t):
        return TF.triplet_margin_with_distance_loss(*t, margin=margin, swap=swap, reduction=reduction)

    function_parity(ours, theirs, [a, p, n], [True, True, True], what="triplet_with_distance")


def test_triplet_margin_with_distance_loss_custom_distance() -> None:
    a, p, n = (rng.standard_normal((5, 4)) for _ in range(3))

    def ours(*t):
        return F.triplet_margin_with_distance_loss(*t, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v))

    def theirs(*t):
        return TF.triplet_margin_with_distance_loss(*t, distance_function=lambda u, v: 1 - TF.cosine_similarity(u, v))

    function_parity(ours, theirs, [a, p, n], [True, True, True], what="triplet cosine distance")


MODULES = [
    (lambda nn: nn.L1Loss(), 2), (lambda nn: nn.L1Loss(reduction="sum"), 2),
    (lambda nn: nn.MarginRankingLoss(margin=0.2), 3), (lambda nn: nn.HingeEmbeddingLoss(margin=0.5), 2),
    (lambda nn: nn.SoftMarginLoss(), 2), (lambda nn: nn.MultiLabelMarginLoss(), 2),
    (lambda nn: nn.MultiMarginLoss(p=2, margin=0.5), 2), (lambda nn: nn.TripletMarginWithDistanceLoss(swap=True), 3),
]


def _module_inputs(index: int, lib) -> list:
    r = np.random.default_rng(index)
    x = r.standard_normal((4, 5))
    if index in (0, 1):
        return [lib.tensor(x, requires_grad=True), lib.tensor(r.standard_normal((4, 5)))]
    if index == 2:
        return [lib.tensor(x[:, 0], requires_grad=True), lib.tensor(x[:, 1]), lib.tensor(_signs((4,), 9))]
    if index in (3, 4):
        return [lib.tensor(x, requires_grad=True), lib.tensor(_signs((4, 5), 9))]
    if index == 5:
        return [lib.tensor(x, requires_grad=True), lib.tensor(np.array([[1, 3, -1, 0, 0]] * 4))]
    if index == 6:
        return [lib.tensor(x, requires_grad=True), lib.tensor(np.array([0, 4, 2, 2]))]
    return [lib.tensor(x, requires_grad=True), lib.tensor(r.standard_normal((4, 5))),
            lib.tensor(r.standard_normal((4, 5)))]


@pytest.mark.parametrize("index", range(len(MODULES)))
def test_loss_modules_match_torch(index: int) -> None:
    ctor, _ = MODULES[index]
    results = []
    for lib in (torch, mt):
        inputs = _module_inputs(index, lib)
        loss = ctor(lib.nn)(*inputs)
        loss.backward()
        results.append((loss, inputs[0].grad))
    assert_close(results[1][0], results[0][0].detach(), np.float64, what=f"{index} loss")
    assert_close(results[1][1], results[0][1], np.float64, what=f"{index} grad")
    assert repr(ctor(mt.nn)) == repr(ctor(torch.nn))


def test_multi_margin_loss_module_weight_is_a_buffer() -> None:
    w = np.array([1.0, 2.0, 0.5])
    ours, theirs = mt.nn.MultiMarginLoss(weight=mt.tensor(w)), torch.nn.MultiMarginLoss(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert repr(ours) == repr(theirs)


BAD = [
    (lambda f, lib: f.multi_margin_loss(lib.zeros(4, 5), lib.zeros(4, dtype=lib.int64), p=3), ValueError,
     "only p == 1 and p == 2 supported"),
    (lambda f, lib: f.multi_margin_loss(lib.zeros(4, 5), lib.zeros(3, dtype=lib.int64)), RuntimeError,
     r"Expected target size \[4\], but got \[3\]"),
    (lambda f, lib: f.multi_margin_loss(lib.zeros(4, 5), lib.full((4,), 7, dtype=lib.int64)), RuntimeError,
     "target out of range"),
    (lambda f, lib: f.multi_margin_loss(lib.zeros(4, 5), lib.zeros(4, dtype=lib.int64), weight=lib.ones(4)),
     RuntimeError, r"inconsistent weight size, expected 5 but got \[4\]"),
    (lambda f, lib: f.multi_margin_loss(lib.zeros(2, 3, 4), lib.zeros(2, dtype=lib.int64)), RuntimeError,
     "Expected non-empty vector or matrix"),
    (lambda f, lib: f.multilabel_margin_loss(lib.zeros(4, 5), lib.zeros(4, dtype=lib.int64)), RuntimeError,
     r"inconsistent target size: \[4\] for input of size: \[4, 5\]"),
    (lambda f, lib: f.multilabel_margin_loss(lib.zeros(4, 5), lib.full((4, 5), 7, dtype=lib.int64)), RuntimeError,
     "'target' is out of range"),
    (lambda f, lib: f.margin_ranking_loss(lib.zeros(3), lib.zeros(3, 1), lib.zeros(3)), RuntimeError,
     "All input tensors should have same dimension"),
    (lambda f, lib: f.triplet_margin_with_distance_loss(lib.zeros(3, 4), lib.zeros(3, 4), lib.zeros(3, 4), margin=0),
     ValueError, "margin must be greater than 0, got 0"),
    (lambda f, lib: f.triplet_margin_with_distance_loss(lib.zeros(3, 4), lib.zeros(3, 4), lib.zeros(4)),
     RuntimeError, "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda f, lib: f.triplet_margin_with_distance_loss(lib.zeros(3), lib.zeros(3), lib.zeros(3), reduction="x"),
     ValueError, "x is not a valid value for reduction"),
    (lambda f, lib: f.soft_margin_loss(lib.zeros(3), lib.ones(3, requires_grad=True)), RuntimeError,
     "not differentiable with respect to argument 'target'"),
    (lambda f, lib: f.multi_margin_loss(lib.zeros(3, 4), lib.tensor([1.0, 2.0, 0.0])), RuntimeError,
     "expected scalar type Long but found Float"),
    (lambda f, lib: f.multi_margin_loss(lib.zeros(3, 4), lib.tensor([1, 2, 0], dtype=lib.int32)), RuntimeError,
     "expected scalar type Long but found Int"),
    (lambda f, lib: f.multilabel_margin_loss(lib.zeros(3, 4), lib.zeros(3, 4)), RuntimeError,
     "expected scalar type Long but found Float"),
    (lambda f, lib: lib.nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2 supported"),
    (lambda f, lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)), ValueError, "expected weight to be None or 1D"),
    (lambda f, lib: lib.nn.TripletMarginWithDistanceLoss(margin=-1.0), ValueError,
     "expected margin to be greater than 0"),
]


@pytest.mark.parametrize("index", range(len(BAD)))
def test_bad_input_raises_as_torch(index: int) -> None:
    call, exc, match = BAD[index]
    with pytest.raises(exc, match=match):
        call(TF, torch)
    with pytest.raises(exc, match=match):
        call(F, mt)


@pytest.mark.parametrize("name", ["soft_margin", "hinge_embedding", "triplet_with_distance", "margin_ranking"])
def test_losses_second_order_match_torch(name: str) -> None:
    x, w, v = rng.standard_normal((4, 5)), rng.standard_normal(()), rng.standard_normal((4, 5))
    y, p, n = _signs((4, 5), 5), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    calls = {
        "soft_margin": lambda f, lib, t: f.soft_margin_loss(t, lib.tensor(y)),
        "hinge_embedding": lambda f, lib, t: f.hinge_embedding_loss(t, lib.tensor(y), 0.7),
        "triplet_with_distance": lambda f, lib, t: f.triplet_margin_with_distance_loss(t, lib.tensor(p), lib.tensor(n),
                                                                                       margin=3.0),
        "margin_ranking": lambda f, lib, t: f.margin_ranking_loss(t, lib.tensor(p), lib.tensor(y), 0.5),
    }
    grads = []
    for f, lib in ((TF, torch), (F, mt)):
        tx, tw = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        (g,) = lib.autograd.grad(calls[name](f, lib, tx) * tw, tx, create_graph=True)
        (g * lib.tensor(v)).sum().backward()
        grads.append((tx.grad, tw.grad))
    for i in range(2):
        if grads[0][i] is None:
            assert grads[1][i] is None or not np.any(grads[1][i].numpy())
        else:
            assert_close(grads[1][i], grads[0][i], np.float64, what=f"{name} second order {i}")
