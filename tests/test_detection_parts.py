"""The pieces of mt.vision.models.detection against torchvision's, one by one: box coding (values and gradients),
IoU matching, the balanced sampler, anchors, the input transform and its postprocess, mask pasting, backbone
freezing, the registry, and the errors torchvision raises for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from torchvision.models.detection import _utils as tv_utils
from torchvision.models.detection import anchor_utils as tv_anchor
from torchvision.models.detection import backbone_utils as tv_backbone_utils
from torchvision.models.detection import roi_heads as tv_roi_heads
from torchvision.models.detection import transform as tv_transform
from torchvision.models.detection.image_list import ImageList as TvImageList

import minitorch_cnn as mt
from minitorch_cnn.vision.models import detection
from minitorch_cnn.vision.models.detection import _utils as det_utils
from minitorch_cnn.vision.models.detection import mask_ops
from minitorch_cnn.vision.models.detection.backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from tests._detection_parity import small_backbone_model
from tests._parity import assert_close, assert_parity


def _boxes(rng: np.random.Generator, n: int, scale: float = 100.0) -> np.ndarray:
    xy = rng.random((n, 2)) * scale
    return np.concatenate([xy, xy + 1 + rng.random((n, 2)) * scale / 2], axis=1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_box_coder_encode_decode_and_gradients_match(dtype: type) -> None:
    rng = np.random.default_rng(0)
    ref, props = _boxes(rng, 7).astype(dtype), _boxes(rng, 7).astype(dtype)
    codes = (rng.standard_normal((7, 8)) * 0.5).astype(dtype)
    codes[0, 2] = 9.0  # past bbox_xform_clip: clamped
    tcoder, ocoder = tv_utils.BoxCoder((10.0, 10.0, 5.0, 5.0)), det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    t64 = [torch.tensor(a.astype(np.float64), requires_grad=True) for a in (ref, props, codes)]
    o = [mt.tensor(a, requires_grad=True) for a in (ref, props, codes)]
    tenc, oenc = tcoder.encode([t64[0]], [t64[1]])[0], ocoder.encode([o[0]], [o[1]])[0]
    tdec, odec = tcoder.decode(t64[2], [t64[1]]), ocoder.decode(o[2], [o[1]])
    assert tuple(odec.shape) == tuple(tdec.shape) == (7, 2, 4)
    assert_parity(oenc, tenc.detach(), dtype, what="encode")
    assert_parity(odec, tdec.detach(), dtype, what="decode")
    g1, g2 = rng.standard_normal((7, 4)), rng.standard_normal((7, 2, 4))
    ((tenc * torch.tensor(g1)).sum() + (tdec * torch.tensor(g2)).sum()).backward()
    ((oenc * mt.tensor(g1.astype(dtype))).sum() + (odec * mt.tensor(g2.astype(dtype))).sum()).backward()
    for name, ours, theirs in zip(("ref", "proposals", "codes"), o, t64, strict=True):
        assert_parity(ours.grad, theirs.grad, dtype, what=f"grad of {name}")


@pytest.mark.parametrize("allow_low", [False, True])
def test_matcher_matches_torchvision(allow_low: bool) -> None:
    rng = np.random.default_rng(1)
    q = rng.random((4, 30)) * 0.9
    q[2, 5] = q[2, 17] = 0.95  # a tie for the best of ground truth 2
    q[:, 20:25] *= 0.3  # predictions matching nothing
    q[3] = np.minimum(q[3], 0.2)  # ground truth 3: its best two (a tie) are below the low threshold
    q[:, 22:24] = 0.1
    q[3, 22] = q[3, 23] = 0.25
    q[0] = np.minimum(q[0], 0.5)  # ground truth 0: its best is between the thresholds
    q[0, 21] = 0.55
    theirs = tv_utils.Matcher(0.7, 0.3, allow_low)(torch.tensor(q))
    ours = det_utils.Matcher(0.7, 0.3, allow_low)(mt.tensor(q))
    assert ours.dtype == mt.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert {-1, -2} <= set(ours.numpy().tolist())
    if allow_low:  # the low-quality bests keep their ground truth
        assert ours.numpy()[[21, 22, 23]].tolist() == [0, 3, 3]


def test_matcher_errors_as_torchvision() -> None:
    with pytest.raises(ValueError, match="No ground-truth boxes available"):
        det_utils.Matcher(0.7, 0.3)(mt.zeros(0, 5))
    with pytest.raises(ValueError, match="No proposal boxes available"):
        det_utils.Matcher(0.7, 0.3)(mt.zeros(3, 0))
    with pytest.raises(AssertionError, match="low_threshold should be <= high_threshold"):
        det_utils.Matcher(0.3, 0.7)


def test_balanced_sampler_draws_a_capped_random_subset() -> None:
    labels = mt.tensor(np.array([1, 0, -1, 2, 0, 0, 1, 0, 0, 3, 0, -1] * 3))
    sampler = det_utils.BalancedPositiveNegativeSampler(8, 0.25)
    mt.manual_seed(5)
    pos, neg = sampler([labels, labels[:5]])
    mt.manual_seed(5)
    pos2, _ = sampler([labels, labels[:5]])
    lab = labels.numpy()
    assert pos[0].dtype == mt.uint8 and pos[0].shape == labels.shape
    p, n = pos[0].numpy().astype(bool), neg[0].numpy().astype(bool)
    assert p.sum() == 2 and n.sum() == 6 and (lab[p] >= 1).all() and (lab[n] == 0).all()
    # too few of either kind: every one of them
    assert pos[1].numpy().sum() == 2 and neg[1].numpy().sum() == 2
    np.testing.assert_array_equal(pos2[0].numpy(), pos[0].numpy())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_anchor_generator_matches_torchvision(dtype: torch.dtype) -> None:
    sizes, ratios = ((16, 32), (64,), (100,)), ((0.5, 1.0, 2.0), (1.0,), (0.7, 1.4))
    theirs, ours = tv_anchor.AnchorGenerator(sizes, ratios), detection.AnchorGenerator(sizes, ratios)
    assert ours.num_anchors_per_location() == theirs.num_anchors_per_location() == [6, 1, 2]
    shapes = [(8, 10), (4, 5), (2, 3)]
    tfeats = [torch.zeros(2, 1, *s, dtype=dtype) for s in shapes]
    ofeats = [mt.zeros(2, 1, *s, dtype=str(dtype).split(".")[1]) for s in shapes]
    tlist = TvImageList(torch.zeros(2, 3, 64, 80, dtype=dtype), [(60, 80), (64, 70)])
    olist = detection.ImageList(mt.zeros(2, 3, 64, 80), [(60, 80), (64, 70)])
    t_anchors, o_anchors = theirs(tlist, tfeats), ours(olist, ofeats)
    assert len(o_anchors) == 2
    for o, t in zip(o_anchors, t_anchors, strict=True):
        assert str(o.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def _transform_pair(**kwargs: object) -> tuple:
    args = (96, 120, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    return tv_transform.GeneralizedRCNNTransform(*args, **kwargs), detection.GeneralizedRCNNTransform(*args, **kwargs)


@pytest.mark.parametrize("training", [True, False])
def test_transform_normalizes_resizes_and_batches_as_torchvision(training: bool) -> None:
    """Two images of different sizes; boxes and masks follow the resize; padding to a multiple of 32."""
    rng = np.random.default_rng(2)
    images = [rng.random((3, 50, 70)), rng.random((3, 81, 64))]
    boxes = [_boxes(rng, 3, 40.0), _boxes(rng, 2, 40.0)]
    masks = [(rng.random((3, 50, 70)) > 0.5).astype(np.uint8), (rng.random((2, 81, 64)) > 0.5).astype(np.uint8)]
    theirs, ours = _transform_pair()
    theirs.train(training)
    ours.train(training)
    t_list, t_targets = theirs([torch.tensor(i) for i in images],
                               [{"boxes": torch.tensor(b), "masks": torch.tensor(m)} for b, m in zip(boxes, masks,
                                                                                                   strict=True)])
    o_list, o_targets = ours([mt.tensor(i) for i in images],
                             [{"boxes": mt.tensor(b), "masks": mt.tensor(m)} for b, m in zip(boxes, masks,
                                                                                           strict=True)])
    assert o_list.image_sizes == [tuple(s) for s in t_list.image_sizes]
    assert tuple(o_list.tensors.shape) == tuple(t_list.tensors.shape)
    assert_close(o_list.tensors, t_list.tensors, np.float64, what="batched images")
    for o, t in zip(o_targets, t_targets, strict=True):
        assert_close(o["boxes"], t["boxes"], np.float64, what="resized boxes")
        assert o["masks"].dtype == mt.uint8
        np.testing.assert_array_equal(o["masks"].numpy(), t["masks"].numpy())


@pytest.mark.parametrize("kwargs", [{"fixed_size": (100, 90)}, {"size_divisible": 16}])
def test_transform_fixed_size_and_divisor_as_torchvision(kwargs: dict) -> None:
    rng = np.random.default_rng(5)
    images = [rng.random((3, 50, 70)), rng.random((3, 81, 64))]
    theirs, ours = _transform_pair(**kwargs)
    theirs.eval()
    ours.eval()
    t_list, _ = theirs([torch.tensor(i) for i in images])
    o_list, _ = ours([mt.tensor(i) for i in images])
    assert o_list.image_sizes == [tuple(s) for s in t_list.image_sizes]
    assert_close(o_list.tensors, t_list.tensors, np.float64, what="batched images")
    assert tuple(o_list.to("cpu").tensors.shape) == tuple(t_list.tensors.shape)


def test_transform_draws_one_of_several_min_sizes_in_training() -> None:
    """torchvision draws the training size with one uniform number from the framework's generator: ours from
    ours, reproducible under ``mt.manual_seed``; evaluation takes the last."""
    ours = detection.GeneralizedRCNNTransform((40, 60, 80), 200, [0.0] * 3, [1.0] * 3)
    img = mt.rand(3, 20, 30)
    mt.manual_seed(0)
    sizes = [min(ours([img])[0].image_sizes[0]) for _ in range(12)]
    mt.manual_seed(0)
    assert [min(ours([img])[0].image_sizes[0]) for _ in range(12)] == sizes
    assert set(sizes) == {40, 60, 80}
    ours.eval()
    assert ours([img])[0].image_sizes == [(80, 120)]


def test_transform_postprocess_maps_boxes_and_pastes_masks_back() -> None:
    rng = np.random.default_rng(3)
    theirs, ours = _transform_pair()
    theirs.eval()
    ours.eval()
    boxes = np.array([[3.0, 4.5, 60.2, 80.0], [-5.0, 10.0, 30.0, 200.0], [10.0, 10.0, 10.4, 11.0]])
    probs = rng.random((3, 1, 28, 28))
    shapes, originals = [(96, 120)], [(50, 70)]
    t_out = theirs.postprocess([{"boxes": torch.tensor(boxes), "masks": torch.tensor(probs)}], shapes, originals)
    o_out = ours.postprocess([{"boxes": mt.tensor(boxes), "masks": mt.tensor(probs)}], shapes, originals)
    assert_close(o_out[0]["boxes"], t_out[0]["boxes"], np.float64, what="boxes")
    assert tuple(o_out[0]["masks"].shape) == (3, 1, 50, 70)
    assert_close(o_out[0]["masks"], t_out[0]["masks"], np.float64, what="pasted masks")


def test_paste_masks_in_image_matches_torchvision_and_handles_none() -> None:
    rng = np.random.default_rng(4)
    probs, boxes = rng.random((2, 1, 14, 14)), np.array([[40.0, 30.0, 90.0, 70.0], [0.5, 0.5, 5.0, 3.0]])
    theirs = tv_roi_heads.paste_masks_in_image(torch.tensor(probs), torch.tensor(boxes), (64, 80))
    ours = mask_ops.paste_masks_in_image(mt.tensor(probs), mt.tensor(boxes), (64, 80))
    assert_close(ours, theirs, np.float64, what="pasted")
    empty = mask_ops.paste_masks_in_image(mt.zeros(0, 1, 14, 14), mt.zeros(0, 4), (64, 80))
    assert tuple(empty.shape) == (0, 1, 64, 80)


@pytest.mark.parametrize("trainable", [0, 3, 5])
def test_trainable_backbone_layers_freeze_what_torchvision_freezes(trainable: int) -> None:
    with torch.device("meta"):
        theirs = tv_backbone_utils._resnet_fpn_extractor(torchvision.models.resnet18(), trainable)
    ours = _resnet_fpn_extractor(mt.vision.models.resnet18(), trainable)
    assert [(k, p.requires_grad) for k, p in ours.named_parameters()] == \
        [(k, p.requires_grad) for k, p in theirs.named_parameters()]
    assert ours.out_channels == 256


def test_validate_trainable_layers_as_torchvision() -> None:
    with pytest.warns(UserWarning, match="falling back to trainable_backbone_layers=5"):
        assert _validate_trainable_layers(False, 2, 5, 3) == 5
    assert _validate_trainable_layers(True, None, 5, 3) == 3
    with pytest.raises(ValueError, match=r"Trainable backbone layers should be in the range \[0,5\], got 6"):
        _validate_trainable_layers(True, 6, 5, 3)


def test_registry_lists_the_detectors_with_torchvisions_weights() -> None:
    models = mt.vision.models
    assert models.get_weight("MaskRCNN_ResNet50_FPN_Weights.DEFAULT") is detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1
    assert models.list_models(module=detection) == ["fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2",
                                                     "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"]
    for name in models.list_models(module=detection):
        assert name in torchvision.models.list_models(module=torchvision.models.detection)
        ours, theirs = models.get_model_weights(name), torchvision.models.get_model_weights(name)
        assert ours.__name__ == theirs.__name__ and ours.DEFAULT.url == theirs.DEFAULT.url
    with pytest.raises(FileNotFoundError, match="fasterrcnn_resnet50_fpn_coco-258fb6c6.pth"):
        detection.fasterrcnn_resnet50_fpn(weights="DEFAULT")


@pytest.fixture(scope="module")
def tiny_model() -> mt.nn.Module:
    return small_backbone_model(mt, mt.vision, min_size=64, max_size=64)


def test_bad_inputs_raise_torchvisions_errors(tiny_model: mt.nn.Module) -> None:
    img = mt.rand(3, 64, 64)
    good_box = mt.tensor([[5.0, 5, 9, 9]])
    tiny_model.train()
    with pytest.raises(AssertionError, match="targets should not be none when in training mode"):
        tiny_model([img])
    with pytest.raises(AssertionError, match=r"Expected target boxes to be a tensor of shape \[N, 4\]"):
        tiny_model([img], [{"boxes": mt.tensor([5.0, 5, 9, 9]), "labels": mt.tensor([1])}])
    with pytest.raises(AssertionError, match=r"Found invalid box \[5.0, 5.0, 5.0, 9.0\] for target at index 0"):
        tiny_model([img], [{"boxes": mt.tensor([[5.0, 5, 5, 9]]), "labels": mt.tensor([1])}])
    with pytest.raises(TypeError, match="target labels must of int64 type"):
        tiny_model([img], [{"boxes": good_box, "labels": mt.tensor([1], dtype=mt.int32)}])
    with pytest.raises(ValueError, match=r"images is expected to be a list of 3d tensors of shape \[C, H, W\]"):
        tiny_model([mt.rand(64, 64)], [{"boxes": good_box, "labels": mt.tensor([1])}])
    with pytest.raises(TypeError, match="Expected input images to be of floating type"):
        tiny_model([mt.zeros(3, 64, 64, dtype=mt.uint8)], [{"boxes": good_box, "labels": mt.tensor([1])}])


def test_constructor_errors_as_torchvision(tiny_model: mt.nn.Module) -> None:
    backbone = tiny_model.backbone
    with pytest.raises(ValueError, match="num_classes should not be None when box_predictor is not specified"):
        detection.FasterRCNN(backbone)
    with pytest.raises(ValueError, match="num_classes should be None when box_predictor is specified"):
        detection.FasterRCNN(backbone, num_classes=3, box_predictor=detection.FastRCNNPredictor(1024, 3))
    with pytest.raises(ValueError, match="backbone should contain an attribute out_channels"):
        detection.FasterRCNN(mt.nn.Identity(), num_classes=3)
    with pytest.raises(TypeError, match="rpn_anchor_generator should be of type AnchorGenerator or None"):
        detection.FasterRCNN(backbone, num_classes=3, rpn_anchor_generator=object())
    with pytest.raises(ValueError, match="num_classes should be None when mask_predictor is specified"):
        detection.MaskRCNN(backbone, num_classes=3, mask_predictor=detection.MaskRCNNPredictor(256, 256, 3))


def test_fasterrcnn_v2_has_torchvisions_keys_and_shapes() -> None:
    """(Its parts are Mask R-CNN v2's, held to torchvision's numbers in test_detection_models.)"""
    with torch.device("meta"):
        theirs = torchvision.models.detection.fasterrcnn_resnet50_fpn_v2(num_classes=5)
    ours = detection.fasterrcnn_resnet50_fpn_v2(num_classes=5)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [(k, p.requires_grad) for k, p in ours.named_parameters()] == \
        [(k, p.requires_grad) for k, p in theirs.named_parameters()]


def test_pretrained_backbone_freezes_batchnorm_and_early_stages(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """``weights_backbone`` (a torchvision ResNet-50 file, here random weights under the real file name): the
    backbone loads it, its BatchNorm becomes FrozenBatchNorm2d and only layer2..layer4 train (the default 3), as
    torchvision builds it."""
    from torchvision.ops import FrozenBatchNorm2d as TvFrozenBatchNorm2d

    torch.manual_seed(0)
    resnet = torchvision.models.resnet50()
    torch.save(resnet.state_dict(), tmp_path / "resnet50-0676ba61.pth")
    monkeypatch.setenv("MINITORCH_WEIGHTS", str(tmp_path))
    ours = detection.fasterrcnn_resnet50_fpn(weights_backbone="IMAGENET1K_V1", num_classes=3)
    with torch.device("meta"):
        theirs = tv_backbone_utils._resnet_fpn_extractor(torchvision.models.resnet50(norm_layer=TvFrozenBatchNorm2d), 3)
    assert [(k, p.requires_grad) for k, p in ours.backbone.named_parameters()] == \
        [(k, p.requires_grad) for k, p in theirs.named_parameters()]
    assert [k for k, _ in ours.backbone.state_dict().items()] == list(theirs.state_dict())
    assert isinstance(ours.backbone.body.layer1[0].bn1, mt.vision.ops.FrozenBatchNorm2d)
    for key in ("conv1.weight", "bn1.running_var", "layer4.2.conv3.weight"):
        np.testing.assert_array_equal(ours.backbone.body.state_dict()[key].numpy(), resnet.state_dict()[key].numpy())


def test_old_checkpoint_keys_load_as_in_torchvision() -> None:
    """torchvision's COCO_V1 files predate the version-2 layout: ``rpn.head.conv.*`` and
    ``roi_heads.mask_head.mask_fcn{1..4}.*``; both libraries rename them on load."""
    torch.manual_seed(0)
    theirs = torchvision.models.detection.MaskRCNN(small_backbone_model(torch, torchvision).backbone, num_classes=3)
    old = {}
    for k, v in theirs.state_dict().items():
        k = k.replace("rpn.head.conv.0.0.", "rpn.head.conv.")
        for i in range(4):
            k = k.replace(f"roi_heads.mask_head.{i}.0.", f"roi_heads.mask_head.mask_fcn{i + 1}.")
        old[k] = v
    assert "rpn.head.conv.weight" in old and "roi_heads.mask_head.mask_fcn4.bias" in old
    theirs.load_state_dict(dict(old))
    ours = detection.MaskRCNN(small_backbone_model(mt, mt.vision).backbone, num_classes=3)
    ours.load_state_dict(old)
    np.testing.assert_array_equal(ours.rpn.head.conv[0][0].weight.detach().numpy(), old["rpn.head.conv.weight"].numpy())
    np.testing.assert_array_equal(ours.roi_heads.mask_head[3][0].bias.detach().numpy(),
                                  old["roi_heads.mask_head.mask_fcn4.bias"].numpy())
