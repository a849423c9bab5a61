"""What the transforms surface tests share: the real CIFAR-10 images they run on (../shared/data; the test is skipped
when absent), the HWC → CHW batch layout, and the bit-for-bit comparison of ours with torchvision's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import data_root


def cifar_images() -> np.ndarray:
    """Four CIFAR-10 test images, (4, 32, 32, 3) uint8, read by our dataset class."""
    root = data_root() / "cifar10-subset"
    if not (root / "cifar-10-batches-py").is_dir():
        pytest.skip(f"CIFAR-10 subset not found at {root}")
    ds = mt.vision.datasets.CIFAR10(str(root), train=False)
    return np.stack([ds[i][0] for i in range(4)])


def chw(hwc: np.ndarray, dtype: str = "uint8") -> np.ndarray:
    """(N, H, W, C) uint8 → contiguous (N, C, H, W): uint8 as it is, a float dtype scaled to [0, 1]."""
    x = np.ascontiguousarray(hwc.transpose(0, 3, 1, 2))
    return x if dtype == "uint8" else (x / 255.0).astype(dtype)


def assert_same(ours: object, theirs: object) -> None:
    """Ours (a Tensor or array-like) equal to torchvision's bit for bit, dtype and shape included."""
    o = ours.numpy() if isinstance(ours, mt.Tensor) else np.asarray(ours)
    t = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert o.dtype == t.dtype and o.shape == t.shape, (o.dtype, t.dtype, o.shape, t.shape)
    np.testing.assert_array_equal(o, t)
