"""The TorchVision Object Detection Finetuning Tutorial's idioms, run twice by the same code: once on torch +
torchvision, once on minitorch_cnn (only the library handles differ). A Faster R-CNN ResNet-50-FPN gets a new
``FastRCNNPredictor`` for two classes, a ``Dataset`` yields (image, target dict), a ``DataLoader`` batches with
``collate_fn=lambda b: tuple(zip(*b))``, SGD with momentum and weight decay plus StepLR trains a few steps, then
``model.eval()`` predicts. Float64 (the tutorial's float32 with torch's own float64 arithmetic as the truth), same
initial weights (torchvision's, through a torch checkpoint), no shuffling; every step's losses and the final
predictions must agree. The sample sizes take every candidate, so torchvision's random sampling draws nothing
that matters."""

from __future__ import annotations

import io
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


def _dataset_class(lib: object) -> type:
    class PennFudanLike(lib.utils.data.Dataset):
        """Four synthetic images (3, 128, 160) with one or two pedestrians each, as the tutorial's dataset returns
        them: a float image in [0, 1] and {"boxes", "labels", "image_id", "area", "iscrowd"}."""

        def __init__(self) -> None:
            rng = np.random.default_rng(7)
            self.images = [rng.random((3, 128, 160)) for _ in range(4)]
            self.boxes = [[[12.0, 20, 50, 100]], [[60.0, 15, 100, 110], [20, 30, 55, 90]], [[90.0, 40, 150, 120]],
                          [[5.0, 5, 40, 60], [100, 50, 140, 125]]]

        def __getitem__(self, idx: int) -> tuple:
            boxes = lib.as_tensor(self.boxes[idx], dtype=lib.float64)
            n = boxes.shape[0]
            target = {"boxes": boxes, "labels": lib.ones((n,), dtype=lib.int64), "image_id": idx,
                      "area": (boxes[:, 3] - boxes[:, 1]) * (boxes[:, 2] - boxes[:, 0]),
                      "iscrowd": lib.zeros((n,), dtype=lib.int64)}
            return lib.tensor(self.images[idx]), target

        def __len__(self) -> int:
            return len(self.images)

    return PennFudanLike


def _get_model(api: SimpleNamespace, num_classes: int) -> object:
    detection = api.vision.models.detection
    model = detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, **SMALL,
                                              rpn_batch_size_per_image=100000, box_batch_size_per_image=100000)
    in_features = model.roi_heads.box_predictor.cls_score.in_features
    model.roi_heads.box_predictor = detection.faster_rcnn.FastRCNNPredictor(in_features, num_classes)
    return model.double()


def _train_and_predict(api: SimpleNamespace, model: object) -> tuple[list[dict], list]:
    lib = api.lib
    dataset = _dataset_class(lib)()
    data_loader = lib.utils.data.DataLoader(dataset, batch_size=2, shuffle=False, collate_fn=lambda b: tuple(zip(*b)))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = lib.optim.SGD(params, lr=0.005, momentum=0.9, weight_decay=0.0005)
    lr_scheduler = lib.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    model.train()
    history = []
    for images, targets in data_loader:
        images = [image.to("cpu") for image in images]
        targets = [{k: v.to("cpu") if isinstance(v, lib.Tensor) else v for k, v in t.items()} for t in targets]
        loss_dict = model(images, targets)
        losses = sum(loss for loss in loss_dict.values())
        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        history.append({k: v.item() for k, v in loss_dict.items()} | {"total": losses.item()})
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
