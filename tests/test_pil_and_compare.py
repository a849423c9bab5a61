"""Small torch surface the second census needed: ToPILImage / PILToTensor / PIL input to the transforms against
torchvision; mt.isclose / allclose / equal and NumPy ufuncs on tensors against torch; the cudnn and mps modules."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
import torchvision.transforms as tvt
from PIL import Image

import minitorch_cnn as mt
import minitorch_cnn.vision.transforms as mvt


def _cases() -> list:
    rng = np.random.default_rng(0)
    return [
        ("float rgb", rng.random((3, 5, 6)).astype(np.float32), None),
        ("float gray", rng.random((1, 5, 6)).astype(np.float32), None),
        ("float 2-d", rng.random((5, 6)).astype(np.float32), None),
        ("uint8 rgba", rng.integers(0, 256, (4, 5, 6), dtype=np.uint8), None),
        ("uint8 la", rng.integers(0, 256, (2, 5, 6), dtype=np.uint8), None),
        ("float F", rng.random((1, 5, 6)).astype(np.float32), "F"),
        ("int32 I", rng.integers(0, 1000, (1, 5, 6), dtype=np.int32), None),
        ("over 1 wraps", np.full((1, 2, 2), 1.5, dtype=np.float32), None),
    ]


@pytest.mark.parametrize(("name", "arr", "mode"), _cases(), ids=[c[0] for c in _cases()])
def test_to_pil_image_as_torchvision(name: str, arr: np.ndarray, mode: str | None) -> None:
    theirs = tvt.ToPILImage(mode)(torch.from_numpy(arr))
    ours = mvt.ToPILImage(mode)(mt.from_numpy(arr))
    assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    hwc = np.ascontiguousarray(np.moveaxis(arr, 0, -1)) if arr.ndim == 3 else arr
    if arr.dtype == np.uint8:  # arrays: (H, W, C), no scaling
        assert np.array_equal(np.asarray(mvt.ToPILImage()(hwc)), np.asarray(tvt.ToPILImage()(hwc)))


def test_pil_to_tensor_to_tensor_and_transforms_take_pil_images() -> None:
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (7, 9, 3), dtype=np.uint8))
    for ours, theirs in ((mvt.PILToTensor()(img), tvt.PILToTensor()(img)), (mvt.ToTensor()(img), tvt.ToTensor()(img)),
                         (mvt.ToTensor()(img.convert("1")), tvt.ToTensor()(img.convert("1")))):
        assert ours.dtype == getattr(mt, str(theirs.dtype).split(".")[-1])
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    pipeline = [mvt.CenterCrop(5), mvt.ToTensor()], [tvt.CenterCrop(5), tvt.ToTensor()]
    ours, theirs = mvt.Compose(pipeline[0])(img), tvt.Compose(pipeline[1])(img)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        mvt.PILToTensor()([1, 2])
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        mvt.ToPILImage()(mt.zeros(5, 2, 2))
    assert repr(mvt.ToPILImage()) == repr(tvt.ToPILImage()) and repr(mvt.PILToTensor()) == repr(tvt.PILToTensor())


def test_isclose_allclose_equal_as_torch() -> None:
    a = np.array([1.0, 1.0 + 1e-6, np.nan, 2.0, 1e-9])
    b = np.array([1.0, 1.0, np.nan, 2.1, 0.0])
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.1, "atol": 0.0}):
        ours = mt.isclose(mt.tensor(a), mt.tensor(b), **kwargs)
        theirs = torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert mt.allclose(mt.tensor(a), mt.tensor(b), **kwargs) == torch.allclose(torch.tensor(a),
                                                                                    torch.tensor(b), **kwargs)
    assert mt.tensor([1.0, 2.0]).allclose(mt.tensor([1.0, 2.0 + 1e-9]))
    assert mt.equal(mt.tensor([1, 2]), mt.tensor([1, 2])) and not mt.equal(mt.tensor([1, 2]), mt.tensor([1, 2, 3]))
    assert not mt.tensor([np.nan]).equal(mt.tensor([np.nan])) and not torch.equal(torch.tensor([np.nan]),
                                                                                   torch.tensor([np.nan]))
    with pytest.raises(RuntimeError, match="did not match"):
        mt.isclose(mt.tensor([1.0]), mt.tensor([1], dtype=mt.int64))


def test_numpy_ufuncs_on_tensors_give_tensors() -> None:
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    for fn in (lambda t: np.maximum(t, 0), np.exp, np.abs, lambda t: np.greater(t, 0), lambda t: t + np.ones(2)):
        ours, theirs = fn(mt.tensor(x)), fn(torch.tensor(x))
        assert type(ours) is mt.Tensor and type(theirs) is torch.Tensor
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_cudnn_and_mps_are_modules() -> None:
    cudnn = importlib.import_module("minitorch_cnn.backends.cudnn")
    saved = cudnn.benchmark
    try:
        cudnn.benchmark = True
        assert mt.backends.cudnn.benchmark is True and cudnn.is_available() is False
    finally:
        cudnn.benchmark = saved
    assert importlib.import_module("minitorch_cnn.backends.mps").is_available() is False
    assert mt.is_tensor(mt.nn.Parameter(mt.ones(1))) and not mt.is_tensor(np.ones(1))
