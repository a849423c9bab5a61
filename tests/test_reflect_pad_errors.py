"""``transforms.Pad``/``RandomCrop`` with ``padding_mode='reflect'`` on tensors: a padding not smaller than the
image is torch's RuntimeError with its message (width checked first); valid paddings give torch's pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

import minitorch_cnn as mt


@pytest.mark.parametrize(("shape", "padding"), [((3, 4, 4), 4), ((3, 4, 8), 4), ((2, 3, 4, 8), 4), ((4, 8), 4),
                                                ((3, 8, 4), [4, 1]), ((3, 8, 4), [1, 2, 5, 1])])
def test_too_large_reflect_padding_raises_as_torch(shape: tuple, padding: object) -> None:
    with pytest.raises(RuntimeError, match="Padding size should be less than") as theirs:
        torchvision.transforms.Pad(padding, padding_mode="reflect")(torch.zeros(shape))
    with pytest.raises(RuntimeError, match="Padding size should be less than") as ours:
        mt.vision.transforms.Pad(padding, padding_mode="reflect")(mt.zeros(shape))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(("shape", "padding"), [((3, 4, 4), 3), ((2, 3, 5, 4), [1, 4]), ((4, 6), [2, 1, 3, 0])])
def test_reflect_padding_pixels_match_torch(shape: tuple, padding: object) -> None:
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    theirs = torchvision.transforms.Pad(padding, padding_mode="reflect")(torch.tensor(x))
    ours = mt.vision.transforms.Pad(padding, padding_mode="reflect")(mt.tensor(x))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_random_crop_reflect_refuses_as_torch() -> None:
    with pytest.raises(RuntimeError, match=r"padding \(4, 4\) at dimension 3 of input \[1, 3, 2, 2\]"):
        torchvision.transforms.RandomCrop(2, padding=4, padding_mode="reflect")(torch.zeros(3, 2, 2))
    with pytest.raises(RuntimeError, match=r"padding \(4, 4\) at dimension 3 of input \[1, 3, 2, 2\]"):
        mt.vision.transforms.RandomCrop(2, padding=4, padding_mode="reflect")(mt.zeros(3, 2, 2))
