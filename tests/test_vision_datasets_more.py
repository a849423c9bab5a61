"""FakeData, KMNIST and EMNIST against torchvision's.

FakeData: torchvision draws from torch's generator and we from ours, so the pixels differ; what is compared is
the rest: PIL mode and size, what a transform gives (shape, dtype, range), the targets' type and range, the same
item every time, the global generator left alone, the repr and the errors.
KMNIST and EMNIST read MNIST's IDX format: a root of links (ours) and of unpacked copies (theirs) of the real
MNIST files under the names those datasets expect; EMNIST's download gets a zip of those files in the official
layout from a local server; no data is made up.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
import torchvision.transforms as T

import minitorch_cnn as mt
from tests._parity import data_root
from tests.test_datasets import serve

MT = mt.vision.transforms
TVD, MTD = torchvision.datasets, mt.vision.datasets


@pytest.mark.parametrize("image_size", [(3, 12, 9), (1, 8, 8)])
def test_fakedata_matches_torchvisions_shapes_types_and_transforms(image_size: tuple) -> None:
    ours = MTD.FakeData(size=6, image_size=image_size, num_classes=4, transform=MT.ToTensor(), random_offset=3)
    theirs = TVD.FakeData(size=6, image_size=image_size, num_classes=4, transform=T.ToTensor(), random_offset=3)
    assert len(ours) == len(theirs) == 6 and repr(ours) == repr(theirs)
    for i in range(6):
        (mi, mt_), (ti, tt) = ours[i], theirs[i]
        assert mi.shape == tuple(ti.shape) and mi.dtype == mt.float32 and ti.dtype == torch.float32
        assert 0.0 <= float(mi.min()) and float(mi.max()) <= 1.0
        assert type(mt_) is type(tt) is int and 0 <= mt_ < 4
        np.testing.assert_array_equal(ours[i][0].numpy(), mi.numpy())  # the same item every time
    raw_ours, raw_theirs = MTD.FakeData(2, image_size)[1][0], TVD.FakeData(2, image_size)[1][0]
    assert (raw_ours.mode, raw_ours.size) == (raw_theirs.mode, raw_theirs.size)
    targets = [MTD.FakeData(200, (1, 2, 2), num_classes=3)[i][1] for i in range(200)]
    assert set(targets) == {0, 1, 2}


def test_fakedata_leaves_the_global_generator_and_raises_like_torchvision() -> None:
    mt.manual_seed(7)
    expected = mt.randn(4).numpy()
    mt.manual_seed(7)
    MTD.FakeData(3, (3, 4, 4))[2]
    np.testing.assert_array_equal(mt.randn(4).numpy(), expected)
    assert MTD.FakeData(3, (3, 4, 4), random_offset=1)[0][0].tobytes() == MTD.FakeData(3, (3, 4, 4))[1][0].tobytes()
    for ds in (MTD.FakeData(3, (3, 4, 4)), TVD.FakeData(3, (3, 4, 4))):
        with pytest.raises(IndexError, match="FakeData index out of range"):
            ds[3]
    ours = MTD.FakeData(3, (3, 4, 4), target_transform=lambda t: t + 10)[0][1]
    theirs = TVD.FakeData(3, (3, 4, 4), target_transform=lambda t: t + 10)[0][1]
    assert type(ours) is type(theirs) is int and ours >= 10 and theirs >= 10


@pytest.fixture(scope="module")
def idx_roots(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(ours, theirs): KMNIST/raw and EMNIST/raw holding the real MNIST test files under the expected names; ours
    as links to the official .gz files, theirs unpacked (torchvision reads only unpacked IDX files)."""
    mnist = data_root() / "MNIST" / "raw"
    ours, theirs = tmp_path_factory.mktemp("ours"), tmp_path_factory.mktemp("theirs")
    names = {"KMNIST": {n: n for n in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte",
                                       "train-labels-idx1-ubyte")},
             "EMNIST": {"emnist-digits-test-images-idx3-ubyte": "t10k-images-idx3-ubyte",
                        "emnist-digits-test-labels-idx1-ubyte": "t10k-labels-idx1-ubyte"}}
    unpacked = {}
    for ds, files in names.items():
        for root in (ours, theirs):
            (root / ds / "raw").mkdir(parents=True)
        for name, source in files.items():
            os.symlink(mnist / f"{source}.gz", ours / ds / "raw" / f"{name}.gz")
            if source not in unpacked:
                unpacked[source] = gzip.decompress((mnist / f"{source}.gz").read_bytes())
            (theirs / ds / "raw" / name).write_bytes(unpacked[source])
    return ours, theirs


def _same(ours: object, theirs: object) -> None:
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    np.testing.assert_array_equal(ours.targets.numpy(), theirs.targets.numpy())
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx and len(ours) == len(theirs)
    img, target = ours[17]
    timg, ttarget = theirs[17]
    np.testing.assert_array_equal(img, np.asarray(timg))
    assert target == ttarget


def test_kmnist_reads_torchvisions_layout(idx_roots: tuple[Path, Path]) -> None:
    ours, theirs = idx_roots
    _same(MTD.KMNIST(ours, train=False), TVD.KMNIST(theirs, train=False))
    assert MTD.KMNIST.resources == TVD.KMNIST.resources and MTD.KMNIST.mirrors == TVD.KMNIST.mirrors


def test_emnist_reads_torchvisions_layout(idx_roots: tuple[Path, Path]) -> None:
    ours, theirs = idx_roots
    _same(MTD.EMNIST(ours, "digits", train=False), TVD.EMNIST(theirs, "digits", train=False))
    assert MTD.EMNIST.classes_split_dict == TVD.EMNIST.classes_split_dict
    for lib, root in ((TVD, theirs), (MTD, ours)):
        with pytest.raises(ValueError, match=r"Unknown value 'kanji' for argument split. Valid values are \{'byclass'"):
            lib.EMNIST(root, "kanji")
        with pytest.raises(RuntimeError, match="not found"):
            lib.EMNIST(root, "letters", train=False)


def test_emnist_download_unpacks_the_zip_as_torchvision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The official layout (a zip holding gzip/emnist-*.gz) served locally, built from the real MNIST test files
    under the EMNIST names; url and md5 point at it, as the MNIST download tests do."""
    mnist = data_root() / "MNIST" / "raw"
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "gzip.zip", "w") as archive:
        for kind in ("images-idx3", "labels-idx1"):
            archive.write(mnist / f"t10k-{kind}-ubyte.gz", f"gzip/emnist-digits-test-{kind}-ubyte.gz")
    md5 = hashlib.md5((served / "gzip.zip").read_bytes()).hexdigest()
    with serve(served) as (url, log):
        monkeypatch.setattr(MTD.EMNIST, "url", url + "gzip.zip")
        monkeypatch.setattr(MTD.EMNIST, "md5", md5)
        ours = MTD.EMNIST(tmp_path / "root", "digits", train=False, download=True)
        MTD.EMNIST(tmp_path / "root", "digits", train=False, download=True)
        assert len(log) == 1  # the second one found the files
    raw = tmp_path / "root" / "EMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == ["emnist-digits-test-images-idx3-ubyte",
                                                     "emnist-digits-test-labels-idx1-ubyte", "gzip.zip"]
    reference = MTD.MNIST(data_root(), train=False)
    np.testing.assert_array_equal(ours.data.numpy(), reference.data.numpy())
    np.testing.assert_array_equal(ours.targets.numpy(), reference.targets.numpy())
    with serve(served) as (url, _):
        monkeypatch.setattr(MTD.EMNIST, "url", url + "gzip.zip")
        monkeypatch.setattr(MTD.EMNIST, "md5", "0" * 32)
        with pytest.raises(RuntimeError, match="md5 mismatch for gzip.zip"):
            MTD.EMNIST(tmp_path / "bad", "digits", train=False, download=True)
