"""``elastic_transform`` / ``ElasticTransform`` (v1 and v2) against torchvision on real CIFAR-10 images
(../shared/data; skipped when absent): the warp given the same displacement (uint8 and nearest bit for bit, float64
to 1e-10, float32 bilinear against the float64 truth), the displacement's blur and scaling given our uniform fields,
and the identity grid's ``linspace`` bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
import torchvision.transforms.v2 as TV
import torchvision.transforms.v2.functional as TF2
from PIL import Image
from torchvision.transforms import InterpolationMode as TIM

import minitorch_cnn as mt
from minitorch_cnn.vision import transforms as MT
from minitorch_cnn.vision.transforms import functional as F
from minitorch_cnn.vision.transforms import v2 as MV
from minitorch_cnn.vision.transforms.warp import torch_linspace
from tests._parity import assert_close, assert_f32_close
from tests._transforms_surface import chw, cifar_images


@pytest.fixture(scope="module")
def cifar() -> np.ndarray:
    """Four CIFAR-10 test images cut to (4, 32, 30, 3) uint8 (not square), read by our dataset class."""
    return np.ascontiguousarray(cifar_images()[:, :, :30])


@pytest.mark.parametrize("steps", [1, 2, 5, 17, 28, 30, 32, 100, 224, 501])
def test_linspace_is_torchs(steps: int) -> None:
    lo, hi = (1 - steps) / steps, (steps - 1) / steps
    for dtype, tdt in ((np.float32, torch.float32), (np.float64, torch.float64)):
        np.testing.assert_array_equal(torch_linspace(lo, hi, steps, np.dtype(dtype)),
                                      torch.linspace(lo, hi, steps, dtype=tdt).numpy())


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill", [None, [0.0], [10.0, 20.0, 30.0]])
def test_elastic_transform_given_the_displacement(cifar: np.ndarray, dtype: str, mode: str, fill: object) -> None:
    x = chw(cifar, dtype)
    mt.manual_seed(0)
    disp32 = MT.ElasticTransform.get_params([20.0, 30.0], [3.0, 4.0], [32, 30]).numpy()
    for disp in (disp32, disp32.astype(np.float64)):
        for ours_fn, their_fn in ((F.elastic_transform, TF.elastic_transform), (MV.ElasticTransform, TF2.elastic)):
            if ours_fn is MV.ElasticTransform:
                ours = MV.ElasticTransform(fill=0 if fill is None else fill, interpolation=mode).transform(
                    mt.tensor(x), {"displacement": mt.tensor(disp)})
                theirs = their_fn(torch.tensor(x), torch.tensor(disp), TIM(mode), 0 if fill is None else fill)
            else:
                ours = ours_fn(mt.tensor(x), mt.tensor(disp), mode, fill)
                theirs = their_fn(torch.tensor(x), torch.tensor(disp), TIM(mode), fill)
            assert ours.numpy().dtype == theirs.numpy().dtype
            # v1 warps in the promoted dtype of its float32 identity grid and the displacement
            in_f32 = dtype == "float32" or (ours_fn is F.elastic_transform and disp.dtype == np.float32)
            if dtype == "uint8" or mode == "nearest":
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
            elif not in_f32:
                assert_close(ours, theirs, np.float64, what=f"elastic {mode} {fill}")
            else:
                truth = their_fn(torch.tensor(x, dtype=torch.float64), torch.tensor(disp, dtype=torch.float64),
                                 TIM(mode), 0 if fill is None and ours_fn is not F.elastic_transform else fill)
                assert_f32_close(ours, truth, torch32=theirs, what=f"elastic float32 {mode} {fill}")


def test_elastic_on_pil_images_and_errors(cifar: np.ndarray) -> None:
    mt.manual_seed(1)
    disp = MT.ElasticTransform.get_params([40.0, 40.0], [4.0, 4.0], [32, 30])
    for a in (cifar[0], cifar[1][:, :, 0]):
        theirs = np.asarray(TF.elastic_transform(Image.fromarray(a), torch.tensor(disp.numpy())))
        np.testing.assert_array_equal(F.elastic_transform(a, disp), theirs)
        np.testing.assert_array_equal(F.elastic_transform(Image.fromarray(a), disp), theirs)
    with pytest.raises(TypeError, match="Argument displacement should be a Tensor"):
        F.elastic_transform(cifar[0], disp.numpy())
    with pytest.raises(ValueError, match=r"Argument displacement shape should be \(1, 32, 30, 2\)"):
        F.elastic_transform(cifar[0], mt.tensor(np.zeros((1, 30, 32, 2), dtype=np.float32)))


@pytest.mark.parametrize("v1", [True, False])
def test_displacement_is_the_blurred_scaled_uniform_field(v1: bool) -> None:
    """Given the two uniform fields our generator draws (x first), the displacement is torchvision's blur and
    scaling of them: float32 judged against the float64 truth (the blur sums in another order)."""
    alpha, sigma, size = [30.0, 45.0], [3.0, 2.0], [24, 28]
    mt.manual_seed(7)
    ours = MT.ElasticTransform.get_params(alpha, sigma, size) if v1 else \
        MV.ElasticTransform(alpha, sigma).make_params([mt.tensor(np.zeros((3, *size), dtype=np.uint8))])["displacement"]
    mt.manual_seed(7)
    fields = [mt.rand(1, 1, *size).numpy() for _ in range(2)]
    blur = TF.gaussian_blur if v1 else TF2.gaussian_blur

    def theirs(dtype: torch.dtype) -> torch.Tensor:
        out = []
        for k, field in enumerate(fields):
            d = torch.tensor(field, dtype=dtype) * 2 - 1
            ks = int(8 * sigma[k] + 1) + (1 - int(8 * sigma[k] + 1) % 2)
            out.append(blur(d, [ks, ks], sigma) * alpha[k] / size[1 - k])
        return torch.concat(out, 1).permute([0, 2, 3, 1])

    assert tuple(ours.shape) == (1, *size, 2) and ours.dtype == mt.float32
    assert_f32_close(ours, theirs(torch.float64), torch32=theirs(torch.float32), what="displacement")


def test_elastic_transform_classes(cifar: np.ndarray) -> None:
    for ours, theirs in ((MT.ElasticTransform(), T.ElasticTransform()),
                         (MT.ElasticTransform(30.0, (2.0, 3.0), TIM.NEAREST, 5), T.ElasticTransform(30.0, (2.0, 3.0),
                                                                                                   TIM.NEAREST, 5)),
                         (MV.ElasticTransform(), TV.ElasticTransform()),
                         (MV.ElasticTransform(30, [2], "nearest", 5), TV.ElasticTransform(30, [2], "nearest", 5))):
        assert repr(ours) == repr(theirs)
        assert (ours.alpha, ours.sigma, ours.fill) == (theirs.alpha, theirs.sigma, theirs.fill)
    x = mt.tensor(chw(cifar, "uint8"))
    mt.manual_seed(2)
    assert MT.ElasticTransform()(x).shape == x.shape and MT.ElasticTransform()(cifar[0]).shape == cifar[0].shape
    out, label = MV.ElasticTransform()(x[0], 4)
    assert out.shape == (3, 32, 30) and label == 4
    with pytest.raises(TypeError, match="alpha should be float or a sequence of floats"):
        MT.ElasticTransform(alpha=50)
    with pytest.raises(TypeError, match="sigma should be a sequence of floats. Got <class 'int'>"):
        MT.ElasticTransform(sigma=(1.0, 2))
    with pytest.raises(TypeError, match="fill should be int or float or a list or tuple of them"):
        MT.ElasticTransform(fill="black")
    with pytest.raises(ValueError, match="If alpha is a sequence its length should be 1 or 2"):
        MV.ElasticTransform(alpha=(1, 2, 3))
