"""F.kl_div / nn.KLDivLoss, F.cosine_embedding_loss / nn.CosineEmbeddingLoss and F.avg_pool1d against torch:
forward and gradients (random upstream gradients) in float64 to 1e-10, float32 judged against the float64 truth,
and torch's warnings and error messages."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

F64 = np.float64


def _pair(arr: np.ndarray, dtype: type = np.float64) -> tuple[mt.Tensor, torch.Tensor]:
    a = arr.astype(dtype)
    return mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _backward(out_m: mt.Tensor, out_t: torch.Tensor, rng: np.random.Generator) -> None:
    g = rng.standard_normal(tuple(out_t.shape)).astype(np.float64 if out_t.dtype == torch.float64 else np.float32)
    out_m.backward(mt.tensor(g))
    out_t.backward(torch.tensor(g))


def _kl_inputs(rng: np.random.Generator, target_shape: tuple, log_target: bool) -> tuple[np.ndarray, np.ndarray]:
    logits = rng.standard_normal((4, 5))
    x = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    t = rng.random(target_shape) + 0.05
    t = t / t.sum(-1, keepdims=True)
    return x, (np.log(t) if log_target else t)


@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("target_shape", [(4, 5), (1, 5)])
def test_kl_div_matches_torch_float64(reduction: str, log_target: bool, target_shape: tuple) -> None:
    rng = np.random.default_rng(0)
    x, t = _kl_inputs(rng, target_shape, log_target)
    (xm, xt), (tm, tt) = _pair(x), _pair(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 'mean' warns in both
        om = mt.nn.functional.kl_div(xm, tm, reduction=reduction, log_target=log_target)
        ot = torch.nn.functional.kl_div(xt, tt, reduction=reduction, log_target=log_target)
    assert tuple(om.shape) == tuple(ot.shape)
    assert_close(om, ot, F64, what="loss")
    _backward(om, ot, rng)
    assert_close(xm.grad, xt.grad, F64, what="d input")
    assert_close(tm.grad, tt.grad, F64, what="d target")


@pytest.mark.parametrize("reduction", ["none", "batchmean"])
def test_kl_div_float32_against_the_float64_truth(reduction: str) -> None:
    rng = np.random.default_rng(1)
    x, t = _kl_inputs(rng, (4, 5), False)
    truth = mt.nn.functional.kl_div(mt.tensor(x), mt.tensor(t), reduction=reduction)
    ours = mt.nn.functional.kl_div(mt.tensor(x.astype(np.float32)), mt.tensor(t.astype(np.float32)),
                                   reduction=reduction)
    theirs = torch.nn.functional.kl_div(torch.tensor(x.astype(np.float32)), torch.tensor(t.astype(np.float32)),
                                        reduction=reduction)
    assert ours.dtype == mt.float32
    # a sum of terms of both signs: held to the size of the terms summed
    cond = mt.nn.functional.kl_div(mt.tensor(-np.abs(x)), mt.tensor(t), reduction=reduction).abs() * 2
    assert_f32_close(ours, truth, torch32=theirs, cond=cond)


def test_kl_div_module_warnings_and_errors() -> None:
    rng = np.random.default_rng(2)
    x, t = _kl_inputs(rng, (4, 5), False)
    for cls in (mt.nn.KLDivLoss, torch.nn.KLDivLoss):
        assert repr(cls(reduction="batchmean")) == "KLDivLoss()"
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        mt.nn.KLDivLoss()(mt.tensor(x), mt.tensor(t))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.KLDivLoss()(torch.tensor(x), torch.tensor(t))
    assert len(theirs) == 1 and [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        mt.nn.functional.kl_div(mt.tensor(x), mt.tensor(t), reduction="avg")
    with pytest.raises(TypeError, match="must be Tensor"):
        mt.nn.functional.kl_div(mt.tensor(x), t)
    with warnings.catch_warnings():  # the legacy pair: size_average=False means 'sum', as torch's
        warnings.simplefilter("ignore", UserWarning)
        legacy = mt.nn.KLDivLoss(size_average=False)(mt.tensor(x), mt.tensor(t))
        torch_legacy = torch.nn.KLDivLoss(size_average=False)(torch.tensor(x), torch.tensor(t))
    assert_close(legacy, torch_legacy, F64)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_loss_matches_torch_float64(reduction: str, margin: float) -> None:
    rng = np.random.default_rng(3)
    (am, at), (bm, bt) = _pair(rng.standard_normal((6, 7))), _pair(rng.standard_normal((6, 7)))
    y = np.array([1, -1, 1, -1, 0, -1])  # 0: neither pulled nor pushed
    om = mt.nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)(am, bm, mt.tensor(y))
    ot = torch.nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)(at, bt, torch.tensor(y))
    assert_close(om, ot, F64, what="loss")
    _backward(om, ot, rng)
    assert_close(am.grad, at.grad, F64, what="d input1")
    assert_close(bm.grad, bt.grad, F64, what="d input2")


def test_cosine_embedding_loss_vectors_float32_and_errors() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(9), rng.standard_normal(9)
    for target in (1.0, -1.0):
        truth = mt.nn.functional.cosine_embedding_loss(mt.tensor(a), mt.tensor(b), mt.tensor(target), margin=-0.5)
        ours = mt.nn.functional.cosine_embedding_loss(mt.tensor(a.astype(np.float32)), mt.tensor(b.astype(np.float32)),
                                                      mt.tensor(np.float32(target)), margin=-0.5)
        theirs = torch.nn.functional.cosine_embedding_loss(torch.tensor(a.astype(np.float32)),
                                                           torch.tensor(b.astype(np.float32)),
                                                           torch.tensor(np.float32(target)), margin=-0.5)
        assert_close(truth, torch.nn.functional.cosine_embedding_loss(torch.tensor(a), torch.tensor(b),
                                                                      torch.tensor(target), margin=-0.5), F64)
        assert_f32_close(ours, truth, torch32=theirs, cond=1.0)  # a cosine is at most 1 in size
    cases = [((5, 3), (5, 3), (5, 2)), ((5, 3), (5, 3), ()), ((3,), (3,), (3,))]
    for s1, s2, st in cases:
        with pytest.raises(RuntimeError) as theirs_err:
            torch.nn.functional.cosine_embedding_loss(torch.ones(s1), torch.ones(s2), torch.ones(st))
        with pytest.raises(RuntimeError) as ours_err:
            mt.nn.functional.cosine_embedding_loss(mt.ones(s1), mt.ones(s2), mt.ones(st))
        assert str(ours_err.value) == str(theirs_err.value)


@pytest.mark.parametrize("shape", [(3, 10), (2, 3, 11)])
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3,), "stride": (2,), "padding": 1, "ceil_mode": True, "count_include_pad": False},
])
def test_avg_pool1d_matches_torch_float64(shape: tuple, kwargs: dict) -> None:
    rng = np.random.default_rng(5)
    xm, xt = _pair(rng.standard_normal(shape))
    om = mt.nn.functional.avg_pool1d(xm, **kwargs)
    ot = torch.nn.functional.avg_pool1d(xt, **kwargs)
    assert tuple(om.shape) == tuple(ot.shape)
    assert_close(om, ot, F64)
    _backward(om, ot, rng)
    assert_close(xm.grad, xt.grad, F64)


def test_avg_pool1d_errors_are_torchs() -> None:
    for shape, k in (((5,), 2), ((2, 3, 4, 5), 2), ((2, 5), (2, 2))):
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.avg_pool1d(torch.ones(shape), k)
        with pytest.raises(RuntimeError) as ours:
            mt.nn.functional.avg_pool1d(mt.ones(shape), k)
        assert str(ours.value) == str(theirs.value)
