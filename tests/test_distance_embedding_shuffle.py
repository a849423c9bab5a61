"""PixelShuffle/PixelUnshuffle, init.orthogonal_, pairwise_distance, cosine_similarity, cdist, triplet_margin_loss and
Embedding against torch: the same inputs and weights in both, float64 forward and backward with random upstream
gradients at 1e-10, float32 judged against the float64 truth, and torch's errors for bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

F64 = np.float64
RNG = np.random.default_rng(7)


def _pair(arr: np.ndarray) -> tuple:
    return mt.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)


def _grads(ours: Any, theirs: Any, inputs: list[tuple]) -> list[tuple]:
    g = RNG.standard_normal(tuple(theirs.shape))
    ours.backward(mt.tensor(g.astype(ours.dtype)))
    theirs.backward(torch.tensor(g.astype(np.dtype(str(theirs.dtype).split(".")[1]))))
    return [(o.grad.numpy(), t.grad.numpy()) for o, t in inputs]


@pytest.mark.parametrize(("shape", "r"), [((2, 18, 3, 4), 3), ((8, 2, 2), 2), ((2, 1, 4, 3, 5), 1)])
def test_pixel_shuffle_and_unshuffle(shape: tuple, r: int) -> None:
    a = RNG.standard_normal(shape)
    x, tx = _pair(a)
    out, tout = mt.nn.PixelShuffle(r)(x), torch.nn.PixelShuffle(r)(tx)
    assert tuple(out.shape) == tuple(tout.shape)
    assert_close(out.detach().numpy(), tout.detach().numpy(), F64, tol=0)
    for go, gt in _grads(out, tout, [(x, tx)]):
        assert_close(go, gt, F64, tol=0)
    back = mt.nn.functional.pixel_unshuffle(out, r)
    assert_close(back.detach().numpy(), torch.nn.functional.pixel_unshuffle(tout, r).detach().numpy(), F64, tol=0)
    assert repr(mt.nn.PixelShuffle(r)) == repr(torch.nn.PixelShuffle(r))
    assert repr(mt.nn.PixelUnshuffle(r)) == repr(torch.nn.PixelUnshuffle(r))


@pytest.mark.parametrize(("fn", "shape", "r"), [
    ("pixel_shuffle", (2, 3), 2), ("pixel_shuffle", (1, 5, 2, 2), 2), ("pixel_shuffle", (1, 4, 2, 2), 0),
    ("pixel_unshuffle", (1, 4, 5, 4), 2), ("pixel_unshuffle", (1, 4, 4, 5), 2), ("pixel_unshuffle", (1, 4, 4, 4), -1),
    ("pixel_unshuffle", (4, 4), 2),
])
def test_pixel_shuffle_errors(fn: str, shape: tuple, r: int) -> None:
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.nn.functional, fn)(torch.zeros(shape), r)
    with pytest.raises(RuntimeError) as ours:
        getattr(mt.nn.functional, fn)(mt.zeros(*shape), r)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape", [(6, 3, 2, 2), (4, 20), (20, 4)])
def test_orthogonal(shape: tuple) -> None:
    gain = mt.nn.init.calculate_gain("relu")
    w = mt.nn.init.orthogonal_(mt.empty(*shape, dtype=mt.float64), gain).numpy().reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    assert_close(small, gain ** 2 * np.eye(min(w.shape)), F64)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        mt.nn.init.orthogonal_(mt.empty(3))


@pytest.mark.parametrize(("p", "keepdim", "s1", "s2"), [
    (2.0, False, (5, 4), (5, 4)), (1.0, True, (3, 5, 4), (5, 4)), (3.0, False, (4,), (4,)),
    (float("inf"), False, (5, 4), (1, 4)),
])
def test_pairwise_distance(p: float, keepdim: bool, s1: tuple, s2: tuple) -> None:
    a, b = RNG.standard_normal(s1), RNG.standard_normal(s2)
    (x1, t1), (x2, t2) = _pair(a), _pair(b)
    out = mt.nn.PairwiseDistance(p=p, keepdim=keepdim)(x1, x2)
    tout = torch.nn.PairwiseDistance(p=p, keepdim=keepdim)(t1, t2)
    assert tuple(out.shape) == tuple(tout.shape)
    assert_close(out.detach().numpy(), tout.detach().numpy(), F64)
    for go, gt in _grads(out, tout, [(x1, t1), (x2, t2)]):
        assert_close(go, gt, F64)


@pytest.mark.parametrize(("dim", "s1", "s2"), [(1, (5, 4), (5, 4)), (0, (4, 3), (4, 1)), (-1, (2, 3, 6), (2, 3, 6))])
def test_cosine_similarity(dim: int, s1: tuple, s2: tuple) -> None:
    a, b = RNG.standard_normal(s1), RNG.standard_normal(s2)
    a[0] = 0.0  # a zero vector: its norm clamped to eps in the value, its gradient as torch's
    (x1, t1), (x2, t2) = _pair(a), _pair(b)
    out, tout = mt.nn.CosineSimilarity(dim)(x1, x2), torch.nn.CosineSimilarity(dim)(t1, t2)
    assert_close(out.detach().numpy(), tout.detach().numpy(), F64)
    for go, gt in _grads(out, tout, [(x1, t1), (x2, t2)]):
        assert_close(go, gt, F64)


def test_cosine_similarity_float32() -> None:
    a, b = RNG.standard_normal((6, 8)), RNG.standard_normal((6, 8))
    ours = mt.nn.functional.cosine_similarity(mt.tensor(a.astype(np.float32)), mt.tensor(b.astype(np.float32)))
    truth = torch.nn.functional.cosine_similarity(torch.tensor(a.astype(np.float32)).double(),
                                                  torch.tensor(b.astype(np.float32)).double())
    t32 = torch.nn.functional.cosine_similarity(torch.tensor(a.astype(np.float32)), torch.tensor(b.astype(np.float32)))
    assert_f32_close(ours.numpy(), truth.numpy(), torch32=t32.numpy(), cond=np.ones(6))


@pytest.mark.parametrize(("p", "s1", "s2"), [(2.0, (5, 3), (4, 3)), (1.0, (2, 3, 4), (2, 5, 4)), (0.5, (3, 2), (3, 2))])
def test_cdist(p: float, s1: tuple, s2: tuple) -> None:
    (x1, t1), (x2, t2) = _pair(RNG.standard_normal(s1)), _pair(RNG.standard_normal(s2))
    out, tout = mt.cdist(x1, x2, p=p), torch.cdist(t1, t2, p=p)
    assert_close(out.detach().numpy(), tout.detach().numpy(), F64)
    for go, gt in _grads(out, tout, [(x1, t1), (x2, t2)]):
        assert_close(go, gt, F64)


@pytest.mark.parametrize(("s1", "s2", "p"), [((2, 3), (2, 4), 2.0), ((3,), (2, 3), 2.0), ((2, 3), (2, 3), -1.0)])
def test_cdist_errors(s1: tuple, s2: tuple, p: float) -> None:
    with pytest.raises(RuntimeError) as theirs:
        torch.cdist(torch.zeros(s1), torch.zeros(s2), p=p)
    with pytest.raises(RuntimeError) as ours:
        mt.cdist(mt.zeros(*s1), mt.zeros(*s2), p=p)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(("margin", "p", "swap", "reduction"), [
    (1.0, 2.0, False, "mean"), (0.5, 1.0, True, "sum"), (2.0, 2.0, True, "none"),
])
def test_triplet_margin_loss(margin: float, p: float, swap: bool, reduction: str) -> None:
    pairs = [_pair(RNG.standard_normal((6, 5))) for _ in range(3)]
    ours = mt.nn.TripletMarginLoss(margin=margin, p=p, swap=swap, reduction=reduction)(*[o for o, _ in pairs])
    theirs = torch.nn.TripletMarginLoss(margin=margin, p=p, swap=swap, reduction=reduction)(*[t for _, t in pairs])
    assert_close(ours.detach().numpy(), theirs.detach().numpy(), F64)
    for go, gt in _grads(ours, theirs, pairs):
        assert_close(go, gt, F64)


def test_triplet_margin_loss_errors() -> None:
    msg = "The anchor, positive, and negative tensors are expected to have the same number of dimensions"
    with pytest.raises(RuntimeError, match=msg):
        mt.nn.functional.triplet_margin_loss(mt.zeros(2, 3), mt.zeros(3), mt.zeros(2, 3))
    with pytest.raises(ValueError, match="expected margin to be greater than 0, got 0 instead"):
        mt.nn.TripletMarginLoss(margin=0)


@pytest.mark.parametrize(("padding_idx", "scale", "max_norm"), [(None, False, None), (0, True, None), (-1, False, 1.5)])
def test_embedding(padding_idx: int | None, scale: bool, max_norm: float | None) -> None:
    table = RNG.standard_normal((7, 4))
    idx = np.array([[1, 2, 6, 2], [0, 2, 5, 1]])
    ours = mt.nn.Embedding(7, 4, padding_idx=padding_idx, scale_grad_by_freq=scale, max_norm=max_norm,
                           dtype=mt.float64)
    theirs = torch.nn.Embedding(7, 4, padding_idx=padding_idx, scale_grad_by_freq=scale, max_norm=max_norm,
                                dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(table))
    ours.weight.data = mt.tensor(table)
    out, tout = ours(mt.tensor(idx)), theirs(torch.tensor(idx))
    assert_close(out.detach().numpy(), tout.detach().numpy(), F64)
    assert_close(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), F64)  # max_norm's renorm in place
    g = RNG.standard_normal(tuple(tout.shape))
    out.backward(mt.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), F64)


def test_embedding_init_and_errors() -> None:
    e = mt.nn.Embedding(5, 3, padding_idx=2)
    assert np.all(e.weight.detach().numpy()[2] == 0) and e.weight.dtype == mt.float32
    frozen = mt.nn.Embedding.from_pretrained(mt.ones(4, 2))
    assert not frozen.weight.requires_grad
    assert repr(frozen) == repr(torch.nn.Embedding.from_pretrained(torch.ones(4, 2)))
    w = mt.randn(5, 3)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int; but got torch.FloatTensor instead"):
        mt.nn.functional.embedding(mt.tensor([1.0]), w)
    for bad in ([7], [-1]):
        with pytest.raises(IndexError, match="index out of range in self"):
            mt.nn.functional.embedding(mt.tensor(bad), w)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        mt.nn.Embedding(5, 3, padding_idx=5)
    with pytest.raises(RuntimeError, match="sparse=True"):
        mt.nn.Embedding(5, 3, sparse=True)(mt.tensor([1]))
