"""The TorchVision Object Detection Finetuning Tutorial's idioms, run twice by the same code: once on torch +
torchvision, once on minitorch_cnn (only the library handles differ). A Mask R-CNN ResNet-50-FPN gets a new
``FastRCNNPredictor`` and ``MaskRCNNPredictor`` for two classes (the tutorial's
``get_model_instance_segmentation``), a ``Dataset`` yields (image, target dict with masks), a ``DataLoader``
batches with ``collate_fn=lambda b: tuple(zip(*b))``, SGD with momentum and weight decay, the references' linear
warm-up (``train_one_epoch``: LinearLR stepped each iteration, autocast off, the finiteness check) and StepLR train
a few steps (lr a tenth of the tutorial's: the weights here are random, not pretrained), then ``model.eval()``
predicts. Float64 (torchvision's code run in float64 is the truth), same initial weights (torchvision's, through a
torch checkpoint), no shuffling; every step's losses, the weights after training and the final predictions (masks
included) must agree. The sample sizes take every candidate, so torchvision's random sampling draws nothing that
matters."""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torchvision

import minitorch_cnn as mt
from tests._detection_parity import SMALL, assert_detections_match, use_float64_objectness_truth
from tests._parity import assert_close

TORCH = SimpleNamespace(lib=torch, vision=torchvision)
OURS = SimpleNamespace(lib=mt, vision=mt.vision)
# images a multiple of 32 (no padding, whose tied logits torch's top-k orders its own way), few proposals, and
# sample sizes that take every candidate; every score kept (two steps from random weights leave them low)
SIZES = dict(SMALL, rpn_batch_size_per_image=100000, box_batch_size_per_image=100000,
             box_score_thresh=0.0)


def _dataset_class(lib: object) -> type:
    class PennFudanLike(lib.utils.data.Dataset):
        """Four synthetic images (3, 96, 128) with one or two pedestrians each, as the tutorial's dataset returns
        them: a float image in [0, 1] and {"boxes", "labels", "masks", "image_id", "area", "iscrowd"}, the boxes
        those of the masks (``masks_to_boxes``)."""

        def __init__(self) -> None:
            rng = np.random.default_rng(7)
            self.images = [rng.random((3, 96, 128)) for _ in range(4)]
            boxes = [[[12, 20, 50, 80]], [[60, 15, 100, 90], [20, 30, 55, 90]], [[70, 40, 120, 92]],
                     [[5, 5, 40, 60], [90, 50, 125, 93]]]
            self.masks = []
            for per_image in boxes:
                m = np.zeros((len(per_image), 96, 128), dtype=np.uint8)
                for i, (x0, y0, x1, y1) in enumerate(per_image):
                    m[i, y0:y1, x0 + 3:x1] = 1
                    m[i, y0:y0 + 6, x0 + 3:x0 + 9] = 0  # not quite a rectangle
                self.masks.append(m)

        def __getitem__(self, idx: int) -> tuple:
            masks = lib.tensor(self.masks[idx])
            boxes = api_vision(lib).ops.masks_to_boxes(masks).to(lib.float64)
            n = boxes.shape[0]
            target = {"boxes": boxes, "labels": lib.ones((n,), dtype=lib.int64), "masks": masks, "image_id": idx,
                      "area": (boxes[:, 3] - boxes[:, 1]) * (boxes[:, 2] - boxes[:, 0]),
                      "iscrowd": lib.zeros((n,), dtype=lib.int64)}
            return lib.tensor(self.images[idx]), target

        def __len__(self) -> int:
            return len(self.images)

    return PennFudanLike


def api_vision(lib: object) -> object:
    return torchvision if lib is torch else mt.vision


def _get_model(api: SimpleNamespace, num_classes: int) -> object:
    detection = api.vision.models.detection
    model = detection.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, **SIZES)
    in_features = model.roi_heads.box_predictor.cls_score.in_features
    model.roi_heads.box_predictor = detection.faster_rcnn.FastRCNNPredictor(in_features, num_classes)
    in_features_mask = model.roi_heads.mask_predictor.conv5_mask.in_channels
    hidden_layer = 256
    model.roi_heads.mask_predictor = detection.mask_rcnn.MaskRCNNPredictor(in_features_mask, hidden_layer, num_classes)
    return model.double()


def _train_and_predict(api: SimpleNamespace, model: object) -> tuple[list[dict], list]:
    lib = api.lib
    dataset = _dataset_class(lib)()
    data_loader = lib.utils.data.DataLoader(dataset, batch_size=2, shuffle=False, collate_fn=lambda b: tuple(zip(*b)))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = lib.optim.SGD(params, lr=0.0005, momentum=0.9, weight_decay=0.0005)
    lr_scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    model.train()
    history = []
    # references/detection/engine.py's train_one_epoch, epoch 0: a linear warm-up stepped every iteration
    warmup = lib.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0 / 1000,
                                             total_iters=min(1000, len(data_loader) - 1))
    for images, targets in data_loader:
        images = [image.to("cpu") for image in images]
        targets = [{k: v.to("cpu") if isinstance(v, lib.Tensor) else v for k, v in t.items()} for t in targets]
        with lib.autocast(device_type="cpu", enabled=False):
            loss_dict = model(images, targets)
            losses = sum(loss for loss in loss_dict.values())
        distributed = lib.distributed.is_available() and lib.distributed.is_initialized()
        assert not distributed  # utils.reduce_dict returns the dict itself on one process
        loss_value = sum(loss for loss in loss_dict.values()).item()
        assert math.isfinite(loss_value), f"Loss is {loss_value}, stopping training"
        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        warmup.step()
        history.append({k: v.item() for k, v in loss_dict.items()} | {"total": loss_value,
                                                                       "lr": optimizer.param_groups[0]["lr"]})
    lr_scheduler.step()
    img, _ = dataset[1]
    model.eval()
    with lib.no_grad():
        prediction = model([img.to("cpu")])
    return history, prediction


def test_finetuning_tutorial_runs_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    use_float64_objectness_truth(monkeypatch)
    torch.manual_seed(0)
    theirs = _get_model(TORCH, num_classes=2)
    ours = _get_model(OURS, num_classes=2)
    assert isinstance(ours.roi_heads.box_predictor, mt.vision.models.detection.FastRCNNPredictor)
    assert isinstance(ours.roi_heads.mask_predictor, mt.vision.models.detection.MaskRCNNPredictor)
    blob = io.BytesIO()
    torch.save(theirs.state_dict(), blob)
    ours.load_state_dict(mt.load(io.BytesIO(blob.getvalue())))
    t_hist, t_pred = _train_and_predict(TORCH, theirs)
    o_hist, o_pred = _train_and_predict(OURS, ours)
    assert len(o_hist) == len(t_hist) == 2
    for step, (o, t) in enumerate(zip(o_hist, t_hist, strict=True)):
        assert list(o) == list(t)
        for k in t:  # parameters moved by SGD from gradients that agree to ~1e-12: the losses follow closely
            assert_close(np.float64(o[k]), np.float64(t[k]), np.float64, tol=1e-9, what=f"step {step} {k}")
    assert_detections_match(o_pred, [{k: v for k, v in p.items()} for p in t_pred])
    for o, t in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert_close(o.detach(), t.detach(), np.float64, tol=1e-9, what="weights after training")
