"""``AugMix`` (v1 and v2) against torchvision on real CIFAR-10 images (../shared/data; skipped when absent): given
our draws (the Dirichlet weights and the chains of operations with their magnitudes), the mixture is what
torchvision's own operations (v1 ``_apply_op``, v2 ``_apply_image_or_video_transform``) and mixing arithmetic give:
uint8 bit for bit with nearest warps (bilinear warps round a pixel the other way at most once in a thousand), float
images to float32's rounding. The draws are checked against the augmentation space and the Dirichlet laws."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.v2 as TV
from PIL import Image
from torchvision.transforms import InterpolationMode as TIM
from torchvision.transforms.autoaugment import _apply_op

import minitorch_cnn as mt
from minitorch_cnn.vision import transforms as MT
from minitorch_cnn.vision.transforms import v2 as MV
from tests._parity import assert_f32_close
from tests._transforms_surface import chw, cifar_images


@pytest.fixture(scope="module")
def cifar() -> np.ndarray:
    """Four CIFAR-10 test images as (4, 3, 32, 32) uint8, read by our dataset class."""
    return chw(cifar_images())


def _theirs(x: torch.Tensor, params: dict, apply: object, fill: object) -> torch.Tensor:
    """torchvision's mixing of ``x`` given our draws, its operations applied by ``apply``."""
    shape = list(x.shape)
    batch = x.view([1] * max(4 - x.ndim, 0) + shape)
    dims = [batch.size(0)] + [1] * (batch.ndim - 1)
    m, w = torch.tensor(params["m"]), torch.tensor(params["weights"])
    mix = m[:, 0].view(dims) * batch
    for i, chain in enumerate(params["chains"]):
        aug = batch
        for op, magnitude in chain:
            aug = apply(aug, op, magnitude, fill)
        mix.add_(w[:, i].view(dims) * aug)
    return mix.view(shape).to(x.dtype)


def _v1_apply(mode: str) -> object:
    return lambda img, op, magnitude, fill: _apply_op(img, op, magnitude, TIM(mode), fill)


def _v2_apply(mode: str) -> object:
    def apply(img: torch.Tensor, op: str, magnitude: float, fill: object) -> torch.Tensor:
        t = TV.AugMix(interpolation=mode, fill=fill)  # v2 takes the fill in its per-type form
        return t._apply_image_or_video_transform(img, op, magnitude, TIM(mode), t._fill)

    return apply


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_augmix_mixture_given_the_draws(cifar: np.ndarray, version: str, mode: str, seed: int) -> None:
    cls = MT.AugMix if version == "v1" else MV.AugMix
    fill = None if seed % 2 else 7
    ours_t = cls(severity=1 + 3 * seed, chain_depth=-1 if seed < 2 else 2, all_ops=seed != 3,
                 interpolation=mode, fill=fill)
    x = cifar if seed < 3 else cifar[0]
    mt.manual_seed(seed)
    params = ours_t.make_params(len(x) if x.ndim == 4 else 1, 32, 32)
    ours = ours_t.mix(mt.tensor(x), params).numpy()
    apply = (_v1_apply if version == "v1" else _v2_apply)(mode)
    theirs = _theirs(torch.tensor(x), params, apply, ours_t.fill_for(3)).numpy()
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    if mode == "nearest":
        np.testing.assert_array_equal(ours, theirs)
    else:  # the float32 warp grid may round a bilinear pixel the other way
        assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    if version == "v2" or seed == 1:  # float images (v1's Solarize thresholds are uint8 values: uint8 only)
        xf = x / 255.0
        ours_f = ours_t.mix(mt.tensor(xf.astype(np.float32)), params)
        truth = _theirs(torch.tensor(xf), params, apply, ours_t.fill_for(3))
        theirs_f = _theirs(torch.tensor(xf, dtype=torch.float32), params, apply, ours_t.fill_for(3))
        assert_f32_close(ours_f, truth, torch32=theirs_f, what=f"AugMix {version} {mode} float32")


@pytest.mark.parametrize("cls", [MT.AugMix, MV.AugMix])
def test_augmix_draws(cls: type) -> None:
    t = cls(severity=4, mixture_width=5, alpha=0.7)
    space = t.space(32, 30)
    assert list(space) == ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Posterize", "Solarize",
                           "AutoContrast", "Equalize", "Brightness", "Color", "Contrast", "Sharpness"]
    theirs = T.AugMix()._augmentation_space(10, (32, 30))
    for op, (table, signed) in space.items():
        ref = theirs[op][0].numpy()
        if cls is MV.AugMix and op == "Solarize":
            ref = torch.linspace(1.0, 0.0, 10).numpy()
        np.testing.assert_array_equal(table if table is not None else np.float32(0.0), ref)
        assert signed == theirs[op][1]
    mt.manual_seed(0)
    ops, depths, m0 = [], [], []
    for _ in range(300):
        params = t.make_params(2, 32, 30)
        assert params["m"].shape == (2, 2) and params["weights"].shape == (2, 5)
        np.testing.assert_allclose(params["m"].sum(axis=1), 1, rtol=1e-6)
        np.testing.assert_allclose(params["weights"].sum(axis=1), params["m"][:, 1], rtol=1e-5)
        m0.extend(params["m"][:, 0])
        for chain in params["chains"]:
            depths.append(len(chain))
            for op, magnitude in chain:
                table = space[op][0]
                assert (magnitude == 0.0 if table is None else abs(magnitude) in set(np.abs(table[:4]).tolist()))
                ops.append(op)
    assert set(depths) == {1, 2, 3} and set(ops) == set(space)
    assert abs(np.mean(m0) - 0.5) < 0.05  # Beta(0.7, 0.7) has mean 1/2
    assert MT.AugMix(all_ops=False).space(8, 8).keys() == T.AugMix(all_ops=False)._augmentation_space(10, (8, 8)).keys()


def test_augmix_calls_reprs_and_errors(cifar: np.ndarray) -> None:
    for ours, theirs in ((MT.AugMix(), T.AugMix()), (MT.AugMix(2, 4, 1, 0.5, False, TIM.NEAREST, [1.0]),
                                                     T.AugMix(2, 4, 1, 0.5, False, TIM.NEAREST, [1.0])),
                         (MV.AugMix(), TV.AugMix()), (MV.AugMix(fill=0, interpolation="nearest"),
                                                      TV.AugMix(fill=0, interpolation="nearest"))):
        assert repr(ours) == repr(theirs)
    mt.manual_seed(3)
    x = mt.tensor(cifar)
    assert MT.AugMix()(x).shape == x.shape and MT.AugMix()(x).dtype == mt.uint8
    hwc = cifar[0].transpose(1, 2, 0)
    assert MT.AugMix()(Image.fromarray(hwc)).shape == hwc.shape
    out, label = MV.AugMix()(x[0], 5)
    assert out.shape == (3, 32, 32) and label == 5
    for cls in (MT.AugMix, MV.AugMix, T.AugMix):
        with pytest.raises(ValueError, match=r"The severity must be between \[1, 10\]. Got 11 instead"):
            cls(severity=11)
