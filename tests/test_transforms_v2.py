"""mt.vision.transforms.v2 against torchvision.transforms.v2: conversions bit for bit, the deterministic kernels in
float64 (1e-10) and uint8 (exact), the random transforms given the same parameters (``make_params``/``transform``,
torchvision's public names), and what v2's calls return for samples with labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.transforms import v2 as tv2
from torchvision.transforms.v2 import functional as TF

import minitorch_cnn as mt
from minitorch_cnn.vision.transforms import v2
from tests._parity import assert_close, assert_f32_close

F64 = np.float64


def _uint8(shape: tuple, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _same(ours: mt.Tensor, theirs: torch.Tensor) -> None:
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_image_and_dtype_conversions_bit_for_bit() -> None:
    hwc = _uint8((5, 6, 3))
    ours, theirs = v2.ToImage()(hwc), tv2.ToImage()(hwc)
    _same(ours, theirs.as_subclass(torch.Tensor))
    _same(v2.ToImage()(hwc[:, :, 0]), tv2.ToImage()(hwc[:, :, 0]).as_subclass(torch.Tensor))
    x8 = mt.from_numpy(ours.numpy().copy())
    t8 = torch.from_numpy(ours.numpy().copy())
    cases = [(v2.ToDtype(mt.float32, scale=True), tv2.ToDtype(torch.float32, scale=True), x8, t8),
             (v2.ToDtype(mt.float64, scale=True), tv2.ToDtype(torch.float64, scale=True), x8, t8),
             (v2.ToDtype(mt.float32), tv2.ToDtype(torch.float32), x8, t8),
             (v2.ConvertImageDtype(mt.float32), tv2.ConvertImageDtype(torch.float32), x8, t8),
             (mt.vision.transforms.ConvertImageDtype(mt.float32), __import__("torchvision").transforms.
              ConvertImageDtype(torch.float32), x8, t8),
             (v2.ToDtype(mt.int32, scale=True), tv2.ToDtype(torch.int32, scale=True), x8, t8)]
    f = np.random.default_rng(1).random((3, 4, 4)).astype(np.float32)
    cases.append((v2.ToDtype(mt.uint8, scale=True), tv2.ToDtype(torch.uint8, scale=True), mt.tensor(f),
                  torch.tensor(f)))
    for ours_t, theirs_t, xo, xt in cases:
        _same(ours_t(xo), theirs_t(xt))
    # v1 divides by 255 and v2 multiplies by 1/255: both kept, so the two differ somewhere, as torchvision's do
    assert not np.array_equal(cases[3][0](x8).numpy(), cases[4][0](x8).numpy())
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        v2.ToDtype(mt.int64, scale=True)(mt.tensor(f))


def test_deterministic_pipeline_float64() -> None:
    """ToImage -> ToDtype(float64, scale) -> Resize -> CenterCrop -> Normalize, as torchvision's, in float64."""
    hwc = _uint8((20, 24, 3), seed=2)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    ours = v2.Compose([v2.ToImage(), v2.ToDtype(mt.float64, scale=True), v2.Resize(12), v2.CenterCrop(10),
                       v2.Normalize(mean, std)])(hwc)
    theirs = tv2.Compose([tv2.ToImage(), tv2.ToDtype(torch.float64, scale=True), tv2.Resize(12), tv2.CenterCrop(10),
                          tv2.Normalize(mean, std)])(hwc)
    assert_close(ours, theirs, F64, what="pipeline")


def test_random_resized_crop_and_flip_given_the_window() -> None:
    x = np.random.default_rng(3).random((3, 20, 24))
    box = (2, 3, 14, 17)
    ours = v2.RandomResizedCrop(size=(8, 8), antialias=True).apply_one(mt.tensor(x), box)
    theirs = TF.resized_crop(torch.tensor(x), *box, size=[8, 8], antialias=True)
    assert_close(ours, theirs, F64, what="resized crop")
    assert_close(v2.RandomHorizontalFlip(p=1.0)(mt.tensor(x)), torch.tensor(x).flip(-1), F64, what="flip")


def test_samples_with_labels_pass_through() -> None:
    hwc = _uint8((6, 6, 3))
    tf = v2.Compose([v2.ToImage(), v2.ToDtype(mt.float32, scale=True), v2.RandomHorizontalFlip(p=1.0)])
    ttf = tv2.Compose([tv2.ToImage(), tv2.ToDtype(torch.float32, scale=True), tv2.RandomHorizontalFlip(p=1.0)])
    (img, label), (timg, tlabel) = tf(hwc, 7), ttf(hwc, 7)
    _same(img, timg.as_subclass(torch.Tensor))
    assert label == tlabel == 7
    out, tout = tf({"image": hwc, "label": 3, "name": "a"}), ttf({"image": hwc, "label": 3, "name": "a"})
    _same(out["image"], tout["image"].as_subclass(torch.Tensor))
    assert (out["label"], out["name"]) == (tout["label"], tout["name"])
    assert tf(hwc).shape == (3, 6, 6)


@pytest.mark.parametrize("kind", ["MixUp", "CutMix"])
def test_mixup_cutmix_given_params(kind: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.random((4, 3, 10, 12)).astype(np.float32)
    y = np.array([0, 3, 1, 9])
    ours_t, theirs_t = getattr(v2, kind)(num_classes=10), getattr(tv2, kind)(num_classes=10)
    assert repr(ours_t) == repr(theirs_t)
    params = {"lam": 0.37} if kind == "MixUp" else {"box": (2, 1, 9, 7), "lam_adjusted": 1 - 42 / 120}
    mx, my, tx, ty = mt.tensor(x), mt.tensor(y), torch.tensor(x), torch.tensor(y)
    ours_p, theirs_p = {"labels": my, "batch_size": 4, **params}, {"labels": ty, "batch_size": 4, **params}
    _same(ours_t.transform(mx, ours_p), theirs_t.transform(tx, theirs_p))
    _same(ours_t.transform(my, ours_p), theirs_t.transform(ty, theirs_p))


def test_mixup_cutmix_calls_mix_consistently() -> None:
    """Through ``__call__`` (our own draw): labels are one-hot mixes summing to 1, and the images are the mix
    those labels say."""
    mt.manual_seed(0)
    x = np.random.default_rng(5).random((4, 3, 8, 8)).astype(np.float32)
    y = mt.tensor([0, 1, 2, 3])
    images, labels = v2.MixUp(num_classes=4)(mt.tensor(x), y)
    lam = float(labels[0, 0])
    np.testing.assert_allclose(labels.numpy().sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(images.numpy(), lam * x + (1 - lam) * np.roll(x, 1, 0), rtol=1e-5, atol=1e-6)
    images, labels = v2.CutMix(num_classes=4)(mt.tensor(x), y)
    kept = (images.numpy() == x).all(axis=1)[0]
    assert abs(float(labels[0, 0]) - kept.mean()) < 1e-6
    for call, match in ((lambda: v2.MixUp()(mt.tensor(x), y), "num_classes must be passed"),
                        (lambda: v2.MixUp(num_classes=4)(mt.tensor(x[0]), y), "Expected a batched input with 4"),
                        (lambda: v2.CutMix(num_classes=4)(mt.tensor(x), [0, 1, 2, 3]), "labels must be a torch")):
        with pytest.raises(ValueError, match=match):
            call()
    with pytest.raises(RuntimeError, match="can't be cast"):
        v2.MixUp(num_classes=4)(mt.tensor((x * 255).astype(np.uint8)), y)
    choice = v2.RandomChoice([lambda *a: "a", lambda *a: "b"])
    assert {choice(1) for _ in range(30)} == {"a", "b"}
    assert {v2.RandomChoice([lambda *a: "a", lambda *a: "b"], p=[1, 0])(1) for _ in range(10)} == {"a"}
    with pytest.raises(ValueError, match="Length of p doesn't match the number of transforms: 1 != 2"):
        v2.RandomChoice([v2.CutMix(num_classes=4), v2.MixUp(num_classes=4)], p=[1])


def test_random_erasing_given_params_and_call() -> None:
    x = np.random.default_rng(6).random((3, 10, 12)).astype(np.float32)
    params = {"i": 2, "j": 3, "h": 4, "w": 5, "v": None}
    ours_t, theirs_t = v2.RandomErasing(p=1.0, value=0.5), tv2.RandomErasing(p=1.0, value=0.5)
    params["v"] = mt.tensor(np.array([0.5], np.float32)[:, None, None])
    tparams = {**params, "v": torch.tensor([0.5])[:, None, None]}
    _same(ours_t.transform(mt.tensor(x), params), theirs_t.transform(torch.tensor(x), tparams))
    mt.manual_seed(1)
    out = ours_t(mt.tensor(x)).numpy()
    changed = out != x
    assert changed.any() and np.all(out[changed] == 0.5)
    np.testing.assert_array_equal(v2.RandomErasing(p=0.0)(mt.tensor(x)).numpy(), x)
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        v2.RandomErasing(value="noise")


@pytest.mark.parametrize("kernel_size", [3, (5, 3)])
def test_gaussian_blur_as_torchvision(kernel_size: object) -> None:
    x = np.random.default_rng(7).random((2, 3, 9, 11))
    ours = v2.gaussian_blur(mt.tensor(x), kernel_size, [0.8, 1.3])
    theirs = TF.gaussian_blur(torch.tensor(x), list(np.broadcast_to(kernel_size, 2)), [0.8, 1.3])
    assert_close(ours, theirs, F64, what="gaussian blur float64")
    x8 = _uint8((3, 9, 11), seed=8)
    ours8 = v2.gaussian_blur(mt.tensor(x8), kernel_size, [0.8, 0.8])
    theirs8 = TF.gaussian_blur(torch.tensor(x8), list(np.broadcast_to(kernel_size, 2)), [0.8, 0.8])
    assert np.abs(ours8.numpy().astype(int) - theirs8.numpy().astype(int)).max() <= 1  # float32 sums, then round
    t = v2.GaussianBlur(kernel_size=(5, 5), sigma=(0.1, 5.0))
    assert repr(t) == repr(tv2.GaussianBlur(kernel_size=(5, 5), sigma=(0.1, 5.0)))
    assert 0.1 <= t.make_params([mt.tensor(x)])["sigma"][0] <= 5.0
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive number"):
        v2.GaussianBlur(4)


@pytest.mark.parametrize("name", ["brightness", "contrast", "saturation", "hue"])
def test_color_adjustments_as_torchvision(name: str) -> None:
    factor = {"brightness": 1.3, "contrast": 0.6, "saturation": 1.7, "hue": 0.21}[name]
    x = np.random.default_rng(9).random((2, 3, 6, 7))
    ours = getattr(v2, f"adjust_{name}")(mt.tensor(x), factor)
    theirs = getattr(TF, f"adjust_{name}")(torch.tensor(x), factor)
    if name == "hue":  # torchvision converts to float32 for the HSV round trip: float32's rounding, in both
        assert_f32_close(ours, theirs, torch32=theirs, what="hue")
    else:
        assert_close(ours, theirs, F64, what=name)
    x8 = _uint8((3, 6, 7), seed=10)
    ours8 = getattr(v2, f"adjust_{name}")(mt.tensor(x8), factor)
    theirs8 = getattr(TF, f"adjust_{name}")(torch.tensor(x8), factor)
    assert ours8.dtype == mt.uint8
    np.testing.assert_array_equal(ours8.numpy(), theirs8.numpy())  # float32 blends as torch's, truncated


def test_color_jitter_given_params_and_errors() -> None:
    x = np.random.default_rng(11).random((3, 6, 7))
    ours_t = v2.ColorJitter(brightness=0.5, contrast=0.3, saturation=0.2, hue=0.1)
    theirs_t = tv2.ColorJitter(brightness=0.5, contrast=0.3, saturation=0.2, hue=0.1)
    assert (ours_t.brightness, ours_t.hue) == (tuple(theirs_t.brightness), tuple(theirs_t.hue))
    params = {"fn_idx": [2, 0, 1], "brightness_factor": 1.2, "contrast_factor": 0.8, "saturation_factor": 1.1,
              "hue_factor": None}
    tparams = {**params, "fn_idx": torch.tensor(params["fn_idx"])}
    assert_close(ours_t.transform(mt.tensor(x), params), theirs_t.transform(torch.tensor(x), tparams), F64,
                 what="jitter")
    mt.manual_seed(2)
    assert ours_t(mt.tensor(x)).shape == (3, 6, 7)
    with pytest.raises(ValueError, match="hue values should be between"):
        v2.ColorJitter(hue=0.7)
    with pytest.raises(TypeError, match="permitted channel values are 1 or 3"):
        v2.adjust_brightness(mt.tensor(np.ones((2, 3, 3))), 1.0)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill", [None, 0, [0.1, 0.2, 0.3]])
def test_rotate_and_affine_as_torchvision(mode: str, fill: object) -> None:
    from torchvision.transforms import InterpolationMode

    x = np.random.default_rng(12).random((2, 3, 9, 11))
    interp = InterpolationMode(mode)
    ours = mt.vision.transforms.RandomRotation(30, interpolation=mode, fill=fill).apply_one(mt.tensor(x), 33.0)
    assert_close(ours, TF.rotate(torch.tensor(x), 33.0, interpolation=interp, fill=fill), F64, what="rotate")
    params = {"angle": 21.0, "translate": (2, -1), "scale": 1.2, "shear": (10.0, 5.0)}
    ours_t = v2.RandomAffine(30, interpolation=mode, fill=fill)
    theirs_t = tv2.RandomAffine(30, interpolation=interp, fill=fill)
    assert_close(ours_t.transform(mt.tensor(x), params), theirs_t.transform(torch.tensor(x), params), F64,
                 what="affine")
    x8 = _uint8((3, 9, 11), seed=13)
    _same(v2.rotate(mt.tensor(x8), 33.0, mode, fill=fill), TF.rotate(torch.tensor(x8), 33.0, interp, fill=fill))


def test_rotate_expand_quarter_turns_and_draws() -> None:
    x = np.random.default_rng(14).random((3, 9, 11))
    ours = v2.rotate(mt.tensor(x), 33.0, "bilinear", expand=True)
    theirs = TF.rotate(torch.tensor(x), 33.0, interpolation=TF.InterpolationMode.BILINEAR, expand=True)
    assert ours.shape == theirs.shape
    assert_close(ours, theirs, F64, what="expand")
    for angle in (90.0, 180.0, -90.0, 360.0):
        _same(v2.rotate(mt.tensor(x), angle, expand=True), TF.rotate(torch.tensor(x), angle, expand=True))
    mt.manual_seed(0)
    t = v2.RandomAffine(degrees=10, translate=(0.1, 0.2), scale=(0.9, 1.1), shear=(-5, 5, -3, 3))
    p = t.make_params([mt.tensor(x)])
    assert -10 <= p["angle"] <= 10 and abs(p["translate"][0]) <= 1 and abs(p["translate"][1]) <= 2  # rounded
    assert 0.9 <= p["scale"] <= 1.1 and -5 <= p["shear"][0] <= 5 and -3 <= p["shear"][1] <= 3
    assert p["angle"] == float(np.float32(p["angle"]))  # drawn as torchvision's float32 uniforms
    img, label = v2.RandomRotation(15)(mt.tensor(x), 4)
    assert img.shape == (3, 9, 11) and label == 4
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        v2.RandomRotation(-3)
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        v2.RandomAffine(0, translate=(0.5, 1.5))


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_warping_the_pil_stand_in_is_torchvision_on_the_pil_image(mode: str) -> None:
    """An (H, W, C) uint8 array (what the datasets give for a PIL image) is warped as torchvision warps the PIL
    image of the same pixels (by Pillow): the same pixels, fill and expand included."""
    from PIL import Image
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as TF1

    a = _uint8((32, 30, 3), seed=15)
    interp = InterpolationMode(mode)
    for angle, expand, fill in ((10.0, False, 0), (33.0, True, [10, 20, 30]), (-17.5, False, None)):
        ours = mt.vision.transforms.RandomRotation(40, interpolation=mode, expand=expand, fill=fill).apply_one(a, angle)
        theirs = TF1.rotate(Image.fromarray(a), angle, interpolation=interp, expand=expand, fill=fill)
        np.testing.assert_array_equal(ours, np.asarray(theirs))
    params = {"angle": 45.0, "translate": (1, 1), "scale": 1.0, "shear": (0.0, 20.0)}
    ours = mt.vision.transforms.RandomAffine(0, interpolation=mode, fill=7).apply_one(a, params)
    theirs = TF1.affine(Image.fromarray(a), 45.0, [1, 1], 1.0, [0.0, 20.0], interpolation=interp, fill=7)
    np.testing.assert_array_equal(ours, np.asarray(theirs))


def test_reprs_as_torchvision() -> None:
    pairs = [(v2.Compose([v2.ToImage(), v2.ToDtype(mt.float32, scale=True), v2.Normalize([0.5], [0.5])]),
              tv2.Compose([tv2.ToImage(), tv2.ToDtype(torch.float32, scale=True), tv2.Normalize([0.5], [0.5])])),
             (v2.RandomAffine(10), tv2.RandomAffine(10)), (v2.RandomResizedCrop(64), tv2.RandomResizedCrop(64)),
             (v2.RandomRotation(10), tv2.RandomRotation(10)),
             (v2.RandomErasing(), tv2.RandomErasing()),
             (v2.ColorJitter(brightness=0.5), tv2.ColorJitter(brightness=0.5)),
             (v2.RandomChoice([v2.ToImage()]), tv2.RandomChoice([tv2.ToImage()]))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(("name", "factor"), [("brightness", 1.3), ("contrast", 0.6), ("saturation", 1.7),
                                              ("hue", 0.21), ("hue", -0.3)])
def test_color_on_the_pil_stand_in_is_torchvision_on_the_pil_image(name: str, factor: float) -> None:
    from PIL import Image
    from torchvision.transforms import functional as TF1

    a = _uint8((8, 9, 3), seed=16)
    ours = getattr(v2, f"adjust_{name}")(a, factor)
    np.testing.assert_array_equal(ours, np.asarray(getattr(TF1, f"adjust_{name}")(Image.fromarray(a), factor)))


def test_v1_color_jitter_in_a_v1_pipeline() -> None:
    """v1's ColorJitter before ToTensor on the datasets' images (PIL there, arrays here), its draw given."""
    import torchvision.transforms as T
    from PIL import Image

    a = _uint8((8, 9, 3), seed=17)
    ours_t, theirs_t = mt.vision.transforms.ColorJitter(0.4, 0.4, 0.4, 0.1), T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    assert repr(ours_t) == repr(theirs_t)
    params = {"fn_idx": [3, 1, 0, 2], "brightness_factor": 1.1, "contrast_factor": 0.7, "saturation_factor": 1.3,
              "hue_factor": 0.05}
    img = Image.fromarray(a)
    for k in params["fn_idx"]:
        name = ("brightness", "contrast", "saturation", "hue")[k]
        img = getattr(__import__("torchvision").transforms.functional, f"adjust_{name}")(img, params[f"{name}_factor"])
    np.testing.assert_array_equal(ours_t.transform(a, params), np.asarray(img))
    mt.manual_seed(3)
    assert mt.vision.transforms.Compose([ours_t, mt.vision.transforms.ToTensor()])(a).shape == (3, 8, 9)


def test_v1_gaussian_blur_and_random_erasing() -> None:
    import torchvision.transforms as T
    from torchvision.transforms import functional as TF1

    x = np.random.default_rng(18).random((3, 9, 11))
    ours = mt.vision.transforms.GaussianBlur(5).transform(mt.tensor(x), {"sigma": [0.9, 0.9]})
    assert_close(ours, TF1.gaussian_blur(torch.tensor(x), [5, 5], [0.9, 0.9]), F64, what="v1 blur")
    assert repr(mt.vision.transforms.GaussianBlur(5, sigma=1.0)) == repr(T.GaussianBlur(5, sigma=1.0))
    for value in (0, "random"):
        assert repr(mt.vision.transforms.RandomErasing(value=value)) == repr(T.RandomErasing(value=value))
    mt.manual_seed(4)
    out = mt.vision.transforms.RandomErasing(p=1.0, value=0)(mt.tensor(x)).numpy()
    assert (out == 0).any() and np.array_equal(out[out != 0], x[out != 0])
