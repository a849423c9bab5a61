"""AutoAugment, RandAugment, TrivialAugmentWide and their image operations against torchvision's v2: each operation
at a given magnitude on uint8 tensors (exact), float64 tensors (1e-10) and the PIL stand-in arrays (torchvision on
the PIL image, exact); the policy and magnitude tables; what a call returns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2 as tv2

import minitorch_cnn as mt
from minitorch_cnn.vision.transforms import v2
from minitorch_cnn.vision.transforms.v2 import _auto_augment as aa
from tests._parity import assert_close

OPS = [("Identity", 0.0), ("ShearX", 0.25), ("ShearY", -0.3), ("TranslateX", 3.7), ("TranslateY", -2.2),
       ("Rotate", 17.0), ("Brightness", 0.4), ("Color", -0.5), ("Contrast", 0.3), ("Sharpness", 0.8),
       ("Posterize", 3.0), ("Solarize", 0.4), ("AutoContrast", 0.0), ("Equalize", 0.0), ("Invert", 0.0)]


def _images() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (3, 12, 14), dtype=np.uint8), rng.random((3, 12, 14))


@pytest.mark.parametrize(("op", "magnitude"), OPS, ids=[o for o, _ in OPS])
def test_operations_as_torchvision(op: str, magnitude: float) -> None:
    x8, xf = _images()
    theirs_t = tv2.AutoAugment()
    run = theirs_t._apply_image_or_video_transform
    ours8 = aa._apply_op(mt.tensor(x8), op, magnitude, "nearest", None)
    theirs8 = run(torch.tensor(x8), op, magnitude, interpolation=theirs_t.interpolation, fill=theirs_t._fill)
    np.testing.assert_array_equal(ours8.numpy(), theirs8.numpy())
    if op not in ("Equalize", "Posterize"):  # torchvision's equalize and integer posterize are for uint8 only
        oursf = aa._apply_op(mt.tensor(xf), op, magnitude, "bilinear", 0)
        theirsf = run(torch.tensor(xf), op, magnitude, interpolation=tv2.InterpolationMode.BILINEAR,
                      fill={torch.Tensor: 0})
        assert_close(oursf, theirsf, np.float64, what=op)
    hwc = np.ascontiguousarray(x8.transpose(1, 2, 0))
    ours_pil = aa._apply_op(hwc, op, magnitude, "nearest", None)
    theirs_pil = run(Image.fromarray(hwc), op, magnitude, interpolation=theirs_t.interpolation, fill=theirs_t._fill)
    np.testing.assert_array_equal(np.asarray(ours_pil), np.asarray(theirs_pil))


def test_tables_are_torchvisions() -> None:
    for policy in v2.AutoAugmentPolicy:
        assert v2.AutoAugment(policy)._policies == tv2.AutoAugment(tv2.AutoAugmentPolicy(policy.value))._policies
    for ours_cls, theirs_cls in ((v2.AutoAugment, tv2.AutoAugment), (v2.RandAugment, tv2.RandAugment),
                                 (v2.TrivialAugmentWide, tv2.TrivialAugmentWide)):
        assert list(ours_cls.SPACE) == list(theirs_cls._AUGMENTATION_SPACE)
        for op, (fn, signed) in ours_cls.SPACE.items():
            their_fn, their_signed = theirs_cls._AUGMENTATION_SPACE[op]
            assert signed == their_signed
            for bins in (10, 31):
                ours, theirs = fn(bins, 12, 14), their_fn(bins, 12, 14)
                assert (ours is None and theirs is None) or (
                    ours.dtype == theirs.numpy().dtype and np.array_equal(ours, theirs.numpy())), (op, bins)


def test_reprs_as_torchvision_v2() -> None:
    for ours, theirs in ((v2.AutoAugment(), tv2.AutoAugment()), (v2.RandAugment(), tv2.RandAugment()),
                         (v2.TrivialAugmentWide(), tv2.TrivialAugmentWide())):
        assert repr(ours) == repr(theirs)


def test_calls_keep_shape_dtype_and_labels() -> None:
    x8, _ = _images()
    hwc = np.ascontiguousarray(x8.transpose(1, 2, 0))
    mt.manual_seed(0)
    for t in (v2.AutoAugment(), v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10), v2.RandAugment(num_ops=3),
              v2.TrivialAugmentWide(), mt.vision.transforms.TrivialAugmentWide()):
        seen = set()
        for _ in range(8):
            out, label = t(mt.tensor(x8), 5)
            assert out.shape == (3, 12, 14) and out.dtype == mt.uint8 and label == 5
            seen.add(out.numpy().tobytes())
            assert t(hwc).shape == (12, 14, 3)
        assert len(seen) > 1
    mt.manual_seed(1)
    first = v2.RandAugment()(mt.tensor(x8)).numpy()
    mt.manual_seed(1)
    np.testing.assert_array_equal(v2.RandAugment()(mt.tensor(x8)).numpy(), first)
    with pytest.raises(ValueError, match="num_ops should be a non-negative integer"):
        v2.RandAugment(num_ops=-1)
    with pytest.raises(TypeError, match="bits must be a positive integer in the range"):
        v2.posterize(mt.tensor(x8), 9)
