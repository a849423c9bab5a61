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

from _parity import assert_close, assert_f32_close, rel_err, to_np  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn import nn  # noqa: E402
from minitorch_cnn.nn import functional as F  # noqa: E402
from tests._profiles import examples  # noqa: E402

DTYPES = [np.float64, np.float32]
SHAPES = {"2d": (6, 5), "kdim": (3, 5, 2, 3), "unbatched": (5,)}
IGNORE = 2
TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}


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


def ce_conditions(x, target, weight, g, reduction="mean", label_smoothing=0.0, ignore_index=-100) -> dict:
    """The magnitude of the terms behind cross_entropy's loss and gradients (float64), the bound's scale for
    float32. The loss is a sum of a_c · (-log p_c) with coefficients a >= 0 (class weights, smoothing, the
    reduction's divisor); -log p_c = logsumexp(x) - x_c cancels, so its terms are |logsumexp| + |x_c|. dL/dx_c =
    a-sum · p_c - a_c cancels too: its terms are a-sum · p_c + a_c. dL/dtarget_c = -w_c (1 - smoothing) log p_c."""
    x = x.astype(np.float64)
    unbatched = x.ndim == 1
    if unbatched:
        # one sample, class dim 1
        x, target, g = x[None], np.asarray(target)[None], np.asarray(g)[None] if reduction == "none" else g
    c = x.shape[1]
    per_class = (1, c) + (1,) * (x.ndim - 2)
    w = np.ones(per_class) if weight is None else weight.astype(np.float64).reshape(per_class)
    lse = np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) + x.max(1, keepdims=True)
    terms, p = np.abs(x) + np.abs(lse), np.exp(x - lse)
    if target.dtype.kind == "f":
        target = target.astype(np.float64)
        a = w * ((1 - label_smoothing) * target + label_smoothing / c)
        divisor = x.size // c
    else:
        kept = target != ignore_index
        onehot = np.moveaxis(np.eye(c)[np.where(kept, target, 0)], -1, 1) * kept[:, None]
        a = w * ((1 - label_smoothing) * onehot + label_smoothing / c * kept[:, None])
        divisor = float((w * onehot).sum())
    if reduction == "mean":
        a = a / divisor if divisor else a  # every target ignored: a is all 0 (torch's loss is nan, its gradient 0)
    g = np.abs(np.asarray(g, np.float64))
    g_per_element = g[:, None] if reduction == "none" else g
    cond = {"loss": (a * terms).sum(1) if reduction == "none" else (a * terms).sum(),
            "dx": g_per_element * (a.sum(1, keepdims=True) * p + a)}
    if target.dtype.kind == "f":
        cond["dtarget"] = g_per_element * (w * (1 - label_smoothing) * terms / (divisor if reduction == "mean" else 1))
    if unbatched:
        cond = {k: v[0] if k != "loss" or reduction == "none" else v for k, v in cond.items()}
    return cond


def _losses(fn, lib, x, target, weight, kwargs, dtype, g):
    """(loss, dx, dtarget or None) of ``fn`` on ``lib``'s tensors in ``dtype``, backward with upstream ``g``."""
    probs = target.dtype.kind == "f"
    xl = lib.tensor(x.astype(dtype), requires_grad=True)
    tl = lib.tensor(target.astype(dtype) if probs else target, requires_grad=probs)
    loss = fn(xl, tl, weight=None if weight is None else lib.tensor(weight.astype(dtype)), **kwargs)
    if g is None:
        return loss
    loss.backward(lib.tensor(g.astype(dtype)))
    return {"loss": loss, "dx": xl.grad} | ({"dtarget": tl.grad} if probs else {})


def _compare(fn_ours, fn_torch, x, target, weight, kwargs, dtype, rng, cond_fn=None):
    """Loss and gradients (input; target when it is floating) of both libraries under a random upstream gradient:
    float64 against torch's float64; float32 against the float64 truth on the same inputs, bound by
    ``cond_fn(x, target, weight, g)`` (the terms' magnitudes; None: the results do not cancel) or torch's float32
    error."""
    shape = tuple(_losses(fn_torch, torch, x, target, weight, kwargs, dtype, None).shape)
    g = rng.standard_normal(shape).astype(dtype)
    ours, theirs = (_losses(fn, lib, x, target, weight, kwargs, dtype, g) for fn, lib in ((fn_ours, mt),
                                                                                      (fn_torch, torch)))
    assert ours["loss"].shape == shape and ours["loss"].dtype == x.dtype
    # nan where every target is ignored, as torch
    assert np.array_equal(np.isnan(to_np(ours["loss"])), np.isnan(to_np(theirs["loss"])))
    what = f"{kwargs}, weight={weight is not None}"
    if dtype == np.float64:
        for key, value in ours.items():
            assert_close(np.nan_to_num(to_np(value)), np.nan_to_num(to_np(theirs[key])), dtype, what=f"{key} {what}")
        return
    truth = _losses(fn_torch, torch, x, target, weight, kwargs, np.float64, g)
    cond = cond_fn(x, target, weight, g) if cond_fn else {}
    for key, value in ours.items():
        assert_f32_close(value, truth[key], torch32=theirs[key], cond=cond.get(key), what=f"{key} {what}")


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
        _compare(F.cross_entropy, TF.cross_entropy, x, target, weight, kwargs, dtype, rng,
                 lambda x, t, w, g, kw=kwargs: ce_conditions(x, t, w, g, **kw))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_nll_loss_every_option_matches_torch(shape, dtype):
    rng = np.random.default_rng(1)
    for reduction, weighted, with_ignored in itertools.product(["none", "mean", "sum"], [False, True], [False, True]):
        x, target, weight = _case(rng, SHAPES[shape], False, weighted, with_ignored, dtype)
        kwargs = {"reduction": reduction, "ignore_index": IGNORE if with_ignored else -100}
        logp = TF.log_softmax(torch.tensor(x), dim=1 if x.ndim > 1 else 0).numpy()
        _compare(F.nll_loss, TF.nll_loss, logp, target, weight, kwargs, dtype, rng)


@settings(max_examples=examples(25))
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
        theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight, dtype=TORCH_DTYPE[dtype]), **kwargs)
        exact = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight, dtype=torch.float64), **kwargs)
        _compare(lambda a, b, weight, m=ours: m(a, b),
                 lambda a, b, weight, m=theirs, e=exact: (e if a.dtype == torch.float64 else m)(a, b),
                 x, target, None, {}, dtype, rng, lambda x, t, _, g, kw=kwargs: ce_conditions(x, t, weight, g, **kw))
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
