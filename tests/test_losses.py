"""cross_entropy, nll_loss and their modules against torch, every option: weight, ignore_index, each reduction,
label_smoothing, class-probability targets, K-dimensional (N, C, d1, d2) and unbatched (C,) inputs; loss
values and gradients (input, and target for probabilities) under random upstream gradients; and the errors.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import TOL, rel_err  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn import nn  # noqa: E402
from minitorch_cnn.nn import functional as F  # noqa: E402

DTYPES = [np.float64, np.float32]
SHAPES = {"2d": (6, 5), "kdim": (3, 5, 2, 3), "unbatched": (5,)}
IGNORE = 2


def _case(rng, shape, probs, weighted, with_ignored, dtype):
    """Logits, a target (indices with some set to IGNORE when asked, or probabilities) and class weights."""
    c = shape[1] if len(shape) > 1 else shape[0]
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    if probs:
        q = rng.random(shape)
        target = (q / q.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)).astype(dtype)
    else:
        tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
        target = rng.integers(0, c, size=tshape)
        if with_ignored and target.ndim:
            target.reshape(-1)[::3] = IGNORE  # a few ignored; IGNORE is also a valid class elsewhere
    weight = (rng.random(c) + 0.2).astype(dtype) if weighted else None
    return x, target, weight


def _compare(fn_ours, fn_torch, x, target, weight, kwargs, dtype, rng):
    """Loss and gradients (input; target when it is floating) of both libraries; the worst relative error."""
    probs = target.dtype.kind == "f"
    xm, xt = mt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tm, tt = mt.tensor(target, requires_grad=probs), torch.tensor(target, requires_grad=probs)
    wm = None if weight is None else mt.tensor(weight)
    wt = None if weight is None else torch.tensor(weight)
    lm, lt = fn_ours(xm, tm, weight=wm, **kwargs), fn_torch(xt, tt, weight=wt, **kwargs)
    assert lm.shape == tuple(lt.shape) and lm.dtype == x.dtype
    g = rng.standard_normal(tuple(lt.shape)).astype(dtype)
    lm.backward(mt.tensor(g))
    lt.backward(torch.tensor(g))
    loss_m, loss_t = lm.detach().numpy(), lt.detach().numpy()
    assert np.array_equal(np.isnan(loss_m), np.isnan(loss_t))  # nan where every target is ignored, as torch
    errs = {"loss": rel_err(np.nan_to_num(loss_m), np.nan_to_num(loss_t)), "dx": rel_err(xm.grad, xt.grad)}
    if probs:
        errs["dtarget"] = rel_err(tm.grad, tt.grad)
    tol = TOL[np.dtype(dtype)]
    bad = {k: v for k, v in errs.items() if not v <= tol}
    assert not bad, f"{kwargs}, weight={weight is not None}: relative errors above {tol:g}: {bad}"
    return max(errs.values())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("probs", [False, True], ids=["indices", "probabilities"])
def test_cross_entropy_every_option_matches_torch(shape, probs, dtype):
    rng = np.random.default_rng(0)
    for reduction, smoothing, weighted, with_ignored in itertools.product(
        ["none", "mean", "sum"], [0.0, 0.25], [False, True], [False, True]
    ):
        if probs and with_ignored:
            continue  # ignore_index applies to class indices only
        x, target, weight = _case(rng, SHAPES[shape], probs, weighted, with_ignored, dtype)
        kwargs = {"reduction": reduction, "label_smoothing": smoothing}
        if with_ignored:
            kwargs["ignore_index"] = IGNORE
        _compare(F.cross_entropy, TF.cross_entropy, x, target, weight, kwargs, dtype, rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_nll_loss_every_option_matches_torch(shape, dtype):
    rng = np.random.default_rng(1)
    for reduction, weighted, with_ignored in itertools.product(["none", "mean", "sum"], [False, True], [False, True]):
        x, target, weight = _case(rng, SHAPES[shape], False, weighted, with_ignored, dtype)
        kwargs = {"reduction": reduction, "ignore_index": IGNORE if with_ignored else -100}
        logp = TF.log_softmax(torch.tensor(x), dim=1 if x.ndim > 1 else 0).numpy()
        _compare(F.nll_loss, TF.nll_loss, logp, target, weight, kwargs, dtype, rng)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 5), c=st.integers(3, 6), spatial=st.sampled_from([(), (3,), (2, 2)]),
    reduction=st.sampled_from(["none", "mean", "sum"]), smoothing=st.sampled_from([0.0, 0.1, 1.0]),
    weighted=st.booleans(), seed=st.integers(0, 2**16),
)
def test_cross_entropy_random_shapes_match_torch(n, c, spatial, reduction, smoothing, weighted, seed):
    rng = np.random.default_rng(seed)
    x, target, weight = _case(rng, (n, c) + spatial, False, weighted, True, np.float64)
    kwargs = {"reduction": reduction, "label_smoothing": smoothing, "ignore_index": IGNORE}
    _compare(F.cross_entropy, TF.cross_entropy, x, target, weight, kwargs, np.float64, rng)


def test_all_targets_ignored_gives_nan_mean_and_zero_gradients_as_torch():
    x = mt.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(x, mt.tensor([1, 1, 1]), ignore_index=1)
    assert np.isnan(loss.item())
    loss.backward()
    assert np.all(x.grad.numpy() == 0)


# ---- modules -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_modules_match_torch(dtype):
    rng = np.random.default_rng(2)
    x, target, weight = _case(rng, (4, 5, 3), False, True, True, dtype)
    for kwargs in ({}, {"reduction": "sum", "label_smoothing": 0.3, "ignore_index": IGNORE}):
        ours = nn.CrossEntropyLoss(weight=mt.tensor(weight), **kwargs)
        theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight), **kwargs)
        _compare(lambda a, b, weight, m=ours: m(a, b), lambda a, b, weight, m=theirs: m(a, b), x, target, None, {},
                 dtype, rng)
    logp = TF.log_softmax(torch.tensor(x), dim=1).numpy()
    ours, theirs = nn.NLLLoss(ignore_index=IGNORE, reduction="none"), torch.nn.NLLLoss(ignore_index=IGNORE,
                                                                                       reduction="none")
    _compare(lambda a, b, weight: ours(a, b), lambda a, b, weight: theirs(a, b), logp, target, None, {}, dtype, rng)
    y = rng.standard_normal(x.shape).astype(dtype)
    ours, theirs = nn.MSELoss(), torch.nn.MSELoss()
    _compare(lambda a, b, weight: ours(a, b), lambda a, b, weight: theirs(a, b), x, y, None, {}, dtype, rng)


def test_loss_modules_state_dict_and_repr_are_torchs():
    w = np.array([1.0, 2.0, 0.5], dtype=np.float32)
    ours, theirs = nn.CrossEntropyLoss(weight=mt.tensor(w)), torch.nn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    for a, b in [(ours, theirs), (nn.NLLLoss(), torch.nn.NLLLoss()), (nn.MSELoss(reduction="sum"),
                                                                     torch.nn.MSELoss(reduction="sum"))]:
        assert repr(a) == repr(b)
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_legacy_size_average_reduce_arguments():
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.CrossEntropyLoss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.NLLLoss(size_average=False).reduction == "sum"


# ---- errors, raised before any work ----------------------------------------------------------------
@pytest.mark.parametrize("label", [10, -1, 12])
def test_out_of_range_target_names_the_label_and_class_count(label):
    target = mt.tensor([0, 3, label, 9])
    with pytest.raises(IndexError, match=rf"cross_entropy: target {label} is out of bounds for 10 classes"):
        F.cross_entropy(mt.randn(4, 10), target)
    with pytest.raises(IndexError, match=rf"nll_loss: target {label} is out of bounds for 10 classes"):
        F.nll_loss(mt.randn(4, 10), target)


def test_ignore_index_may_lie_outside_the_classes():
    x = np.random.default_rng(3).standard_normal((3, 4))
    t = np.array([1, -100, 3])
    assert rel_err(F.cross_entropy(mt.tensor(x), mt.tensor(t)), TF.cross_entropy(torch.tensor(x), torch.tensor(t))) \
        <= 1e-12


@pytest.mark.parametrize("x_shape, t_shape, error, match", [
    ((4, 10), (3,), ValueError, r"Expected input batch_size \(4\) to match target batch_size \(3\)"),
    ((4, 10, 5), (4, 6), RuntimeError, r"expected target size \(4, 5\), got \(4, 6\)"),
    ((4, 10, 5), (4,), RuntimeError, r"needs a target of shape \(4, 5\), got \(4,\)"),
    ((10,), (2,), RuntimeError, r"unbatched input \(10,\) needs a 0-d class-index target"),
])
def test_target_shape_errors(x_shape, t_shape, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(mt.randn(*x_shape), mt.zeros(*t_shape, dtype=mt.int64))


def test_argument_errors():
    x, t = mt.randn(4, 3), mt.tensor([0, 1, 2, 0])
    with pytest.raises(RuntimeError, match=r"class-probability target must have the input's shape \(4, 3\)"):
        F.cross_entropy(x, mt.rand(4, 2))
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined either for all 3 classes"):
        F.cross_entropy(x, t, weight=mt.ones(4))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0. Got: 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction='average' is not valid"):
        F.cross_entropy(x, t, reduction="average")
    with pytest.raises(RuntimeError, match="expected floating input"):
        F.cross_entropy(mt.ones(4, 3, dtype=mt.int64), t)
    with pytest.raises(RuntimeError, match="dtype int64"):
        F.nll_loss(x, mt.ones(4, dtype=mt.bool_))
