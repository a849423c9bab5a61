"""Faster R-CNN ResNet-50-FPN and Mask R-CNN ResNet-50-FPN v2 against torchvision, float64, same weights: the
training losses and every parameter gradient, then (BatchNorm statistics updated alike by that step) the evaluation
detections. (Mask R-CNN v1, the tutorial's model, is held to torchvision through training in
test_detection_tutorial.)

Sampling: torchvision draws its positives and negatives with ``torch.randperm``. Faster R-CNN runs with the
default sample sizes and both samplers' permutations replaced by the same deterministic one (reversed order);
Mask R-CNN v2 runs with sample sizes that take every candidate, where the permutation does not matter.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._detection_parity import (
    SMALL,
    assert_detections_match,
    assert_grads_match,
    small_backbone_model,
    twin_inputs,
    twin_models,
    use_float64_objectness_truth,
    weighted_sum,
)
from tests._parity import assert_close, assert_f32_close

LOSS_WEIGHTS = {"loss_classifier": 0.7, "loss_box_reg": 1.3, "loss_objectness": 0.9, "loss_rpn_box_reg": 1.1}


def _twin_small_backbone(**kwargs: object) -> tuple[torch.nn.Module, mt.nn.Module]:
    """torchvision's small-backbone Faster R-CNN (seed 0) in float64, and ours with its weights."""
    import torchvision

    torch.manual_seed(0)
    theirs = small_backbone_model(torch, torchvision, **kwargs).double()
    ours = small_backbone_model(mt, mt.vision, **kwargs).double()
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


def _assert_step_matches(theirs: torch.nn.Module, ours: mt.nn.Module, tl: dict, ol: dict) -> None:
    """The training losses to float64, then every parameter gradient of their weighted sum."""
    for k, v in tl.items():
        assert_close(ol[k], v.detach(), np.float64, what=k)
    weighted_sum(tl, LOSS_WEIGHTS).backward()
    weighted_sum(ol, LOSS_WEIGHTS).backward()
    assert_grads_match(theirs, ours)


def _eval_detections(theirs: torch.nn.Module, ours: mt.nn.Module, timgs: list, oimgs: list) -> tuple[list, list]:
    """Both models' evaluation detections (theirs, ours), without grad."""
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        tdet = theirs(timgs)
    with mt.no_grad():
        odet = ours(oimgs)
    return tdet, odet


def _run(builder: str, with_masks: bool, **kwargs: object) -> dict:
    theirs, ours = twin_models(builder, **SMALL, **kwargs)
    timgs, ttargets, oimgs, otargets = twin_inputs(with_masks)
    theirs.train()
    ours.train()
    tl, ol = theirs(timgs, ttargets), ours(oimgs, otargets)
    weights = dict(LOSS_WEIGHTS, **({"loss_mask": 0.8} if with_masks else {}))
    weighted_sum(tl, weights).backward()
    weighted_sum(ol, weights).backward()
    tdet, odet = _eval_detections(theirs, ours, timgs, oimgs)
    return {"theirs": theirs, "ours": ours, "tl": tl, "ol": ol, "tdet": tdet, "odet": odet}


@pytest.fixture(scope="module")
def faster() -> dict:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch, "randperm", lambda n, device=None: torch.arange(n - 1, -1, -1, device=device))
        mp.setattr(mt.vision.models.detection._utils, "randperm", lambda n, device=None: mt.arange(n - 1, -1, -1))
        use_float64_objectness_truth(mp)
        return _run("fasterrcnn_resnet50_fpn", False, num_classes=3, box_batch_size_per_image=32)


@pytest.fixture(scope="module")
def mask_v2() -> dict:
    """The v2 recipe: BatchNorm in the FPN, the box head (FastRCNNConvFCHead) and the mask head (training-mode
    statistics over the RoIs), a two-convolution RPN head."""
    with pytest.MonkeyPatch.context() as mp:
        use_float64_objectness_truth(mp)
        return _run("maskrcnn_resnet50_fpn_v2", True, num_classes=3, rpn_batch_size_per_image=100000,
                    box_batch_size_per_image=100000)


@pytest.mark.parametrize("model", ["faster", "mask_v2"])
def test_training_losses_match_torchvision(model: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(model)
    assert list(run["ol"]) == list(run["tl"])
    for k, v in run["tl"].items():
        assert v.dtype == torch.float64 and run["ol"][k].dtype == mt.float64
        assert_close(run["ol"][k], v.detach(), np.float64, what=k)


@pytest.mark.parametrize("model", ["faster", "mask_v2"])
def test_gradients_of_the_losses_match_torchvision(model: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(model)
    assert_grads_match(run["theirs"], run["ours"])


@pytest.mark.parametrize("model", ["faster", "mask_v2"])
def test_eval_detections_match_torchvision(model: str, request: pytest.FixtureRequest) -> None:
    """Boxes, labels, scores (and pasted masks) in the original image frame; the BatchNorm running statistics
    updated by the training step are used."""
    run = request.getfixturevalue(model)
    assert_detections_match(run["odet"], run["tdet"])
    if model.startswith("mask"):
        assert run["odet"][0]["masks"].shape[-2:] == (96, 128)


def test_faster_rcnn_on_a_custom_backbone_matches_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    """A backbone returning one Tensor (wrapped as feature map "0"), the RPN's score threshold in use; float64
    losses, gradients and detections."""
    use_float64_objectness_truth(monkeypatch)
    theirs, ours = _twin_small_backbone(**SMALL, rpn_batch_size_per_image=100000, box_batch_size_per_image=100000,
                                        rpn_score_thresh=0.3, box_score_thresh=0.2)
    timgs, ttargets, oimgs, otargets = twin_inputs()
    _assert_step_matches(theirs, ours, theirs(timgs, ttargets), ours(oimgs, otargets))
    tdet, odet = _eval_detections(theirs, ours, timgs, oimgs)
    assert_detections_match(odet, tdet)


def test_an_image_without_objects_trains_as_in_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    """A negative image (boxes (0, 4)): every anchor and proposal of it is background. Sizes that need no padding:
    padded pixels give exactly tied objectness, and torch's top-k orders ties its own way (see rpn.py)."""
    use_float64_objectness_truth(monkeypatch)
    theirs, ours = _twin_small_backbone(min_size=64, max_size=96, rpn_batch_size_per_image=100000,
                                        box_batch_size_per_image=100000)
    rng = np.random.default_rng(0)
    images = [rng.random((3, 64, 96)) for _ in range(2)]
    boxes = [np.array([[5.0, 6, 40, 50]]), np.zeros((0, 4))]
    tl = theirs([torch.tensor(i) for i in images],
                [{"boxes": torch.tensor(b), "labels": torch.ones(len(b), dtype=torch.int64)} for b in boxes])
    with np.errstate(divide="ignore"):  # the empty image's regression targets are log(0) = -inf, unused, as torch's
        ol = ours([mt.tensor(i) for i in images],
                  [{"boxes": mt.tensor(b), "labels": mt.ones(len(b), dtype=mt.int64)} for b in boxes])
    _assert_step_matches(theirs, ours, tl, ol)


def test_float32_training_step_holds_to_the_float64_truth() -> None:
    """The everyday dtype: our float32 losses and gradients against torchvision's float64 run of the same weights
    and inputs, within 1e-5 (losses) and 1e-4 (gradients, per tensor) of the truth's magnitude, or within 4× torch's
    own float32 error. (torchvision's objectness loss is float32 in both of its runs: its labels are.)"""
    torch.manual_seed(0)
    kwargs = dict(SMALL, num_classes=3, rpn_batch_size_per_image=100000, box_batch_size_per_image=100000)
    t64, _ = twin_models("fasterrcnn_resnet50_fpn", **kwargs)
    t32 = copy.deepcopy(t64).float()
    ours = mt.vision.models.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, **kwargs)
    ours.load_state_dict({k: mt.tensor(v.float().numpy()) for k, v in t64.state_dict().items()})
    timgs, ttargets, oimgs, otargets = twin_inputs()
    l64 = t64(timgs, ttargets)
    l32 = t32([i.float() for i in timgs], [dict(t, boxes=t["boxes"].float()) for t in ttargets])
    ol = ours([i.float() for i in oimgs], [dict(t, boxes=t["boxes"].float()) for t in otargets])
    for k, v in l64.items():
        assert ol[k].dtype == mt.float32
        assert_f32_close(ol[k], v.detach(), torch32=l32[k].detach(), what=k)
    for losses in (l64, l32, ol):
        weighted_sum(losses, LOSS_WEIGHTS).backward()
    ours_params = dict(ours.named_parameters())
    for (k, p64), p32 in zip(t64.named_parameters(), t32.parameters(), strict=True):
        assert_f32_close(ours_params[k].grad, p64.grad, torch32=p32.grad, rtol=1e-4, what=f"grad of {k}")
