"""torch's top-level forms with ATen signatures against torch: batch_norm / layer_norm / group_norm / instance_norm
(and their native_* forms with the saved statistics), embedding, the int-reduction losses, constant_pad_nd and the
recurrent cells: float64 forward and gradients (random upstream gradients) to 1e-10, float32 against the float64
truth, second order where torch has it. Dropout forms: same draws as the F op under one seed, the masks' shape and
scale, identity when not training, in-place forms, torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(21)


def test_batch_norm_and_native() -> None:
    x, w, b = RNG.standard_normal((4, 3, 5)), RNG.standard_normal(3), RNG.standard_normal(3)
    check(lambda x_, w_, b_: mt.batch_norm(x_, w_, b_, None, None, True, 0.1, 1e-5, False),
          lambda x_, w_, b_: torch.batch_norm(x_, w_, b_, None, None, True, 0.1, 1e-5, False), [x, w, b],
          second_order=True)
    rm, rv = mt.zeros(3, dtype=mt.float64), mt.ones(3, dtype=mt.float64)
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    mt.batch_norm(mt.tensor(x), None, None, rm, rv, True, 0.3, 1e-5, False)
    torch.batch_norm(torch.tensor(x), None, None, rm_t, rv_t, True, 0.3, 1e-5, False)
    assert np.allclose(rm.numpy(), rm_t.numpy(), rtol=1e-12) and np.allclose(rv.numpy(), rv_t.numpy(), rtol=1e-12)
    check(lambda x_, w_, b_: mt.native_batch_norm(x_, w_, b_, None, None, True, 0.1, 1e-5),
          lambda x_, w_, b_: torch.native_batch_norm(x_, w_, b_, None, None, True, 0.1, 1e-5), [x, w, b],
          grads=False)
    ours = mt.native_batch_norm(mt.tensor(x), None, None, rm, rv, False, 0.1, 1e-5)
    theirs = torch.native_batch_norm(torch.tensor(x), None, None, rm_t, rv_t, False, 0.1, 1e-5)
    assert [tuple(o.shape) for o in ours] == [tuple(t.shape) for t in theirs]


def test_sample_norms_and_native() -> None:
    x, w, b = RNG.standard_normal((4, 6, 5)), RNG.standard_normal(6), RNG.standard_normal(6)
    w5, b5 = RNG.standard_normal(5), RNG.standard_normal(5)
    check(lambda x_, w_, b_: mt.layer_norm(x_, [5], w_, b_, 1e-5, True),
          lambda x_, w_, b_: torch.layer_norm(x_, [5], w_, b_, 1e-5, True), [x, w5, b5], second_order=True)
    check(lambda x_, w_, b_: mt.group_norm(x_, 3, w_, b_), lambda x_, w_, b_: torch.group_norm(x_, 3, w_, b_),
          [x, w, b], second_order=True)
    check(lambda x_, w_, b_: mt.instance_norm(x_, w_, b_, None, None, True, 0.1, 1e-5, False),
          lambda x_, w_, b_: torch.instance_norm(x_, w_, b_, None, None, True, 0.1, 1e-5, False), [x, w, b])
    check(lambda x_, w_, b_: mt.native_layer_norm(x_, [6, 5], w_, b_, 1e-5),
          lambda x_, w_, b_: torch.native_layer_norm(x_, [6, 5], w_, b_, 1e-5),
          [x, RNG.standard_normal((6, 5)), RNG.standard_normal((6, 5))], grads=False)
    check(lambda x_, w_, b_: mt.native_group_norm(x_, w_, b_, 4, 6, 5, 2, 1e-5),
          lambda x_, w_, b_: torch.native_group_norm(x_, w_, b_, 4, 6, 5, 2, 1e-5), [x, w, b], grads=False)
    assert mt.native_layer_norm(mt.tensor(x, requires_grad=True), [5], None, None, 1e-5)[0].requires_grad


@pytest.mark.parametrize("padding_idx", [-1, 2])
def test_embedding(padding_idx: int) -> None:
    idx = np.array([[0, 2, 4], [2, 1, 0]])
    check(lambda w: mt.embedding(w, mt.tensor(idx), padding_idx), lambda w: torch.embedding(w, torch.tensor(idx),
          padding_idx), [RNG.standard_normal((5, 3))])


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_losses(reduction: int) -> None:
    x, y = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    target = (RNG.random((4, 5)) > 0.5).astype(np.float64)
    sign = np.where(RNG.random(4) > 0.5, 1.0, -1.0)
    r = reduction
    check(lambda a, t: mt.binary_cross_entropy_with_logits(a, t, None, mt.full((5,), 2.0, dtype=a.dtype), r),
          lambda a, t: torch.binary_cross_entropy_with_logits(a, t, None, torch.full((5,), 2.0, dtype=a.dtype), r),
          [x, target], second_order=True)
    logp = np.log(np.abs(x) / np.abs(x).sum(1, keepdims=True))
    check(lambda a, b: mt.kl_div(a, b, r), lambda a, b: torch.kl_div(a, b, r), [logp, np.abs(y)], second_order=True)
    check(lambda a, b: mt.cosine_embedding_loss(a, b, mt.tensor(sign).to(a.dtype), 0.1, r),
          lambda a, b: torch.cosine_embedding_loss(a, b, torch.tensor(sign).to(a.dtype), 0.1, r), [x, y])
    check(lambda a: mt.hinge_embedding_loss(a, mt.tensor(np.sign(y)).to(a.dtype), 0.5, r),
          lambda a: torch.hinge_embedding_loss(a, torch.tensor(np.sign(y)).to(a.dtype), 0.5, r), [x])
    check(lambda a, b: mt.margin_ranking_loss(a, b, mt.tensor(np.sign(y)).to(a.dtype), 0.2, r),
          lambda a, b: torch.margin_ranking_loss(a, b, torch.tensor(np.sign(y)).to(a.dtype), 0.2, r), [x, y])
    check(lambda a, b, c: mt.triplet_margin_loss(a, b, c, 1.0, 2.0, 1e-6, True, r),
          lambda a, b, c: torch.triplet_margin_loss(a, b, c, 1.0, 2.0, 1e-6, True, r),
          [x, y, RNG.standard_normal((4, 5))])
    with pytest.raises(ValueError, match="3 is not a valid value for reduction"):
        mt.kl_div(mt.tensor(logp), mt.tensor(y), 3)


def test_ctc_loss_and_pad() -> None:
    logits = RNG.standard_normal((6, 2, 4))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = np.array([[1, 2, 1], [3, 1, 0]])
    check(lambda a: mt.ctc_loss(a, mt.tensor(targets), [6, 5], [3, 2], 0, 1, False),
          lambda a: torch.ctc_loss(a, torch.tensor(targets), [6, 5], [3, 2], 0, 1, False), [logp])
    check(lambda a: mt.constant_pad_nd(a, [1, 2, 0, 1], 0.5), lambda a: torch.constant_pad_nd(a, [1, 2, 0, 1], 0.5),
          [RNG.standard_normal((2, 3, 4))])


@pytest.mark.parametrize("bias", [True, False])
def test_cells(bias: bool) -> None:
    x, h, c = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 5)), RNG.standard_normal((3, 5))

    def weights(k: int) -> list:
        ws = [RNG.standard_normal((k * 5, 4)), RNG.standard_normal((k * 5, 5))]
        return ws + ([RNG.standard_normal(k * 5), RNG.standard_normal(k * 5)] if bias else [])

    for name, k in (("rnn_tanh_cell", 1), ("rnn_relu_cell", 1), ("gru_cell", 3)):
        check(lambda *a, n=name: getattr(mt, n)(*a), lambda *a, n=name: getattr(torch, n)(*a), [x, h, *weights(k)],
              second_order=True)
    check(lambda x_, h_, c_, *w: mt.lstm_cell(x_, [h_, c_], *w), lambda x_, h_, c_, *w: torch.lstm_cell(x_, [h_, c_],
          *w), [x, h, c, *weights(4)], second_order=True)


@pytest.mark.parametrize("name", ["dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout"])
def test_dropout_forms(name: str) -> None:
    fn, f_op = getattr(mt, name), {"dropout": mt.nn.functional.dropout, "feature_dropout": mt.nn.functional.dropout2d,
                                   "alpha_dropout": mt.nn.functional.alpha_dropout,
                                   "feature_alpha_dropout": mt.nn.functional.feature_alpha_dropout}[name]
    x = mt.tensor(RNG.standard_normal((8, 6, 4, 4)))
    assert fn(x, 0.4, False) is x
    mt.manual_seed(3)
    y = fn(x, 0.4, True)
    mt.manual_seed(3)
    assert np.array_equal(y.numpy(), f_op(x, 0.4, True).numpy())  # the F op's draws
    if name.startswith("feature"):  # one draw per (n, c): a plane is dropped whole (constant) or kept whole (affine)
        xs, ys = x.numpy().reshape(48, -1), y.numpy().reshape(48, -1)
        dropped = ys.std(-1) == 0
        assert 0 < dropped.sum() < 48
        assert all(abs(np.corrcoef(a, b)[0, 1] - 1) < 1e-12 for a, b in zip(xs[~dropped], ys[~dropped]))
    z = x.clone()
    mt.manual_seed(3)
    assert getattr(mt, name + "_")(z, 0.4, True) is z
    assert np.array_equal(z.numpy(), y.numpy())
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        fn(x, 1.5, True)


def test_native_dropout_and_errors() -> None:
    x = mt.tensor(RNG.standard_normal((200, 50)), requires_grad=True)
    y, keep = mt.native_dropout(x, 0.3, True)
    assert keep.dtype == mt.bool and abs(keep.numpy().mean() - 0.7) < 0.02
    assert np.allclose(y.detach().numpy(), np.where(keep.numpy(), x.detach().numpy() / 0.7, 0))
    assert y.grad_fn.name() == "NativeDropoutBackward0"
    y2, keep2 = mt.native_dropout(x, 0.3, False)
    assert keep2.numpy().all() and np.array_equal(y2.detach().numpy(), x.detach().numpy())
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        mt.feature_dropout(mt.ones(3), 0.5, True)
    assert mt.native_channel_shuffle(mt.arange(8.0).reshape(1, 4, 2), 2).numpy().tolist() == \
        torch.native_channel_shuffle(torch.arange(8.0).reshape(1, 4, 2), 2).numpy().tolist()
    assert mt.nn.functional.native_channel_shuffle(mt.arange(8.0).reshape(1, 4, 2), 2).numpy().tolist() == \
        torch.nn.functional.native_channel_shuffle(torch.arange(8.0).reshape(1, 4, 2), 2).numpy().tolist()
