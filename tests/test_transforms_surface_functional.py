"""``mt.vision.transforms.functional``'s v1 surface against ``torchvision.transforms.functional`` on real images
(CIFAR-10 and MNIST from ../shared/data; skipped when absent): the same uint8 and float tensors in both, uint8
results bit for bit, float64 to 1e-10, float32 exact where torch's arithmetic is reproduced and otherwise judged
against the float64 truth (torch's float32 reductions, Sleef's powf and its convolution order round differently).
PIL images: ours gets the array stand-in (or the PIL image) and must give the pixels torchvision gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision.transforms import InterpolationMode as TIM

import minitorch_cnn as mt
from minitorch_cnn.vision.transforms import functional as F
from tests._parity import assert_close, assert_f32_close, data_root
from tests._transforms_surface import chw, cifar_images


@pytest.fixture(scope="module")
def cifar() -> np.ndarray:
    """Four CIFAR-10 test images, (4, 32, 32, 3) uint8, read by our dataset class."""
    return cifar_images()


@pytest.fixture(scope="module")
def mnist() -> np.ndarray:
    """Two MNIST test digits, (2, 28, 28) uint8."""
    ds = mt.vision.datasets.MNIST(str(data_root()), train=False)
    return np.stack([ds[i][0] for i in range(2)])


def _same(ours: object, theirs: torch.Tensor) -> None:
    o = ours.numpy() if isinstance(ours, mt.Tensor) else np.asarray(ours)
    t = theirs.numpy()
    assert o.dtype == t.dtype and o.shape == t.shape
    np.testing.assert_array_equal(o, t)


def _judge(ours: mt.Tensor, x: np.ndarray, fn: object, exact32: bool, what: str) -> None:
    """uint8: bit for bit; float64: 1e-10; float32: bit for bit if ``exact32``, else against the float64 truth."""
    theirs = fn(torch.tensor(x))
    if x.dtype != np.float32:
        if x.dtype == np.uint8:
            _same(ours, theirs)
        else:
            assert_close(ours, theirs, np.float64, what=what)
        return
    if exact32:
        _same(ours, theirs)
    else:
        assert ours.dtype == mt.float32
        assert_f32_close(ours, fn(torch.tensor(x, dtype=torch.float64)), torch32=theirs, what=what)


COLOUR = [  # name, args, float32 bit for bit
    ("adjust_brightness", (1.3,), True), ("adjust_brightness", (0.4,), True), ("adjust_contrast", (0.6,), False),
    ("adjust_contrast", (1.8,), False), ("adjust_saturation", (1.7,), True), ("adjust_saturation", (0.3,), True),
    ("adjust_hue", (0.21,), True), ("adjust_hue", (-0.37,), True), ("adjust_gamma", (0.7,), False),
    ("adjust_gamma", (2.2, 0.9), False), ("adjust_sharpness", (1.8,), False), ("adjust_sharpness", (0.2,), False),
    ("autocontrast", (), True), ("invert", (), True),
]


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
@pytest.mark.parametrize("name,args,exact32", COLOUR)
def test_colour_on_tensors(cifar: np.ndarray, name: str, args: tuple, exact32: bool, dtype: str) -> None:
    x = chw(cifar, dtype)
    ours = getattr(F, name)(mt.tensor(x), *args)
    _judge(ours, x, lambda t: getattr(TF, name)(t, *args), exact32, f"{name}{args} {dtype}")
    one = getattr(F, name)(mt.tensor(x[0]), *args)  # a single (C, H, W) image: the batch's first
    np.testing.assert_array_equal(one.numpy(), ours.numpy()[0])


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_solarize_posterize_equalize_on_tensors(cifar: np.ndarray, mnist: np.ndarray, dtype: str) -> None:
    x = chw(cifar, dtype)
    threshold = 100 if dtype == "uint8" else 0.4
    _same(F.solarize(mt.tensor(x), threshold), TF.solarize(torch.tensor(x), threshold))
    if dtype != "uint8":  # torchvision's v1 posterize and equalize take uint8 only
        for fn, args in (("posterize", (3,)), ("equalize", ())):
            with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported"):
                getattr(TF, fn)(torch.tensor(x), *args)
            with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported"):
                getattr(F, fn)(mt.tensor(x), *args)
        return
    for bits in (0, 1, 3, 8):
        _same(F.posterize(mt.tensor(x), bits), TF.posterize(torch.tensor(x), bits))
    _same(F.equalize(mt.tensor(x)), TF.equalize(torch.tensor(x)))
    digits = mnist[:, None]
    _same(F.equalize(mt.tensor(digits)), TF.equalize(torch.tensor(digits)))
    _same(F.autocontrast(mt.tensor(digits)), TF.autocontrast(torch.tensor(digits)))
    flat = np.full((3, 4, 5), 7, dtype=np.uint8)  # a flat channel: autocontrast and equalize leave it
    _same(F.autocontrast(mt.tensor(flat)), TF.autocontrast(torch.tensor(flat)))
    _same(F.equalize(mt.tensor(flat)), TF.equalize(torch.tensor(flat)))


PIL_OPS = [("adjust_brightness", (1.3,)), ("adjust_contrast", (0.6,)), ("adjust_saturation", (1.7,)),
           ("adjust_hue", (0.21,)), ("adjust_hue", (-0.4,)), ("adjust_gamma", (0.7, 1.1)),
           ("adjust_sharpness", (1.8,)), ("autocontrast", ()), ("equalize", ()), ("invert", ()),
           ("posterize", (3,)), ("solarize", (100,))]


@pytest.mark.parametrize("name,args", PIL_OPS)
def test_colour_on_pil_images(cifar: np.ndarray, mnist: np.ndarray, name: str, args: tuple) -> None:
    for a in (cifar[0], cifar[1], mnist[0]):
        theirs = np.asarray(getattr(TF, name)(Image.fromarray(a), *args))
        np.testing.assert_array_equal(getattr(F, name)(a, *args), theirs)
        np.testing.assert_array_equal(getattr(F, name)(Image.fromarray(a), *args), theirs)


def test_colour_on_one_channel_2d_tensors(mnist: np.ndarray) -> None:
    """A (H, W) tensor is a one-channel image for the functions that take it, as in torchvision."""
    x = mnist[0]
    for name, args in (("adjust_brightness", (1.2,)), ("adjust_saturation", (0.5,)), ("adjust_hue", (0.2,)),
                       ("adjust_gamma", (0.5, 1.1))):
        _same(getattr(F, name)(mt.tensor(x), *args), getattr(TF, name)(torch.tensor(x), *args))


def test_colour_errors() -> None:
    x = mt.tensor(np.zeros((3, 4, 4), dtype=np.uint8))
    for name in ("adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_sharpness"):
        kind = name.split("_")[1]
        with pytest.raises(ValueError, match=f"{kind}_factor \\(-1\\) is not non-negative"):
            getattr(F, name)(x, -1)
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(x, 0.7)
    with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
        F.adjust_gamma(x, -1.0)
    with pytest.raises(ValueError, match="The number if bits should be between 0 and 8"):
        F.posterize(x, 9)
    with pytest.raises(TypeError, match="Threshold should be less than bound of img"):
        F.solarize(x, 300)
    with pytest.raises(TypeError, match=r"permitted channel values are \[1, 3\], but found 2"):
        F.adjust_brightness(mt.tensor(np.zeros((2, 4, 4))), 1.0)
    with pytest.raises(TypeError, match="Input image tensor should have at least 3 dimensions"):
        F.invert(mt.tensor(np.zeros((4, 4))))
    with pytest.raises(TypeError, match="Input image tensor should have 3 or 4 dimensions"):
        F.equalize(mt.tensor(np.zeros((1, 1, 3, 4, 4), dtype=np.uint8)))


@pytest.mark.parametrize("dtype", ["uint8", "float64"])
def test_flips_crops_and_sizes(cifar: np.ndarray, dtype: str) -> None:
    x = chw(cifar, dtype)
    _same(F.vflip(mt.tensor(x)), TF.vflip(torch.tensor(x)))
    for size in (20, [20], (17, 25)):
        for ours, theirs in zip(F.five_crop(mt.tensor(x), size), TF.five_crop(torch.tensor(x), size), strict=True):
            _same(ours, theirs)
        for vertical in (False, True):
            got = F.ten_crop(mt.tensor(x), size, vertical_flip=vertical)
            for ours, theirs in zip(got, TF.ten_crop(torch.tensor(x), size, vertical_flip=vertical), strict=True):
                _same(ours, theirs)
    assert F.get_image_size(mt.tensor(x)) == TF.get_image_size(torch.tensor(x)) == [32, 32]
    assert F.get_image_num_channels(mt.tensor(x)) == TF.get_image_num_channels(torch.tensor(x)) == 3
    assert F.get_image_num_channels(mt.tensor(x[0, 0])) == 1
    with pytest.raises(ValueError, match=r"Requested crop size \(40, 40\) is bigger than input size \(32, 32\)"):
        F.five_crop(mt.tensor(x), 40)
    with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\) for size"):
        F.ten_crop(mt.tensor(x), (1, 2, 3))


def test_flips_crops_sizes_and_grayscale_on_pil_images(cifar: np.ndarray, mnist: np.ndarray) -> None:
    a = cifar[0][:, :30]  # not square, so width and height cannot be swapped unnoticed
    pil = Image.fromarray(a)
    np.testing.assert_array_equal(F.vflip(a), np.asarray(TF.vflip(pil)))
    for ours, theirs in zip(F.ten_crop(pil, (12, 9)), TF.ten_crop(pil, (12, 9)), strict=True):
        np.testing.assert_array_equal(ours, np.asarray(theirs))
    assert F.get_image_size(a) == TF.get_image_size(pil) == [30, 32]
    assert F.get_image_num_channels(pil) == TF.get_image_num_channels(pil) == 3
    for n in (1, 3):
        np.testing.assert_array_equal(F.to_grayscale(pil, n), np.asarray(TF.to_grayscale(pil, n)))
    np.testing.assert_array_equal(F.to_grayscale(mnist[0]), np.asarray(TF.to_grayscale(Image.fromarray(mnist[0]))))
    with pytest.raises(TypeError, match="Input should be PIL Image"):
        F.to_grayscale(mt.tensor(chw(cifar, "uint8")))
    _same(F.pil_to_tensor(pil), TF.pil_to_tensor(pil))


def test_erase_and_convert_image_dtype(cifar: np.ndarray) -> None:
    x = chw(cifar, "float32")[0]
    v = np.random.default_rng(0).standard_normal((3, 5, 6)).astype(np.float32)
    _same(F.erase(mt.tensor(x), 2, 3, 5, 6, mt.tensor(v)), TF.erase(torch.tensor(x), 2, 3, 5, 6, torch.tensor(v)))
    ours, before = mt.tensor(x), x.copy()
    out = F.erase(ours, 1, 1, 2, 2, mt.tensor(np.float32(0.5)), inplace=True)
    assert out is ours and (out.numpy()[:, 1:3, 1:3] == 0.5).all()
    assert F.erase(mt.tensor(before), 1, 1, 2, 2, mt.tensor(np.float32(0.5))) is not None and (x == before).all()
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.erase(cifar[0], 0, 0, 1, 1, mt.tensor(0.0))
    u8 = chw(cifar, "uint8")
    for dt, tdt in ((mt.float32, torch.float32), (mt.float64, torch.float64), (mt.int16, torch.int16)):
        _same(F.convert_image_dtype(mt.tensor(u8), dt), TF.convert_image_dtype(torch.tensor(u8), tdt))
    _same(F.convert_image_dtype(mt.tensor(x), mt.uint8), TF.convert_image_dtype(torch.tensor(x), torch.uint8))


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_kind", ["none", "zero", "per-channel"])
def test_rotate_affine_perspective_on_tensors(cifar: np.ndarray, dtype: str, mode: str, fill_kind: str) -> None:
    x = chw(cifar, dtype)
    fill = {"none": None, "zero": 0, "per-channel": [10, 20, 30] if dtype == "uint8" else [0.1, 0.2, 0.3]}[fill_kind]
    start, end = [[0, 0], [31, 0], [31, 31], [0, 31]], [[2, 3], [29, 1], [30, 28], [1, 30]]
    cases = {
        "rotate": (lambda f, t, m: f.rotate(t, 33.0, m, fill=fill),
                   lambda f, t, m: f.rotate(t, -70.0, m, expand=True, center=[10, 12], fill=fill)),
        "affine": (lambda f, t, m: f.affine(t, 12.0, [2, -3], 1.1, [5.0, 3.0], m, fill=fill),),
        "perspective": (lambda f, t, m: f.perspective(t, start, end, m, fill=fill),),
    }
    for name, calls in cases.items():
        for call in calls:
            ours = call(F, mt.tensor(x), mode)

            def theirs(t: torch.Tensor, call: object = call) -> torch.Tensor:
                return call(TF, t, TIM(mode))

            if dtype == "uint8" and mode == "bilinear":  # float32 grids: a value may round the other way
                t = theirs(torch.tensor(x)).numpy().astype(int)
                diff = np.abs(ours.numpy().astype(int) - t)
                assert diff.max() <= 1 and (diff > 0).mean() < 0.01, f"{name} {fill}"
            else:
                _judge(ours, x, theirs, exact32=mode == "nearest", what=f"{name} {mode} {fill}")


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_warps_on_pil_images(cifar: np.ndarray, mode: str) -> None:
    a = cifar[2]
    pil = Image.fromarray(a)
    start, end = [[0, 0], [31, 0], [31, 31], [0, 31]], [[2, 3], [29, 1], [30, 28], [1, 30]]
    for fill in (None, 7, [10, 20, 30]):
        np.testing.assert_array_equal(F.perspective(a, start, end, mode, fill=fill),
                                      np.asarray(TF.perspective(pil, start, end, TIM(mode), fill=fill)))
        np.testing.assert_array_equal(F.rotate(pil, 21.0, mode, expand=True, fill=fill),
                                      np.asarray(TF.rotate(pil, 21.0, TIM(mode), expand=True, fill=fill)))
    with pytest.raises(ValueError, match="Please provide exactly four corners, got 3 startpoints"):
        F.perspective(a, start[:3], end)
    assert F.InterpolationMode.BILINEAR.value == TIM.BILINEAR.value == "bilinear"


def test_gaussian_blur_v1(cifar: np.ndarray, mnist: np.ndarray) -> None:
    x = chw(cifar, "float64")
    assert_close(F.gaussian_blur(mt.tensor(x), [5, 3], [1.1, 0.7]),
                 TF.gaussian_blur(torch.tensor(x), [5, 3], [1.1, 0.7]), np.float64, what="blur")
    assert_close(F.gaussian_blur(mt.tensor(x), 5), TF.gaussian_blur(torch.tensor(x), 5), np.float64, what="blur")
    u8 = chw(cifar, "uint8")
    diff = np.abs(F.gaussian_blur(mt.tensor(u8), 3, 0.8).numpy().astype(int)
                  - TF.gaussian_blur(torch.tensor(u8), 3, 0.8).numpy().astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01  # float32 sums in another order, then rounded
    for a in (cifar[0], mnist[0]):
        theirs = np.asarray(TF.gaussian_blur(Image.fromarray(a), 3, 0.8))
        ours = F.gaussian_blur(a, 3, 0.8)
        assert ours.shape == theirs.shape and np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1
    with pytest.raises(ValueError, match="kernel_size should have odd and positive integers"):
        F.gaussian_blur(mt.tensor(x), 4)
    with pytest.raises(TypeError, match="kernel_size should be int or a sequence of integers"):
        F.gaussian_blur(mt.tensor(x), 3.0)
