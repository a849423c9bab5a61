"""draw_bounding_boxes / draw_segmentation_masks / draw_keypoints against torchvision.utils, pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

import minitorch_cnn as mt

tvu = torchvision.utils
mu = mt.vision.utils

BOXES = np.array([[2, 3, 30, 20], [10.7, 5.2, 38.9, 28.4], [0, 0, 39, 31], [20, 15, 21, 16]])


def _image(dtype: type, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(channels)
    img = rng.integers(0, 256, (channels, 32, 40), dtype=np.uint8)
    return img if dtype == np.uint8 else (img / 255).astype(dtype)


def _same(ours: mt.Tensor, theirs: torch.Tensor) -> None:
    assert ours.dtype == mt.tensor(theirs.numpy()).dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("kwargs", [
    {},
    {"colors": "red", "width": 3},
    {"colors": [(255, 0, 0), "blue", "#00FF00", "yellow"], "fill": True},
    {"labels": ["cat", "dog", "a longer label", "x"]},
    {"labels": ["cat", "dog", "bird", "x"], "fill_labels": True, "label_background_colors": "white", "width": 2},
    {"labels": ["cat", "dog", "bird", "x"], "label_colors": ["red", "green", "blue", "white"]},
])
@pytest.mark.parametrize("dtype,channels", [(np.uint8, 3), (np.float32, 3), (np.uint8, 1)])
def test_draw_bounding_boxes(kwargs: dict, dtype: type, channels: int) -> None:
    img = _image(dtype, channels)
    _same(mu.draw_bounding_boxes(mt.tensor(img), mt.tensor(BOXES), **kwargs),
          tvu.draw_bounding_boxes(torch.tensor(img), torch.tensor(BOXES), **kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"fill": True, "width": 2, "colors": "blue"}, {"labels": ["a", "bb"]}])
def test_draw_rotated_bounding_boxes(kwargs: dict) -> None:
    img = _image(np.uint8)
    corners = np.array([[5, 5, 30, 10, 25, 30, 0, 25], [10.5, 3.2, 39, 8, 34, 31, 8, 27]])
    _same(mu.draw_bounding_boxes(mt.tensor(img), mt.tensor(corners), **kwargs),
          tvu.draw_bounding_boxes(torch.tensor(img), torch.tensor(corners), **kwargs))


def test_draw_bounding_boxes_errors_and_empty() -> None:
    img = _image(np.uint8)
    cases = [(img[None], BOXES, {}, "Pass individual images, not batches"),
             (img.astype(np.int32), BOXES, {}, "The image dtype must be uint8 or float"),
             (img, BOXES[:, [2, 1, 0, 3]], {}, r"Boxes need to be in \(xmin, ymin, xmax, ymax\) format"),
             (img, BOXES, {"labels": ["a"]}, r"Number of boxes \(4\) and labels \(1\) mismatch"),
             (img, BOXES, {"colors": ["red"]}, "Number of colors must be equal or larger"),
             (img, BOXES, {"colors": (1, 2)}, "colors should be an RGB triplet")]
    for image, boxes, kwargs, msg in cases:
        with pytest.raises(ValueError, match=msg):
            tvu.draw_bounding_boxes(torch.tensor(image), torch.tensor(boxes), **kwargs)
        with pytest.raises(ValueError, match=msg):
            mu.draw_bounding_boxes(mt.tensor(image), mt.tensor(boxes), **kwargs)
    with pytest.warns(UserWarning, match="No box was drawn"):
        out = mu.draw_bounding_boxes(mt.tensor(img), mt.zeros(0, 4))
    np.testing.assert_array_equal(out.numpy(), img)


@pytest.mark.parametrize("alpha", [0.8, 0.35, 1.0])
@pytest.mark.parametrize("colors", [None, "red", [(10, 200, 30), "blue", "#AABBCC"]])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_draw_segmentation_masks(alpha: float, colors: object, dtype: type) -> None:
    img = _image(dtype)
    masks = np.random.default_rng(1).random((3, 32, 40)) > 0.6  # overlapping masks: painted black
    _same(mu.draw_segmentation_masks(mt.tensor(img), mt.tensor(masks), alpha, colors),
          tvu.draw_segmentation_masks(torch.tensor(img), torch.tensor(masks), alpha, colors))
    _same(mu.draw_segmentation_masks(mt.tensor(img), mt.tensor(masks[0]), alpha, "green"),
          tvu.draw_segmentation_masks(torch.tensor(img), torch.tensor(masks[0]), alpha, "green"))


def test_draw_segmentation_masks_errors() -> None:
    img, masks = _image(np.uint8), np.ones((2, 32, 40), dtype=bool)
    cases = [(img[:1], masks, "Pass an RGB image"), (img, masks.astype(np.uint8), "The masks must be of dtype bool"),
             (img, masks[:, :5], "must have the same height and width"), (img, masks[None], "masks must be of shape")]
    for image, m, msg in cases:
        with pytest.raises(ValueError, match=msg):
            tvu.draw_segmentation_masks(torch.tensor(image), torch.tensor(m))
        with pytest.raises(ValueError, match=msg):
            mu.draw_segmentation_masks(mt.tensor(image), mt.tensor(m))


@pytest.mark.parametrize("kwargs", [
    {},
    {"connectivity": [(0, 1), (1, 2), (2, 3)], "colors": "blue", "radius": 3, "width": 2},
    {"connectivity": [(0, 1), (1, 2), (2, 3)], "visibility": "half"},
])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_draw_keypoints(kwargs: dict, dtype: type) -> None:
    img = _image(dtype)
    kpts = np.random.default_rng(2).uniform(0, 38, (2, 4, 2))
    tk, mk = dict(kwargs), dict(kwargs)
    if kwargs.get("visibility") == "half":
        vis = np.array([[True, False, True, True], [True, True, True, False]])
        tk["visibility"], mk["visibility"] = torch.tensor(vis), mt.tensor(vis)
    _same(mu.draw_keypoints(mt.tensor(img), mt.tensor(kpts), **mk),
          tvu.draw_keypoints(torch.tensor(img), torch.tensor(kpts), **tk))


def test_draw_keypoints_errors() -> None:
    img = _image(np.uint8)
    for kpts, vis, msg in ((np.ones((4, 2)), None, "keypoints must be of shape"),
                           (np.ones((2, 4, 2)), np.ones((2, 3), dtype=bool), "must have the same dimensionality")):
        with pytest.raises(ValueError, match=msg):
            tvu.draw_keypoints(torch.tensor(img), torch.tensor(kpts),
                               visibility=None if vis is None else torch.tensor(vis))
        with pytest.raises(ValueError, match=msg):
            mu.draw_keypoints(mt.tensor(img), mt.tensor(kpts), visibility=None if vis is None else mt.tensor(vis))


@pytest.mark.parametrize("shape", [(2, 16, 20), (3, 2, 12, 9)])
@pytest.mark.parametrize("scale", [0.0, 0.01, 3.0])
def test_flow_to_image(shape: tuple, scale: float) -> None:
    flow = (np.random.default_rng(len(shape)).standard_normal(shape) * scale).astype(np.float32)
    _same(mu.flow_to_image(mt.tensor(flow)), tvu.flow_to_image(torch.tensor(flow)))


def test_flow_to_image_errors() -> None:
    for flow, msg in ((np.zeros((2, 4, 4)), "Flow should be of dtype torch.float"),
                      (np.zeros((3, 4, 4), dtype=np.float32), r"Input flow should have shape \(2, H, W\)")):
        with pytest.raises(ValueError, match=msg):
            tvu.flow_to_image(torch.tensor(flow))
        with pytest.raises(ValueError, match=msg):
            mu.flow_to_image(mt.tensor(flow))
