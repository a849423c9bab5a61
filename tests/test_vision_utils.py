"""make_grid / save_image against torchvision.utils, read_image / write_png against torchvision.io."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

import minitorch_cnn as mt

# torchvision 0.29 warns that its own image codecs are deprecated; they are the reference here all the same
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding and encoding:DeprecationWarning")

GRID_CASES = [
    {},
    {"nrow": 3, "padding": 1, "pad_value": 0.5},
    {"normalize": True},
    {"normalize": True, "value_range": (-1.0, 1.0)},
    {"normalize": True, "scale_each": True, "nrow": 2},
    {"normalize": True, "scale_each": True, "value_range": (-0.5, 2.0), "padding": 0},
]


@pytest.mark.parametrize("kwargs", GRID_CASES)
@pytest.mark.parametrize("shape", [(5, 3, 4, 6), (7, 1, 5, 5), (1, 3, 4, 4), (1, 4, 4), (4, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_make_grid_equals_torchvision(kwargs: dict, shape: tuple, dtype: type) -> None:
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)
    theirs = torchvision.utils.make_grid(torch.from_numpy(x.copy()), **kwargs)
    ours = mt.vision.utils.make_grid(mt.from_numpy(x.copy()), **kwargs)
    assert ours.dtype == x.dtype
    np.testing.assert_array_equal(ours._data, theirs.numpy())


def test_make_grid_takes_a_list_and_refuses_bad_input() -> None:
    imgs = [np.random.default_rng(i).random((3, 4, 5)).astype(np.float32) for i in range(3)]
    theirs = torchvision.utils.make_grid([torch.from_numpy(a) for a in imgs], nrow=2)
    np.testing.assert_array_equal(mt.vision.utils.make_grid([mt.from_numpy(a) for a in imgs], nrow=2)._data, theirs)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        mt.vision.utils.make_grid(mt.ones(2, 3, 4, 4), normalize=True, value_range=[0, 1])
    with pytest.raises(ValueError, match="expected images"):
        mt.vision.utils.make_grid(mt.ones(2, 2, 3, 4, 4))


def test_save_image_writes_torchvisions_pixels(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((6, 3, 5, 7)).astype(np.float32) * 1.2 - 0.1  # some out of [0, 1]
    torchvision.utils.save_image(torch.from_numpy(x), tmp_path / "theirs.png", nrow=4, padding=1)
    mt.vision.utils.save_image(mt.from_numpy(x), tmp_path / "ours.png", nrow=4, padding=1)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ours.png")),
                                  np.asarray(Image.open(tmp_path / "theirs.png")))


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_write_png_and_read_image_agree_with_torchvision(tmp_path: Path, channels: int) -> None:
    img = np.random.default_rng(channels).integers(0, 256, (channels, 9, 11), dtype=np.uint8)
    mt.vision.io.write_png(mt.from_numpy(img), tmp_path / "a.png")
    np.testing.assert_array_equal(torchvision.io.read_image(str(tmp_path / "a.png")).numpy(), img)
    np.testing.assert_array_equal(mt.vision.io.read_image(tmp_path / "a.png")._data, img)
    for mode in ("GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"):
        theirs = torchvision.io.read_image(str(tmp_path / "a.png"), getattr(torchvision.io.ImageReadMode, mode))
        ours = mt.vision.io.read_image(tmp_path / "a.png", getattr(mt.vision.io.ImageReadMode, mode))
        assert ours.shape == tuple(theirs.shape), mode
        diff = np.abs(ours._data.astype(int) - theirs.numpy().astype(int)).max()
        # color -> gray: Pillow rounds ITU-R 601 luma, libpng truncates its fixed-point sum: one level apart
        assert diff <= (1 if mode.startswith("GRAY") and channels > 1 else 0), mode


def test_read_jpeg_as_torchvision(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    img = np.repeat(np.repeat(rng.integers(0, 256, (3, 4, 4), dtype=np.uint8), 4, 1), 4, 2)
    torchvision.io.write_jpeg(torch.from_numpy(img), str(tmp_path / "a.jpg"), quality=90)
    ours = mt.vision.io.read_image(tmp_path / "a.jpg")._data.astype(int)
    theirs = torchvision.io.read_image(str(tmp_path / "a.jpg")).numpy().astype(int)
    assert ours.shape == theirs.shape
    # Both decode with libjpeg(-turbo); its IDCT variants may differ by one level.
    assert np.abs(ours - theirs).max() <= 1


def test_write_png_refuses_what_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="expected a uint8 tensor"):
        mt.vision.io.write_png(mt.ones(3, 4, 4), tmp_path / "x.png")
    with pytest.raises(ValueError, match="compression_level"):
        mt.vision.io.write_png(mt.zeros(3, 4, 4, dtype=mt.uint8), tmp_path / "x.png", compression_level=11)
