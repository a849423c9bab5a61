"""Normalize with a mean/std of the wrong length fails as torchvision's does: its in-place ``sub_``/``div_`` by a
(k, 1, 1) tensor raises torch's broadcast RuntimeError (the MNIST GAN scripts' ``Normalize(mean=(0.5, 0.5, 0.5),
...)`` on one-channel images stops there under torch too)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T

import minitorch_cnn as mt
import minitorch_cnn.vision.transforms as MT

CASES = [((1, 28, 28), (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), ((4, 1, 5, 5), (0.5, 0.5, 0.5), (0.5,)),
         ((1, 6, 6), (0.5,), (0.5, 0.5, 0.5)), ((3, 4, 4), (0.1, 0.2), (0.5,)), ((2, 3, 4, 4), (0.1,), (0.2, 0.3)),
         ((2, 5, 3, 4, 4), (0.1, 0.2, 0.3, 0.4), (1.0,))]


def _error(fn) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value)


@pytest.mark.parametrize("shape,mean,std", CASES)
@pytest.mark.parametrize("inplace", [False, True])
def test_wrong_length_mean_or_std_raises_torchs_error(shape: tuple, mean: tuple, std: tuple, inplace: bool) -> None:
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    theirs = _error(lambda: T.Normalize(mean, std, inplace)(torch.from_numpy(x.copy())))
    ours = _error(lambda: MT.Normalize(mean, std, inplace)(mt.tensor(x.copy())))
    assert ours == theirs
    assert _error(lambda: MT.functional.normalize(mt.tensor(x.copy()), mean, std, inplace)) == theirs


def test_the_gan_scripts_line_raises_before_any_work_and_the_one_channel_fix_agrees() -> None:
    x = np.random.default_rng(1).random((1, 28, 28), dtype=np.float32)
    t, o = torch.from_numpy(x.copy()), mt.tensor(x.copy())
    with pytest.raises(RuntimeError, match=r"output with shape \[1, 28, 28\] doesn't match the broadcast shape"):
        MT.Normalize(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), inplace=True)(o)
    assert np.array_equal(o.numpy(), x)  # nothing written
    ref = T.Normalize(mean=(0.5,), std=(0.5,))(t)
    assert np.array_equal(MT.Normalize(mean=(0.5,), std=(0.5,))(o).numpy(), ref.numpy())
