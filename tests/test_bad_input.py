"""Wrong input and misuse, each held against what torch does with it (issue 20's findings, one test each)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
import minitorch_cnn.nn.functional as F
from minitorch_cnn.utils.data import DataLoader, Subset, TensorDataset
from minitorch_cnn.vision import transforms as T
from minitorch_cnn.vision.datasets import MNIST
from minitorch_cnn.vision.datasets.mnist import sample_root


# ---- degenerate conv/pool geometry: an error before any kernel runs (a 0-size kernel crashed Numba) ----------
@pytest.mark.parametrize("wshape", [(4, 3, 0, 0), (4, 3, 2, 0), (0, 3, 2, 2), (4, 0, 1, 1)])
def test_conv2d_refuses_zero_size_weight(wshape):
    x = mt.randn(2, 3 if wshape[1] else 0, 8, 8)
    with pytest.raises(RuntimeError, match=r"every size >= 1, got \(" + ", ".join(map(str, wshape))):
        F.conv2d(x, mt.randn(*wshape))


@pytest.mark.parametrize("kwargs,name", [
    ({"kernel_size": 0}, "kernel_size"), ({"kernel_size": (3, 0)}, "kernel_size"), ({"kernel_size": -1}, "kernel_size"),
    ({"kernel_size": 3, "stride": 0}, "stride"), ({"kernel_size": 3, "dilation": 0}, "dilation"),
    ({"kernel_size": 3, "padding": -1}, "padding"),
])
def test_conv2d_layer_refuses_degenerate_geometry_when_built(kwargs, name):
    # torch builds most of these and fails at the first forward (a 0 kernel: inside oneDNN); we refuse them at once
    with pytest.raises(ValueError, match=f"Conv2d: {name} must be >= "):
        mt.nn.Conv2d(3, 4, **kwargs)


@pytest.mark.parametrize("call", [
    lambda m, x: m.max_pool2d(x, 0), lambda m, x: m.avg_pool2d(x, (2, 0)), lambda m, x: m.max_pool2d(x, 2, stride=0),
    lambda m, x: m.max_pool2d(x, 2, padding=2), lambda m, x: m.avg_pool2d(x, 2, padding=-1),
    lambda m, x: m.max_pool2d(x, 5),
])
def test_pools_refuse_degenerate_geometry_as_torch(call):
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4)).astype(np.float32)
    with pytest.raises(RuntimeError):
        call(torch.nn.functional, torch.from_numpy(x))
    with pytest.raises(RuntimeError, match="max_pool2d|avg_pool2d"):
        call(F, mt.tensor(x))


# ---- the loader's batch path never bypasses a subclass's __getitem__ ------------------------------------------
class Remapped(TensorDataset):
    """Labels remapped and images negated in __getitem__, as a user's subclass does."""

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return -x, int(y._data) % 3


class RemappedMNIST(MNIST):
    @property
    def raw_folder(self):  # torchvision's MNIST looks under the class's name; the files are under MNIST's
        return str(sample_root() / "MNIST" / "raw")

    def __getitem__(self, index):
        img, target = super().__getitem__(index)
        return img, 9 - target


def test_loader_honours_a_tensor_dataset_subclass_and_through_subset():
    ds = Remapped(mt.arange(12.0).reshape(6, 2), mt.arange(6))
    for view, order in ((ds, range(6)), (Subset(ds, [5, 1, 3, 0]), [5, 1, 3, 0])):
        xs, ys = zip(*(next(iter(DataLoader(view, batch_size=6))),))
        x, y = xs[0], ys[0]
        assert np.array_equal(x._data, -np.arange(12.0).reshape(6, 2)[list(order)])
        assert y._data.tolist() == [i % 3 for i in order]


def test_loader_honours_an_mnist_subclass_and_a_transform_subclass():
    class Negated(T.ToTensor):
        def __call__(self, pic):
            return 1 - super().__call__(pic)

    base = MNIST(sample_root(), train=False, transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    ds = RemappedMNIST(sample_root(), train=False, transform=base.transform)
    x, y = next(iter(DataLoader(Subset(ds, [3, 1, 4]), batch_size=3)))
    assert y._data.tolist() == [9 - int(base.targets._data[i]) for i in (3, 1, 4)]
    assert np.array_equal(x._data, np.stack([base[i][0]._data for i in (3, 1, 4)]))
    negated = MNIST(sample_root(), train=False, transform=T.Compose([Negated()]))
    assert Negated().batch is None and negated.transform.batch is None
    x, _ = next(iter(DataLoader(negated, batch_size=2)))
    assert np.array_equal(x._data, np.stack([1 - T.ToTensor()(negated.data._data[i])._data for i in (0, 1)]))
