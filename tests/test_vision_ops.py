"""mt.vision.ops box arithmetic, IoU family, nms and detection losses against torchvision.ops, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

tvo = torchvision.ops
ops = mt.vision.ops


def _boxes(rng: np.random.Generator, n: int, lead: tuple = ()) -> np.ndarray:
    xy = rng.uniform(0, 20, (*lead, n, 2))
    return np.concatenate([xy, xy + rng.uniform(0.5, 10, (*lead, n, 2))], axis=-1)


def _both(a: np.ndarray) -> tuple[mt.Tensor, torch.Tensor]:
    return mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _grad_parity(ours: mt.Tensor, theirs: torch.Tensor, leaves: list, seed: int = 1) -> None:
    """Forward values equal and the gradients of a random upstream gradient equal, leaf by leaf."""
    assert_close(ours, theirs, np.float64, what="forward")
    g = np.random.default_rng(seed).standard_normal(tuple(theirs.shape))
    ours.backward(mt.tensor(g))
    theirs.backward(torch.tensor(g))
    for i, (m, t) in enumerate(leaves):
        assert_close(m.grad, t.grad, np.float64, what=f"grad {i}")


@pytest.mark.parametrize("fn", ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"])
@pytest.mark.parametrize("lead", [(), (2,)])
def test_pairwise_ious_and_their_gradients(fn: str, lead: tuple) -> None:
    rng = np.random.default_rng(3)
    a, b = _boxes(rng, 5, lead), _boxes(rng, 4, lead)
    b[..., 0, :] = a[..., 0, :]  # a tie: max/min send half the gradient each way
    (ma, ta), (mb, tb) = _both(a), _both(b)
    _grad_parity(getattr(ops, fn)(ma, mb), getattr(tvo, fn)(ta, tb), [(ma, ta), (mb, tb)])


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "cxcywh"])
def test_box_iou_and_area_in_every_format(fmt: str) -> None:
    rng = np.random.default_rng(4)
    a, b = _boxes(rng, 6), _boxes(rng, 3)
    (ma, ta), (mb, tb) = _both(a), _both(b)
    _grad_parity(ops.box_iou(ma, mb, fmt=fmt), tvo.box_iou(ta, tb, fmt=fmt), [(ma, ta), (mb, tb)])
    assert_close(ops.box_area(ma, fmt=fmt), tvo.box_area(ta, fmt=fmt), np.float64)


@pytest.mark.parametrize("pair", [("xyxy", "xywh"), ("xyxy", "cxcywh"), ("xywh", "xyxy"), ("cxcywh", "xyxy"),
                                  ("xywh", "cxcywh"), ("cxcywh", "xywh"), ("xyxy", "xyxy")])
def test_box_convert(pair: tuple) -> None:
    ma, ta = _both(_boxes(np.random.default_rng(5), 7, (2,)))
    _grad_parity(ops.box_convert(ma, *pair), tvo.box_convert(ta, *pair), [(ma, ta)])


def test_integer_boxes_keep_torchvisions_dtypes() -> None:
    a = np.array([[0, 0, 4, 5], [2, 1, 6, 9]], dtype=np.int64)
    for fn in ("box_area", "box_iou"):
        args = (a,) if fn == "box_area" else (a, a)
        ours, theirs = getattr(ops, fn)(*map(mt.tensor, args)), getattr(tvo, fn)(*map(torch.tensor, args))
        assert ours.dtype == mt.float32 if theirs.dtype == torch.float32 else ours.dtype == mt.int64
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-7)
    assert ops.box_area(mt.tensor(a.astype(np.int16))).dtype == mt.int32


def test_box_errors_match_torchvision() -> None:
    a = mt.tensor(_boxes(np.random.default_rng(0), 2))
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(a, "xyxy", "yxyx")
    with pytest.raises(ValueError, match="Unsupported Bounding Box area"):
        ops.box_area(a, fmt="xywhr")
    with pytest.raises(NotImplementedError, match="rotated"):
        ops.box_iou(a, a, fmt="cxcywhr")


def test_clip_remove_small_and_masks_to_boxes() -> None:
    rng = np.random.default_rng(6)
    a = rng.uniform(-5, 25, (3, 8, 4))
    ma, ta = _both(a)
    _grad_parity(ops.clip_boxes_to_image(ma, (15, 18)), tvo.clip_boxes_to_image(ta, (15, 18)), [(ma, ta)])
    b = _boxes(rng, 30)
    ours, theirs = ops.remove_small_boxes(mt.tensor(b), 3.0), tvo.remove_small_boxes(torch.tensor(b), 3.0)
    assert ours.dtype == mt.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    masks = rng.random((5, 9, 11)) > 0.93
    masks[1] = False
    masks[2] = False
    masks[2, 4, 7] = True
    for m in (masks, masks.astype(np.uint8), np.zeros((0, 4, 4), dtype=bool)):
        ours, theirs = ops.masks_to_boxes(mt.tensor(m)), tvo.masks_to_boxes(torch.tensor(m))
        assert ours.dtype == mt.float32 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("thr", [0.0, 0.3, 0.7])
def test_nms_keeps_torchvisions_indices_in_order(dtype: type, thr: float) -> None:
    rng = np.random.default_rng(7)
    b = _boxes(rng, 60).astype(dtype)
    s = rng.integers(0, 12, 60).astype(dtype) / 12  # many equal scores: the tie order counts
    ours, theirs = ops.nms(mt.tensor(b), mt.tensor(s), thr), tvo.nms(torch.tensor(b), torch.tensor(s), thr)
    assert ours.dtype == mt.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("n", [0, 50, 1200])  # 1200 boxes: torchvision's per-category path (> 4000 coordinates)
def test_batched_nms(n: int) -> None:
    rng = np.random.default_rng(8)
    b, s = _boxes(rng, n).astype(np.float32), rng.random(n).astype(np.float32)
    idx = rng.integers(0, 4, n)
    ours = ops.batched_nms(mt.tensor(b), mt.tensor(s), mt.tensor(idx), 0.4)
    theirs = tvo.batched_nms(torch.tensor(b), torch.tensor(s), torch.tensor(idx), 0.4)
    assert ours.dtype == mt.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_nms_errors_match_torchvision() -> None:
    cases = [((3, 5), (3,), np.float32, "boxes should have 4 elements in dimension 1, got 5"),
             ((3, 4), (3, 1), np.float32, "scores should be a 1d tensor, got 2D"),
             ((3, 4), (2,), np.float32, "boxes and scores should have same number of elements in dimension 0"),
             ((3, 4), (3,), np.float64, "dets should have the same type as scores")]
    for bshape, sshape, sdtype, msg in cases:
        b, s = np.ones(bshape, dtype=np.float32), np.ones(sshape, dtype=sdtype)
        with pytest.raises(RuntimeError, match=msg):
            tvo.nms(torch.tensor(b), torch.tensor(s), 0.5)
        with pytest.raises(RuntimeError, match=msg):
            ops.nms(mt.tensor(b), mt.tensor(s), 0.5)


@pytest.mark.parametrize("alpha,gamma", [(0.25, 2), (-1, 1.5), (0.6, 0)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_sigmoid_focal_loss(alpha: float, gamma: float, reduction: str) -> None:
    rng = np.random.default_rng(9)
    x, t = rng.standard_normal((4, 6)) * 3, (rng.random((4, 6)) > 0.6).astype(np.float64)
    mx, tx = _both(x)
    _grad_parity(ops.sigmoid_focal_loss(mx, mt.tensor(t), alpha, gamma, reduction),
                 tvo.sigmoid_focal_loss(tx, torch.tensor(t), alpha, gamma, reduction), [(mx, tx)])
    with pytest.raises(ValueError, match="Invalid alpha value"):
        ops.sigmoid_focal_loss(mx, mt.tensor(t), alpha=2.0)


@pytest.mark.parametrize("fn", ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_box_losses_and_their_gradients(fn: str, reduction: str) -> None:
    rng = np.random.default_rng(10)
    a, b = _boxes(rng, 8), _boxes(rng, 8)
    b[:2] += 40  # disjoint pairs: the masked intersection
    b[2] = a[2]
    (ma, ta), (mb, tb) = _both(a), _both(b)
    _grad_parity(getattr(ops, fn)(ma, mb, reduction), getattr(tvo, fn)(ta, tb, reduction), [(ma, ta), (mb, tb)])


@pytest.mark.parametrize("fn", ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"])
def test_box_losses_on_empty_input_and_bad_reduction(fn: str) -> None:
    e = np.zeros((0, 4))
    ours = getattr(ops, fn)(mt.tensor(e), mt.tensor(e), "mean")
    assert ours.shape == () and float(ours) == float(getattr(tvo, fn)(torch.tensor(e), torch.tensor(e), "mean"))
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        getattr(ops, fn)(mt.tensor(e), mt.tensor(e), "max")


@pytest.mark.parametrize("fn", ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss",
                                "sigmoid_focal_loss", "generalized_box_iou", "complete_box_iou"])
def test_second_order_matches_torch(fn: str) -> None:
    """d/dx of <grad(f)(x), v>, through autograd.grad(create_graph=True) on both sides."""
    rng = np.random.default_rng(11)
    a, b = _boxes(rng, 6), _boxes(rng, 6)
    if fn == "sigmoid_focal_loss":
        a, b = rng.standard_normal((3, 4)), (rng.random((3, 4)) > 0.5).astype(np.float64)
    (ma, ta) = _both(a)
    mb, tb = mt.tensor(b), torch.tensor(b)
    mo, to = getattr(ops, fn)(ma, mb), getattr(tvo, fn)(ta, tb)
    g = rng.standard_normal(tuple(to.shape))
    (mg,) = mt.autograd.grad(mo, ma, mt.tensor(g), create_graph=True)
    (tg,) = torch.autograd.grad(to, ta, torch.tensor(g), create_graph=True)
    assert_close(mg, tg, np.float64, what="first order")
    v = rng.standard_normal(a.shape)
    (mgg,) = mt.autograd.grad((mg * mt.tensor(v)).sum(), ma)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), ta)
    assert_close(mgg, tgg, np.float64, what="second order")


def test_second_order_through_two_uses_of_one_row_slice() -> None:
    """The box ops slice one tensor many times; (y + y)·y with y = A[1] once came out wrong at second order (the
    slice's backward handed out a view of its upstream gradient as a fresh array)."""
    rng = np.random.default_rng(12)
    a, g, v = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((3, 2))
    ma, ta = _both(a)
    (mg,) = mt.autograd.grad((ma[1] + ma[1]) * ma[1], ma, mt.tensor(g), create_graph=True)
    (tg,) = torch.autograd.grad((ta[1] + ta[1]) * ta[1], ta, torch.tensor(g), create_graph=True)
    (mgg,) = mt.autograd.grad((mg * mt.tensor(v)).sum(), ma)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), ta)
    assert_close(mgg, tgg, np.float64)


@pytest.mark.parametrize("thr", [1 / 3, float(np.float32(1 / 3)), 0.33333334])
def test_nms_compares_the_float32_iou_in_double(thr: float) -> None:
    b, s = np.array([[0, 0, 2, 1], [1, 0, 3, 1]], dtype=np.float32), np.array([0.9, 0.8], dtype=np.float32)
    np.testing.assert_array_equal(ops.nms(mt.tensor(b), mt.tensor(s), thr).numpy(),
                                  tvo.nms(torch.tensor(b), torch.tensor(s), thr).numpy())


@pytest.mark.parametrize("fn", ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"])
def test_float32_ious_against_the_float64_truth(fn: str) -> None:
    rng = np.random.default_rng(13)
    a, b = _boxes(rng, 5).astype(np.float32), _boxes(rng, 4).astype(np.float32)
    ma = mt.tensor(a, requires_grad=True)
    ours = getattr(ops, fn)(ma, mt.tensor(b))
    ta = torch.tensor(a, requires_grad=True)
    theirs = getattr(tvo, fn)(ta, torch.tensor(b))
    truth = getattr(tvo, fn)(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    assert ours.dtype == mt.float32
    assert_f32_close(ours, truth.numpy(), torch32=theirs.detach(), what="forward")
    g = rng.standard_normal(tuple(theirs.shape)).astype(np.float32)
    ours.backward(mt.tensor(g))
    theirs.backward(torch.tensor(g))
    t64 = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    getattr(tvo, fn)(t64, torch.tensor(b, dtype=torch.float64)).backward(torch.tensor(g, dtype=torch.float64))
    assert_f32_close(ma.grad, t64.grad.numpy(), torch32=ta.grad, what="grad")
