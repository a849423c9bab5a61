"""The v1 and v2 transform classes added to ``mt.vision.transforms`` against torchvision's, on real CIFAR-10 images
(../shared/data; skipped when absent). Random transforms: the random part forced (p=1 / p=0) or given
(``get_params`` / ``make_params`` results fed to both sides), and the draws checked statistically (our draws come
from ``mt.manual_seed``'s generator, not torch's, so seeded streams are not compared)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
import torchvision.transforms.v2 as TV
from PIL import Image

import minitorch_cnn as mt
from minitorch_cnn.vision import transforms as MT
from minitorch_cnn.vision.transforms import v2 as MV
from tests._parity import assert_close, assert_f32_close
from tests._transforms_surface import assert_same, chw, cifar_images


@pytest.fixture(scope="module")
def cifar() -> np.ndarray:
    """Four CIFAR-10 test images, (4, 32, 32, 3) uint8, read by our dataset class."""
    return cifar_images()


def _gated(mod: object, name: str, p: float) -> object:
    args = {"RandomPosterize": (3,), "RandomSolarize": (100,), "RandomAdjustSharpness": (1.7,)}.get(name, ())
    return getattr(mod, name)(*args, p=p)


GATED = ["RandomInvert", "RandomPosterize", "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast",
         "RandomEqualize", "RandomVerticalFlip"]


@pytest.mark.parametrize("name", GATED)
def test_gated_transforms_forced_and_reprs(cifar: np.ndarray, name: str) -> None:
    x = chw(cifar)
    for ours_mod, their_mod in ((MT, T), (MV, TV)):
        assert repr(_gated(ours_mod, name, 0.3)) == repr(_gated(their_mod, name, 0.3))
        assert_same(_gated(ours_mod, name, 1.0)(mt.tensor(x)), _gated(their_mod, name, 1.0)(torch.tensor(x)))
        assert_same(_gated(ours_mod, name, 0.0)(mt.tensor(x)), torch.tensor(x))
        pil = Image.fromarray(cifar[1])
        assert_same(_gated(ours_mod, name, 1.0)(pil), _gated(their_mod, name, 1.0)(pil))
    label = 7
    out, lab = _gated(MV, name, 1.0)(mt.tensor(x[0]), label)  # a v2 sample: the label passes through
    assert lab == label and out.shape == (3, 32, 32)


@pytest.mark.parametrize("name", ["RandomInvert", "RandomVerticalFlip", "RandomEqualize"])
def test_gated_transforms_draw_with_probability_p(cifar: np.ndarray, name: str) -> None:
    x = mt.tensor(chw(cifar)[:1])
    mt.manual_seed(0)
    t = _gated(MT, name, 0.3)
    hits = sum(not np.array_equal(t(x).numpy(), x.numpy()) for _ in range(400))
    assert 120 - 4 * 9.2 < hits < 120 + 4 * 9.2  # binomial(400, 0.3): mean 120, sd 9.2


def test_vertical_flip_batch_is_item_by_item(cifar: np.ndarray) -> None:
    t = MT.RandomVerticalFlip(0.5)
    for batch in (cifar, mt.tensor(chw(cifar))):
        mt.manual_seed(5)
        whole = t.batch(batch)
        mt.manual_seed(5)
        items = [t(img) for img in batch]
        np.testing.assert_array_equal(np.asarray(whole.numpy() if isinstance(whole, mt.Tensor) else whole),
                                      np.stack([i.numpy() if isinstance(i, mt.Tensor) else i for i in items]))


def test_grayscale(cifar: np.ndarray) -> None:
    x = chw(cifar)
    for n in (1, 3):
        assert repr(MT.Grayscale(n)) == repr(T.Grayscale(n)) == repr(MV.Grayscale(n))
        assert_same(MT.Grayscale(n)(mt.tensor(x)), T.Grayscale(n)(torch.tensor(x)))
        assert_same(MT.Grayscale(n)(cifar[0]), T.Grayscale(n)(Image.fromarray(cifar[0])))
        assert_same(MV.Grayscale(n)(mt.tensor(x)), TV.Grayscale(n)(torch.tensor(x)))
        assert_same(MV.Grayscale(n)(mt.tensor(x[:, :1])), TV.Grayscale(n)(torch.tensor(x[:, :1])))
        xd = x / 255.0
        assert_close(MV.Grayscale(n)(mt.tensor(xd)), TV.Grayscale(n)(torch.tensor(xd)), np.float64, what="v2 gray")
        xf = xd.astype(np.float32)
        assert_f32_close(MV.Grayscale(n)(mt.tensor(xf)), TV.Grayscale(n)(torch.tensor(xd)),
                         torch32=TV.Grayscale(n)(torch.tensor(xf)), what="v2 gray float32")
    assert MT.Compose([MT.Grayscale(3), MT.ToTensor()])(cifar[0]).shape == (3, 32, 32)


def test_five_and_ten_crop(cifar: np.ndarray) -> None:
    x = chw(cifar)
    for size in (20, (17, 25)):
        for ours, theirs in ((MT.FiveCrop(size), T.FiveCrop(size)), (MV.TenCrop(size, True), TV.TenCrop(size, True)),
                             (MT.TenCrop(size), T.TenCrop(size))):
            assert repr(ours) == repr(theirs)
            for o, t in zip(ours(mt.tensor(x)), theirs(torch.tensor(x)), strict=True):
                assert_same(o, t)
            for o, t in zip(ours(cifar[0]), theirs(Image.fromarray(cifar[0])), strict=True):
                assert_same(o, t)
    with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\) for size"):
        MT.FiveCrop((1, 2, 3))


def test_random_perspective_params_and_warp(cifar: np.ndarray) -> None:
    x = chw(cifar)
    assert repr(MT.RandomPerspective(0.4, 0.3)) == repr(T.RandomPerspective(0.4, 0.3))
    assert repr(MV.RandomPerspective(0.4, 0.3)) == repr(TV.RandomPerspective(0.4, 0.3))
    mt.manual_seed(1)
    seen = set()
    for _ in range(200):
        start, end = MT.RandomPerspective.get_params(32, 24, 0.5)
        assert start == [[0, 0], [31, 0], [31, 23], [0, 23]]
        (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = end
        assert 0 <= tlx <= 8 and 0 <= tly <= 6 and 23 <= trx <= 31 and 0 <= try_ <= 6
        assert 23 <= brx <= 31 and 17 <= bry <= 23 and 0 <= blx <= 8 and 17 <= bly <= 23
        seen.add((tlx, bry))
    assert len(seen) > 30  # the draws spread over the allowed range
    start, end = MT.RandomPerspective.get_params(32, 32, 0.5)
    ours = MT.RandomPerspective(0.5, p=1.0, interpolation=MT.InterpolationMode.NEAREST, fill=9)
    assert_same(ours.apply_one(mt.tensor(x), (start, end)),
          TF.perspective(torch.tensor(x), start, end, T.InterpolationMode.NEAREST, [9.0] * 3))
    assert_same(ours.apply_one(cifar[0], (start, end)),
          TF.perspective(Image.fromarray(cifar[0]), start, end, T.InterpolationMode.NEAREST, 9))
    assert ours(mt.tensor(x)).shape == x.shape
    first = cifar[0]
    assert MT.RandomPerspective(p=0.0)(first) is first
    v2_ours, v2_theirs = MV.RandomPerspective(0.5, 1.0, "nearest", 9), TV.RandomPerspective(0.5, 1.0, "nearest", 9)
    params = v2_ours.make_params([mt.tensor(x)])
    assert len(params["coefficients"]) == 8
    assert_same(v2_ours.transform(mt.tensor(x), params), v2_theirs.transform(torch.tensor(x), params))
    xd = x / 255.0
    bilinear = TV.RandomPerspective(0.5, 1.0, fill=0.5)
    assert_close(MV.RandomPerspective(0.5, 1.0, fill=0.5).transform(mt.tensor(xd), params),
                 bilinear.transform(torch.tensor(xd), params), np.float64, what="v2 perspective bilinear")
    with pytest.raises(ValueError, match="distortion_scale value should be between 0 and 1"):
        MV.RandomPerspective(1.5)
    for make in (MT.RandomPerspective, T.RandomPerspective):
        with pytest.raises(TypeError, match="Fill should be either a sequence or a number"):
            make(fill={"white": 255})


def test_linear_transformation_whitening(cifar: np.ndarray) -> None:
    x = (chw(cifar)[:, :, :4, :4] / 255.0).reshape(4, -1)
    rng = np.random.default_rng(0)
    m, mean = rng.standard_normal((48, 48)), x.mean(axis=0)
    ours_t = MT.LinearTransformation(mt.tensor(m), mt.tensor(mean))
    theirs_t = T.LinearTransformation(torch.tensor(m), torch.tensor(mean))
    assert repr(ours_t) == repr(theirs_t) and repr(MV.LinearTransformation(mt.tensor(m), mt.tensor(mean))) == \
        repr(TV.LinearTransformation(torch.tensor(m), torch.tensor(mean)))
    img = x.reshape(4, 3, 4, 4)
    g = rng.standard_normal(img.shape)
    ti, mi = torch.tensor(img, requires_grad=True), mt.tensor(img, requires_grad=True)
    theirs, ours = theirs_t(ti), ours_t(mi)
    assert_close(ours, theirs.detach(), np.float64, what="whitened")
    theirs.backward(torch.tensor(g))
    ours.backward(mt.tensor(g))
    assert_close(mi.grad, ti.grad, np.float64, what="whitening grad")
    out, label = MV.LinearTransformation(mt.tensor(m), mt.tensor(mean))(mt.tensor(img[0]), 3)
    assert_close(out, theirs_t(torch.tensor(img[0])), np.float64, what="v2 sample") and label == 3
    with pytest.raises(ValueError, match=r"transformation_matrix should be square. Got \(2, 3\) rectangular"):
        MT.LinearTransformation(mt.tensor(np.zeros((2, 3))), mt.tensor(np.zeros(2)))
    with pytest.raises(ValueError, match="Input tensor and transformation matrix have incompatible shape"):
        ours_t(mt.tensor(np.zeros((3, 5, 5))))
    with pytest.raises(TypeError, match=r"LinearTransformation\(\) does not support PIL images"):
        MV.LinearTransformation(mt.tensor(m), mt.tensor(mean))(Image.fromarray(cifar[0]))


def test_random_apply_choice_order(cifar: np.ndarray) -> None:
    x = mt.tensor(chw(cifar)[:1])
    inv, flip = [MT.RandomInvert(1.0)], [MT.RandomVerticalFlip(1.0)]
    assert repr(MT.RandomApply(inv, 0.3)) == repr(T.RandomApply([T.RandomInvert(1.0)], 0.3))
    assert repr(MT.RandomChoice(inv + flip)) == repr(T.RandomChoice([T.RandomInvert(1.0), T.RandomVerticalFlip(1.0)]))
    assert repr(MT.RandomOrder(inv)) == repr(T.RandomOrder([T.RandomInvert(1.0)]))
    assert_same(MT.RandomApply(inv + flip, p=1.0)(x), T.RandomApply([T.RandomInvert(1.0), T.RandomVerticalFlip(1.0)],
                                                              p=1.0)(torch.tensor(x.numpy())))
    assert MT.RandomApply(inv, p=0.0)(x) is x
    mt.manual_seed(2)
    applied = sum(MT.RandomApply(inv, 0.25)(x) is not x for _ in range(400))
    assert 100 - 4 * 8.7 < applied < 100 + 4 * 8.7  # binomial(400, 0.25)
    inverted = MT.RandomInvert(1.0)(x).numpy()
    picks = [np.array_equal(MT.RandomChoice(inv + flip, p=[3, 1])(x).numpy(), inverted) for _ in range(400)]
    assert 300 - 4 * 8.7 < sum(picks) < 300 + 4 * 8.7  # weights 3:1
    double = [MT.Lambda(lambda t: t * 2), MT.Lambda(lambda t: t + 1)]
    orders = {float(MT.RandomOrder(double)(mt.tensor(1.0)).item()) for _ in range(50)}
    assert orders == {3.0, 4.0}  # (1 * 2) + 1 and (1 + 1) * 2: both orders occur
    with pytest.raises(TypeError, match="Argument transforms should be a sequence"):
        MT.RandomChoice(MT.RandomInvert())
    with pytest.raises(TypeError, match="Argument p should be a sequence"):
        MT.RandomChoice(inv, p=0.5)


def test_resize_classes_interpolation_mode_reprs_and_v2_uint8(cifar: np.ndarray) -> None:
    """v2's Resize and RandomResizedCrop on uint8 tensors: torch's native uint8 kernel, bit for bit."""
    x = chw(cifar)
    for size, aa in ((20, True), ([17, 40], False), ((48, 30), True)):
        ours, theirs = MV.Resize(size, antialias=aa), TV.Resize(size, antialias=aa)
        assert repr(ours) == repr(theirs)
        assert_same(ours(mt.tensor(x)), theirs(torch.tensor(x)))
    assert repr(MV.Resize(20, max_size=30)) == repr(TV.Resize(20, max_size=30))
    box = (2, 3, 20, 25)
    assert_same(MV.RandomResizedCrop(16).apply_one(mt.tensor(x), box), TV.RandomResizedCrop(16).transform(
        torch.tensor(x), {"top": 2, "left": 3, "height": 20, "width": 25}))
    ours = MT.Resize(20, interpolation=MT.InterpolationMode.BILINEAR)
    assert repr(ours) == repr(T.Resize(20, interpolation=T.InterpolationMode.BILINEAR))
    assert_same(ours(cifar[0]), T.Resize(20)(Image.fromarray(cifar[0])))
