"""v1's ``AutoAugment``, ``RandAugment`` and ``TrivialAugmentWide`` against torchvision's on real CIFAR-10 images
(../shared/data; skipped when absent): reprs, the magnitude tables, and, given our draws (the (operation, magnitude)
steps of ``make_params``), torchvision's own v1 ``_apply_op`` chain: uint8 tensors and PIL images bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from PIL import Image
from torchvision.transforms import InterpolationMode as TIM
from torchvision.transforms.autoaugment import _apply_op

import minitorch_cnn as mt
from minitorch_cnn.vision import transforms as MT
from tests._transforms_surface import cifar_images


@pytest.fixture(scope="module")
def cifar() -> np.ndarray:
    """Four CIFAR-10 test images cut to (4, 32, 30, 3) uint8, read by our dataset class."""
    return np.ascontiguousarray(cifar_images()[:, :, :30])


def _pairs() -> list[tuple[object, object]]:
    return [(MT.AutoAugment(), T.AutoAugment()),
            (MT.AutoAugment(MT.AutoAugmentPolicy.CIFAR10, fill=[1, 2, 3]),
             T.AutoAugment(T.AutoAugmentPolicy.CIFAR10, fill=[1, 2, 3])),
            (MT.AutoAugment(MT.AutoAugmentPolicy.SVHN, MT.InterpolationMode.BILINEAR, 9),
             T.AutoAugment(T.AutoAugmentPolicy.SVHN, TIM.BILINEAR, 9)),
            (MT.RandAugment(), T.RandAugment()), (MT.RandAugment(3, 5, 11, fill=7), T.RandAugment(3, 5, 11, fill=7)),
            (MT.TrivialAugmentWide(), T.TrivialAugmentWide()), (MT.TrivialAugmentWide(15), T.TrivialAugmentWide(15))]


def test_reprs_and_magnitude_tables() -> None:
    for ours, theirs in _pairs():
        assert repr(ours) == repr(theirs)
        space = ours.space(ours.num_magnitude_bins) if isinstance(ours, MT.TrivialAugmentWide) else \
            ours.space(getattr(ours, "num_magnitude_bins", 10), 32, 30)
        ref = theirs._augmentation_space(ours.num_magnitude_bins) if isinstance(ours, MT.TrivialAugmentWide) else \
            theirs._augmentation_space(getattr(ours, "num_magnitude_bins", 10), (32, 30))
        assert list(space) == list(ref)
        for op, (table, signed) in space.items():
            expected = ref[op][0].numpy()
            np.testing.assert_array_equal(np.float32(0.0) if table is None else table, expected)
            assert signed == ref[op][1] and (table is None or table.dtype == expected.dtype)


@pytest.mark.parametrize("seed", range(6))
def test_steps_are_torchvisions_operations(cifar: np.ndarray, seed: int) -> None:
    x = np.ascontiguousarray(cifar.transpose(0, 3, 1, 2))
    for ours_t, theirs_t in _pairs():
        mt.manual_seed(seed)
        steps = ours_t.make_params(32, 30)
        fill = ours_t.fill
        tensor_fill = [float(fill)] * 3 if isinstance(fill, (int, float)) else fill
        theirs, pil = torch.tensor(x), Image.fromarray(cifar[seed % 4])
        for op, magnitude in steps:
            theirs = _apply_op(theirs, op, magnitude, theirs_t.interpolation, tensor_fill)
            pil = _apply_op(pil, op, magnitude, theirs_t.interpolation, fill)
        ours = ours_t.apply_ops(mt.tensor(x), steps)
        if theirs_t.interpolation == TIM.BILINEAR:  # a bilinear warp may round a pixel the other way
            diff = np.abs(ours.numpy().astype(int) - theirs.numpy().astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
        else:
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"{ours_t} {steps}")
        np.testing.assert_array_equal(ours_t.apply_ops(cifar[seed % 4], steps), np.asarray(pil))


def test_draws(cifar: np.ndarray) -> None:
    mt.manual_seed(0)
    t = MT.RandAugment(num_ops=3, magnitude=4, num_magnitude_bins=11)
    space = t.space(11, 32, 30)
    seen = set()
    for _ in range(200):
        steps = t.make_params(32, 30)
        assert len(steps) == 3
        for op, magnitude in steps:
            table = space[op][0]
            assert (magnitude == 0.0) if table is None else abs(magnitude) == abs(float(table[4]))
            seen.add((op, magnitude < 0))
    assert {op for op, _ in seen} == set(space) and ("Rotate", True) in seen and ("Rotate", False) in seen
    auto = MT.AutoAugment()
    lengths = [len(auto.make_params(32, 30)) for _ in range(300)]
    assert set(lengths) == {0, 1, 2}
    policy_id, probs, signs = MT.AutoAugment.get_params(25)
    assert 0 <= policy_id < 25 and probs.dtype == np.float32 and set(signs.tolist()) <= {0, 1}
    trivial = MT.TrivialAugmentWide()
    assert all(len(trivial.make_params(32, 30)) == 1 for _ in range(20))
    out, label = MT.AutoAugment()(mt.tensor(cifar[0].transpose(2, 0, 1).copy()), 1)
    assert out.shape == (3, 32, 30) and out.dtype == mt.uint8 and label == 1
    assert MT.TrivialAugmentWide()(Image.fromarray(cifar[1])).shape == (32, 30, 3)
