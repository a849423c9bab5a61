"""``mt.vision.transforms.v2.functional`` against ``torchvision.transforms.v2.functional`` on real CIFAR-10 images
(../shared/data; skipped when absent): uint8 bit for bit (resize included: torch's native uint8 kernel, as
torchvision's v2 uses on AVX2 CPUs), float64 to 1e-10, float32 against the float64 truth; PIL images through their
array stand-in."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF2
from PIL import Image
from torchvision.transforms import InterpolationMode as TIM

import minitorch_cnn as mt
from minitorch_cnn.vision.transforms.v2 import functional as F2
from tests._parity import assert_close, assert_f32_close
from tests._transforms_surface import assert_same, chw, cifar_images


@pytest.fixture(scope="module")
def cifar() -> np.ndarray:
    """Four CIFAR-10 test images as (4, 32, 32, 3) uint8, read by our dataset class."""
    return cifar_images()


CASES = {  # name: (args, float32 bit for bit)
    "adjust_brightness": ((1.3,), True), "adjust_contrast": ((0.6,), False), "adjust_saturation": ((1.7,), False),
    "adjust_hue": ((0.2,), False), "adjust_sharpness": ((1.8,), False), "adjust_gamma": ((0.7, 1.2), False),
    "autocontrast": ((), False), "invert": ((), True), "solarize": ((0.5,), True), "rgb_to_grayscale": ((3,), False),
    "to_grayscale": ((1,), False), "grayscale_to_rgb": ((), True), "permute_channels": (([2, 0, 1],), True),
    "hflip": ((), True), "horizontal_flip": ((), True), "vflip": ((), True), "vertical_flip": ((), True),
    "crop": ((3, -2, 20, 30), True), "center_crop": (([20, 36],), True), "pad": (([1, 2, 3, 4], 0.5, "constant"), True),
    "rotate": ((30.0, TIM.NEAREST, True, None, 0.2), True), "affine": ((10.0, [2, 3], 1.1, [4.0, 2.0]), True),
    "perspective": (([[0, 0], [31, 0], [31, 31], [0, 31]], [[2, 3], [29, 1], [30, 28], [1, 30]], TIM.NEAREST),
                    True),
    "erase": ((2, 3, 5, 6, torch.tensor(0.25)), True), "gaussian_blur": (([5, 3], [1.1, 0.7]), False),
    "resize": (([20, 40],), False), "resized_crop": ((2, 3, 20, 25, [16, 16]), False),
}


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_v2_functions_on_tensors(cifar: np.ndarray, name: str, dtype: str) -> None:
    args, exact32 = CASES[name]
    x = chw(cifar, dtype)
    if dtype == "uint8" and name in ("solarize", "pad", "rotate", "erase"):
        args = tuple(int(a * 255) if isinstance(a, float) and a < 1 else a for a in args)
        if name == "erase":
            args = args[:4] + (torch.tensor(64, dtype=torch.uint8),)
    ours_args = tuple(mt.tensor(a.numpy()) if isinstance(a, torch.Tensor) else a for a in args)
    ours = getattr(F2, name)(mt.tensor(x), *ours_args)
    theirs = getattr(TF2, name)(torch.tensor(x), *args)
    if dtype == "uint8" or (dtype == "float32" and exact32):
        assert_same(ours, theirs)
    elif dtype == "float64":
        assert_close(ours, theirs, np.float64, what=f"v2 {name}")
    else:
        truth = getattr(TF2, name)(torch.tensor(x, dtype=torch.float64), *args)
        assert ours.dtype == mt.float32
        assert_f32_close(ours, truth, torch32=theirs, what=f"v2 {name} float32")


@pytest.mark.parametrize("antialias", [True, False])
def test_native_uint8_resize_is_torchs(cifar: np.ndarray, antialias: bool) -> None:
    x = chw(cifar, "uint8")
    for size in ([20, 20], [17, 25], [48, 48], [40, 70], [32, 7], [5, 32], [100, 13], [3, 2]):
        theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode="bilinear", align_corners=False,
                                                 antialias=antialias)
        assert_same(F2.resize(mt.tensor(x), size, antialias=antialias), theirs)
    assert_same(F2.resize(mt.tensor(x[0]), 20, max_size=24), TF2.resize(torch.tensor(x[0]), 20, max_size=24))
    same = mt.tensor(x)
    assert F2.resize(same, [32, 32]) is same


def test_v2_uint8_only_functions_dtypes_and_meta(cifar: np.ndarray) -> None:
    x = chw(cifar, "uint8")
    for name, args in (("equalize", ()), ("posterize", (3,))):
        assert_same(getattr(F2, name)(mt.tensor(x), *args), getattr(TF2, name)(torch.tensor(x), *args))
    xf = chw(cifar, "float32")
    assert_same(F2.posterize(mt.tensor(xf), 3), TF2.posterize(torch.tensor(xf), 3))  # v2 posterizes floats too
    for dt, tdt in ((mt.float32, torch.float32), (mt.float64, torch.float64), (mt.uint8, torch.uint8)):
        for scale in (False, True):
            assert_same(F2.to_dtype(mt.tensor(x), dt, scale), TF2.to_dtype(torch.tensor(x), tdt, scale))
        assert_same(F2.convert_image_dtype(mt.tensor(xf), dt), TF2.convert_image_dtype(torch.tensor(xf), tdt))
    assert_same(F2.normalize(mt.tensor(xf), [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]),
          TF2.normalize(torch.tensor(xf), [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]))
    for ours, theirs in zip(F2.ten_crop(mt.tensor(x), 20, True), TF2.ten_crop(torch.tensor(x), 20, True), strict=True):
        assert_same(ours, theirs)
    for ours, theirs in zip(F2.five_crop(mt.tensor(x), [17, 9]), TF2.five_crop(torch.tensor(x), [17, 9]), strict=True):
        assert_same(ours, theirs)
    disp = mt.tensor(np.random.default_rng(0).standard_normal((1, 32, 32, 2)).astype(np.float32) * 0.05)
    assert_same(F2.elastic(mt.tensor(x), disp), TF2.elastic(torch.tensor(x), torch.tensor(disp.numpy())))
    assert_same(F2.elastic_transform(mt.tensor(x), disp, TIM.NEAREST, 3),
          TF2.elastic_transform(torch.tensor(x), torch.tensor(disp.numpy()), TIM.NEAREST, 3))
    t = torch.tensor(x[0, :1, :, :20])
    assert F2.get_size(mt.tensor(t.numpy())) == TF2.get_size(t) == [32, 20]
    assert F2.get_num_channels(mt.tensor(t.numpy())) == TF2.get_num_channels(t) == 1
    assert F2.get_dimensions(mt.tensor(t.numpy())) == TF2.get_dimensions(t)
    with pytest.warns(UserWarning, match=r"`get_image_size\(...\)` is deprecated"):
        assert F2.get_image_size(mt.tensor(t.numpy())) == [20, 32]
    with pytest.warns(UserWarning, match=r"`to_tensor\(...\)` is deprecated"):
        assert_same(F2.to_tensor(cifar[0]), torch.tensor(cifar[0].transpose(2, 0, 1) / np.float32(255)))
    assert F2.get_image_num_channels(mt.tensor(x)) == TF2.get_image_num_channels(torch.tensor(x))
    with pytest.raises(ValueError, match="Length of permutation does not match number of channels: 2 != 3"):
        F2.permute_channels(mt.tensor(x), [1, 0])
    with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
        F2.adjust_gamma(mt.tensor(x), -1.0)


def test_v2_functions_on_pil_images(cifar: np.ndarray) -> None:
    a = cifar[0][:, :30]
    pil = Image.fromarray(a)
    for name, args in (("adjust_gamma", (0.7, 1.1)), ("adjust_hue", (0.2,)), ("rgb_to_grayscale", (3,)),
                       ("permute_channels", ([2, 0, 1],)), ("rotate", (30.0,)), ("vflip", ()),
                       ("center_crop", ([20, 20],)), ("autocontrast", ()), ("equalize", ())):
        assert_same(getattr(F2, name)(a, *args), getattr(TF2, name)(pil, *args))
    gray = Image.fromarray(a[:, :, 0])
    assert_same(F2.grayscale_to_rgb(gray), TF2.grayscale_to_rgb(gray))
    assert F2.get_size(pil) == TF2.get_size(pil) == [32, 30]
    assert_same(F2.to_image(pil), TF2.to_image(pil))
    assert_same(F2.pil_to_tensor(pil), TF2.pil_to_tensor(pil))
    assert np.array_equal(np.asarray(F2.to_pil_image(mt.tensor(a.transpose(2, 0, 1)))), a)
    assert F2.InterpolationMode.NEAREST.value == "nearest"
