"""Shared set-up for the detection parity tests: a torchvision detector and ours with the same weights (moved
through torch's file format), small float64 images and targets in both libraries, and the float64 truth of
torchvision's RPN objectness loss."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F  # noqa: N812

import minitorch_cnn as mt
from tests._parity import assert_close

H, W = 96, 128
# small images (a multiple of 32: no padding, whose exactly tied logits torch's top-k orders its own way) and few
# proposals keep a ResNet-50-FPN step at a few seconds
SMALL = {"min_size": 96, "max_size": 128, "rpn_pre_nms_top_n_train": 200, "rpn_post_nms_top_n_train": 50,
         "rpn_pre_nms_top_n_test": 100, "rpn_post_nms_top_n_test": 30, "box_detections_per_img": 20}
BOXES = [[[10.0, 20, 60, 90], [50, 30, 120, 92]], [[30.0, 10, 100, 70]]]
LABELS = [[1, 2], [2]]


def twin_models(builder: str, **kwargs: Any) -> tuple[torch.nn.Module, mt.nn.Module]:
    """torchvision's ``builder`` (random init, float64) and ours loaded from its state_dict via torch.save ->
    mt.load, strict."""
    from torchvision.models import detection as tv_detection

    torch.manual_seed(0)
    theirs = getattr(tv_detection, builder)(weights=None, weights_backbone=None, **kwargs).double()
    ours = getattr(mt.vision.models.detection, builder)(weights=None, weights_backbone=None, **kwargs).double()
    blob = io.BytesIO()
    torch.save(theirs.state_dict(), blob)
    ours.load_state_dict(mt.load(io.BytesIO(blob.getvalue())))
    return theirs, ours


def masks_for(boxes: list[list[float]]) -> np.ndarray:
    """uint8 masks (N, H, W): each box's interior, trimmed unevenly so the masks are not the boxes."""
    m = np.zeros((len(boxes), H, W), dtype=np.uint8)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        m[i, int(y0) + 3:int(y1) - 3, int(x0) + 5:int(x1) - 2] = 1
    return m


def twin_inputs(with_masks: bool = False) -> tuple[list, list, list, list]:
    """(torch images, torch targets, our images, our targets): two float64 images (3, H, W) in [0, 1]."""
    rng = np.random.default_rng(1)
    images = [rng.random((3, H, W)) for _ in BOXES]
    targets = []
    for boxes, labels in zip(BOXES, LABELS, strict=True):
        t = {"boxes": np.asarray(boxes, dtype=np.float64), "labels": np.asarray(labels, dtype=np.int64)}
        if with_masks:
            t["masks"] = masks_for(boxes)
        targets.append(t)
    return ([torch.tensor(i) for i in images], [{k: torch.tensor(v) for k, v in t.items()} for t in targets],
            [mt.tensor(i) for i in images], [{k: mt.tensor(v) for k, v in t.items()} for t in targets])


def use_float64_objectness_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    """torchvision's RPN passes float32 labels with float64 logits, and torch then answers in float32; with the
    labels taken in the logits' dtype torchvision's own code gives the float64 truth that ours is held to."""
    bce = torch_F.binary_cross_entropy_with_logits

    def in_input_dtype(input: torch.Tensor, target: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:  # noqa: A002
        return bce(input, target.to(input.dtype), *args, **kwargs)

    monkeypatch.setattr(torch_F, "binary_cross_entropy_with_logits", in_input_dtype)


def weighted_sum(losses: dict, weights: dict[str, float]) -> Any:
    """Σ c_k · loss_k in ``weights``' order: a random upstream gradient for each loss."""
    return sum(c * losses[k] for k, c in weights.items())


def assert_grads_match(theirs: torch.nn.Module, ours: mt.nn.Module, tol: float = 1e-10) -> None:
    """Every parameter's gradient (or its absence: frozen layers) agrees, name by name."""
    ours_params = dict(ours.named_parameters())
    names = [k for k, _ in theirs.named_parameters()]
    assert names == list(ours_params)
    for k, p in theirs.named_parameters():
        if p.grad is None:
            assert ours_params[k].grad is None, k
        else:
            assert_close(ours_params[k].grad, p.grad, np.float64, tol=tol, what=f"grad of {k}")


def assert_detections_match(ours: list[dict], theirs: list[dict]) -> None:
    """Same keys, shapes and dtypes; labels equal; boxes, scores (and masks) to float64 parity."""
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs, strict=True):
        assert sorted(o) == sorted(t)
        assert t["boxes"].shape[0] > 0  # the comparison has something to compare
        for k in t:
            assert tuple(o[k].shape) == tuple(t[k].shape), k
            assert str(o[k].dtype).rsplit(".", 1)[-1] == str(t[k].dtype).rsplit(".", 1)[-1], k
            if k == "labels":
                np.testing.assert_array_equal(o[k].numpy(), t[k].numpy())
            else:
                assert_close(o[k], t[k], np.float64, what=k)


def small_backbone_model(lib: Any, vision: Any, **kwargs: Any) -> Any:
    """The tutorial's second recipe: FasterRCNN on a backbone that returns one Tensor (here two strided convs,
    ``out_channels`` 32), one level of anchors, RoIAlign on feature map "0"."""
    backbone = lib.nn.Sequential(lib.nn.Conv2d(3, 16, 3, 2, 1), lib.nn.ReLU(), lib.nn.Conv2d(16, 32, 3, 2, 1),
                                 lib.nn.ReLU())
    backbone.out_channels = 32
    detection = vision.models.detection
    anchor_generator = detection.rpn.AnchorGenerator(sizes=((16, 32, 64),), aspect_ratios=((0.5, 1.0, 2.0),))
    roi_pooler = vision.ops.MultiScaleRoIAlign(featmap_names=["0"], output_size=7, sampling_ratio=2)
    return detection.FasterRCNN(backbone, num_classes=3, rpn_anchor_generator=anchor_generator,
                                box_roi_pool=roi_pooler, **kwargs)
