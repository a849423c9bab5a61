"""v2-only transform classes (``RGB``, ``RandomChannelPermutation``, ``GaussianNoise``, ``RandomPhotometricDistort``,
``RandomResize``, ``RandomShortestSize``, ``ScaleJitter``, ``RandomZoomOut``, ``Identity``, ``ToTensor``,
``Transform``) against torchvision's on real CIFAR-10 images (../shared/data; skipped when absent): reprs, the
``transform`` given the same ``make_params`` result (bit for bit for uint8, 1e-10 for float64), and the draws by
their laws (our generator is not torch's)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms.v2 as TV
from PIL import Image

import minitorch_cnn as mt
from minitorch_cnn.vision.transforms import v2 as MV
from tests._parity import assert_close
from tests._transforms_surface import chw, cifar_images


@pytest.fixture(scope="module")
def cifar() -> np.ndarray:
    """Four CIFAR-10 test images as (4, 3, 32, 32) uint8, read by our dataset class."""
    return chw(cifar_images())


def _same(ours: object, theirs: torch.Tensor) -> None:
    o = ours.numpy() if isinstance(ours, mt.Tensor) else np.asarray(ours)
    assert o.dtype == theirs.numpy().dtype and o.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(o, theirs.numpy())


def test_reprs() -> None:
    pairs = [("RGB", ()), ("RandomChannelPermutation", ()), ("GaussianNoise", (0.1, 0.2, False)),
             ("RandomPhotometricDistort", ()), ("RandomResize", (10, 20)), ("RandomShortestSize", ([10, 12], 30)),
             ("ScaleJitter", ((20, 30),)), ("RandomZoomOut", (5, (1.0, 2.0), 0.3)), ("Identity", ())]
    for name, args in pairs:
        assert repr(getattr(MV, name)(*args)) == repr(getattr(TV, name)(*args))


def test_rgb_identity_and_to_tensor(cifar: np.ndarray) -> None:
    gray = cifar[:, :1]
    _same(MV.RGB()(mt.tensor(gray)), TV.RGB()(torch.tensor(gray)))
    _same(MV.RGB()(mt.tensor(cifar)), TV.RGB()(torch.tensor(cifar)))
    x = mt.tensor(cifar)
    assert MV.Identity()(x) is x and MV.Identity()(x, 3) == (x, 3)
    with pytest.warns(UserWarning, match=r"The transform `ToTensor\(\)` is deprecated"):
        ours = MV.ToTensor()
    with pytest.warns(UserWarning, match=r"The transform `ToTensor\(\)` is deprecated"):
        theirs = TV.ToTensor()
    hwc = cifar[0].transpose(1, 2, 0)
    _same(ours(hwc), theirs(hwc))


def test_channel_permutation_and_photometric_distort(cifar: np.ndarray) -> None:
    mt.manual_seed(0)
    perms = {tuple(MV.RandomChannelPermutation().make_params([mt.tensor(cifar)])["permutation"]) for _ in range(60)}
    assert len(perms) == 6  # every order of three channels occurs
    for perm in ([2, 0, 1], [1, 0, 2]):
        _same(MV.RandomChannelPermutation().transform(mt.tensor(cifar), {"permutation": perm}),
              TV.RandomChannelPermutation().transform(torch.tensor(cifar), {"permutation": torch.tensor(perm)}))
    ours_t, theirs_t = MV.RandomPhotometricDistort(p=0.7), TV.RandomPhotometricDistort(p=0.7)
    params = {"brightness_factor": 1.1, "contrast_factor": 0.7, "saturation_factor": 1.3, "hue_factor": 0.04,
              "contrast_before": False, "channel_permutation": [2, 1, 0]}
    for before in (False, True):
        params["contrast_before"] = before
        tparams = {**params, "channel_permutation": torch.tensor(params["channel_permutation"])}
        _same(ours_t.transform(mt.tensor(cifar), params), theirs_t.transform(torch.tensor(cifar), tparams))
        xd = cifar / 255.0
        assert_close(ours_t.transform(mt.tensor(xd), params), theirs_t.transform(torch.tensor(xd), tparams),
                     np.float64, what="photometric distort")
    mt.manual_seed(1)
    drawn = [ours_t.make_params([mt.tensor(cifar)]) for _ in range(400)]
    for key, (lo, hi) in (("brightness_factor", (0.875, 1.125)), ("hue_factor", (-0.05, 0.05))):
        values = [d[key] for d in drawn if d[key] is not None]
        assert 280 - 4 * 9.2 < len(values) < 280 + 4 * 9.2 and lo <= min(values) and max(values) <= hi
    assert 200 - 4 * 10 < sum(d["contrast_before"] for d in drawn) < 200 + 4 * 10


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_gaussian_noise_is_the_seeded_normal_draw(cifar: np.ndarray, dtype: str) -> None:
    x = cifar if dtype == "uint8" else (cifar / 255.0).astype(np.float32)
    for mean, sigma, clip in ((0.0, 0.1, True), (0.05, 0.3, False)):
        mt.manual_seed(4)
        ours = MV.GaussianNoise(mean, sigma, clip)(mt.tensor(x))
        mt.manual_seed(4)
        n = torch.tensor(mt.randn(*x.shape, dtype=mt.float32).numpy())
        t = torch.tensor(x)
        if dtype == "uint8":
            expected = t + ((mean * 255) + n * (sigma * 255)).to(torch.int16)
            expected = (torch.clamp(expected, 0, 255) if clip else expected).to(torch.uint8)
        else:
            expected = t + (mean + n * sigma)
            expected = torch.clamp(expected, 0, 1) if clip else expected
        _same(ours, expected)
    with pytest.raises(ValueError, match="sigma shouldn't be negative"):
        MV.functional.gaussian_noise(mt.tensor(x), sigma=-1.0)
    with pytest.raises(ValueError, match="Input tensor is expected to be in uint8 or float dtype"):
        MV.functional.gaussian_noise(mt.tensor(cifar.astype(np.int32)))


def test_resizing_transforms_given_and_drawn_sizes(cifar: np.ndarray) -> None:
    x = cifar[:, :, :, :28]  # (32, 28): not square
    for name, args in (("RandomResize", (10, 20)), ("RandomShortestSize", ([10, 12], 30)),
                       ("ScaleJitter", ((20, 30),))):
        ours_t, theirs_t = getattr(MV, name)(*args), getattr(TV, name)(*args)
        for size in ([15], (20, 17), (41, 9)):
            _same(ours_t.transform(mt.tensor(x), {"size": size}), theirs_t.transform(torch.tensor(x), {"size": size}))
    mt.manual_seed(2)
    sizes = {MV.RandomResize(10, 20).make_params([mt.tensor(x)])["size"][0] for _ in range(200)}
    assert sizes == set(range(10, 20))
    shortest = {MV.RandomShortestSize([10, 12], 13).make_params([mt.tensor(x)])["size"] for _ in range(50)}
    ratios = [min(m / 28, 13 / 32) for m in (10, 12)]  # torchvision's rule: the smaller edge to m, capped by max_size
    assert shortest == {(int(32 * r), int(28 * r)) for r in ratios} and len(shortest) == 2
    for _ in range(50):
        h, w = MV.ScaleJitter((20, 30), (0.5, 1.5)).make_params([mt.tensor(x)])["size"]
        assert 0.5 * 20 / 28 * 32 - 1 <= h <= 1.5 * 20 / 28 * 32 and abs(w / h - 28 / 32) < 0.1
    out, label = MV.RandomResize(10, 11)(mt.tensor(x[0]), 9)
    assert out.shape == (3, 11, 10) and label == 9


def test_random_zoom_out(cifar: np.ndarray) -> None:
    ours_t, theirs_t = MV.RandomZoomOut(fill=7, p=1.0), TV.RandomZoomOut(fill=7, p=1.0)
    params = {"padding": [3, 5, 11, 2]}
    _same(ours_t.transform(mt.tensor(cifar), params), theirs_t.transform(torch.tensor(cifar), params))
    mt.manual_seed(3)
    for _ in range(50):
        left, top, right, bottom = MV.RandomZoomOut(side_range=(1.5, 2.0)).make_params([mt.tensor(cifar)])["padding"]
        assert min(left, top, right, bottom) >= 0 and 16 <= left + right <= 32 and 16 <= top + bottom <= 32
    assert ours_t(mt.tensor(cifar)).shape[-1] >= 32
    x = mt.tensor(cifar)
    assert MV.RandomZoomOut(p=0.0)(x) is x
    with pytest.raises(ValueError, match=r"Invalid side range provided \(0.5, 2.0\)"):
        MV.RandomZoomOut(side_range=(0.5, 2.0))


def test_user_transform_subclass(cifar: np.ndarray) -> None:
    class AddOne(MV.Transform):
        def make_params(self, flat_inputs: list) -> dict:
            return {"shape": tuple(flat_inputs[0].shape)}

        def transform(self, inpt: mt.Tensor, params: dict) -> mt.Tensor:
            assert params["shape"] == tuple(inpt.shape)
            return inpt + 1

    out, label = MV.Compose([AddOne(), MV.ToDtype(mt.float32)])(mt.tensor(cifar[0].astype(np.int64)), 2)
    assert label == 2 and np.array_equal(out.numpy(), cifar[0] + 1.0)
    with pytest.raises(NotImplementedError, match="must define transform"):
        MV.Transform()(mt.tensor(cifar[0]))


def test_query_chw_and_size(cifar: np.ndarray) -> None:
    x = cifar[0, :, :, :20]
    sample = [mt.tensor(x), 3, "label"]
    assert MV.query_chw(sample) == TV.query_chw([torch.tensor(x), 3, "label"]) == (3, 32, 20)
    assert MV.query_size(sample) == TV.query_size([torch.tensor(x), 3, "label"]) == (32, 20)
    pil = Image.fromarray(x.transpose(1, 2, 0))
    assert MV.query_chw([pil]) == TV.query_chw([pil]) and MV.query_size([x.transpose(1, 2, 0)]) == (32, 20)
    two = [mt.tensor(x), mt.tensor(x[:1, :6, :7])]
    for fn, what in ((MV.query_chw, "CxHxW"), (MV.query_size, "HxW")):
        with pytest.raises(ValueError, match=f"Found multiple {what} dimensions in the sample"):
            fn(two)
    with pytest.raises(TypeError, match="No image or video was found in the sample"):
        MV.query_chw([1, "a"])


@pytest.mark.parametrize("num_samples", [1, 3, 8, 13, 50])
def test_uniform_temporal_subsample(cifar: np.ndarray, num_samples: int) -> None:
    video = np.stack([np.roll(cifar, k, axis=-1) for k in range(8)], axis=1)  # (4, 8, 3, 32, 32): 8 frames
    theirs = TV.functional.uniform_temporal_subsample(torch.tensor(video), num_samples)
    _same(MV.functional.uniform_temporal_subsample(mt.tensor(video), num_samples), theirs)
    _same(MV.UniformTemporalSubsample(num_samples)(mt.tensor(video)), TV.UniformTemporalSubsample(num_samples)(
        torch.tensor(video)))
    assert MV.functional.get_num_frames(mt.tensor(video)) == TV.functional.get_num_frames(torch.tensor(video)) == 8
    assert repr(MV.UniformTemporalSubsample(num_samples)) == repr(TV.UniformTemporalSubsample(num_samples))


def test_sample_helpers() -> None:
    x = mt.tensor(np.zeros((3, 4, 5), dtype=np.uint8))
    flat, tflat = [x, 3, "a"], [torch.zeros(3, 4, 5), 3, "a"]
    for types in ((int,), (str, float), (float,), (lambda v: isinstance(v, int) and v == 3,), (int, float)):
        assert MV.has_any(flat, *types) == TV.has_any(tflat, *types)
        assert MV.has_all(flat, *types) == TV.has_all(tflat, *types)
        assert MV.check_type(3, types) == TV.check_type(3, types)
    assert MV.has_all(flat, MV.functional.is_pure_tensor, str) and not MV.functional.is_pure_tensor(3)
