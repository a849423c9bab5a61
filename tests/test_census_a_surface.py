"""The smaller pieces the second census (DCGAN, VAE, FGSM, STN, style transfer, DCGAN-faces with SN/WN) needed,
against torch: sign, mm/mv/dot/vdot and Tensor.H, F.normalize, Pillow images into the transforms and ToPILImage,
vgg13/vgg19, use_deterministic_algorithms, set_default_device, torch.tensor(tensor)'s warning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

import minitorch_cnn as mt
from tests._parity import assert_close, assert_f32_close

RNG = np.random.default_rng(23)


def test_sign_values_dtypes_and_zero_gradient() -> None:
    x = np.array([-2.5, -0.0, 0.0, 3.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(mt.sign(mt.tensor(x)).numpy(), torch.sign(torch.tensor(x)).numpy())
    for arr in (np.array([-3, 0, 2]), np.array([True, False])):
        ours, theirs = mt.tensor(arr).sign(), torch.tensor(arr).sign()
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.numpy().dtype == theirs.numpy().dtype
    t = mt.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (t.sign() * mt.tensor([3.0, 4.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros(3))
    u = mt.tensor([1.0, -2.0])
    assert u.sign_() is u and u.numpy().tolist() == [1.0, -1.0]


def test_mm_mv_dot_match_torch_with_gradients() -> None:
    a, b, v = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)), RNG.standard_normal(4)
    ups = RNG.standard_normal((3, 2)), RNG.standard_normal(3), RNG.standard_normal(())

    def run(lib):
        ta, tb, tv = (lib.tensor(z, requires_grad=True) for z in (a, b, v))
        outs = [lib.mm(ta, tb), ta.mv(tv), lib.dot(tv, tv) + lib.vdot(tv, tv), ta.H.mm(ta)]
        total = sum((o * lib.tensor(u)).sum() for o, u in zip(outs[:3], ups))
        total.backward()
        return [o.detach().numpy() for o in outs] + [t.grad.numpy() for t in (ta, tb, tv)]

    for o, t in zip(run(mt), run(torch)):
        assert_close(o, t, np.float64)


@pytest.mark.parametrize("fn, args, match", [
    ("mm", ((2, 3), (4,)), "mat2 must be a matrix"),
    ("mm", ((2, 3), (4, 2)), r"cannot be multiplied \(2x3 and 4x2\)"),
    ("mv", ((2, 3), (4,)), "size mismatch"),
    ("dot", ((3,), (4,)), "inconsistent tensor size"),
    ("dot", ((3, 1), (3,)), "1D tensors expected"),
])
def test_matrix_product_errors_as_torch(fn: str, args: tuple, match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        getattr(mt, fn)(*(mt.ones(*s) for s in args))
    with pytest.raises(RuntimeError, match=match):
        getattr(torch, fn)(*(torch.ones(*s) for s in args))


@pytest.mark.parametrize("p, dim", [(2.0, 1), (2.0, 0), (1.0, -1), (3.0, 1)])
def test_normalize_matches_torch(p: float, dim: int) -> None:
    x = RNG.standard_normal((4, 5))
    x[1] = 0.0  # a zero slice: the eps floor, gradient 1/eps there as torch
    up = RNG.standard_normal((4, 5))

    def run(lib, xv, upv, dtype):
        t = lib.tensor(xv.astype(dtype), requires_grad=True)
        y = (mt.nn.functional if lib is mt else torch.nn.functional).normalize(t, p=p, dim=dim)
        y.backward(lib.tensor(upv.astype(dtype)))
        return y.detach().numpy(), t.grad.numpy()

    for o, t in zip(run(mt, x, up, np.float64), run(torch, x, up, np.float64)):
        assert_close(o, t, np.float64)
    x32, up32 = x.astype(np.float32), up.astype(np.float32)
    truth = run(torch, x32, up32, np.float64)  # the float64 truth of the float32 values
    for o, t, t32 in zip(run(mt, x32, up32, np.float32), truth, run(torch, x32, up32, np.float32)):
        assert_f32_close(o.ravel(), t.ravel(), torch32=t32.ravel())


def test_pillow_images_go_through_the_transforms_as_torchvision() -> None:
    arr = RNG.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    pil = Image.fromarray(arr)
    ours = mt.vision.transforms.Compose([mt.vision.transforms.Resize(12), mt.vision.transforms.CenterCrop(10),
                                         mt.vision.transforms.ToTensor()])(pil)
    tv = torchvision.transforms
    theirs = tv.Compose([tv.Resize(12), tv.CenterCrop(10), tv.ToTensor()])(pil)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    gray = Image.fromarray(arr[..., 0])
    np.testing.assert_array_equal(mt.vision.transforms.ToTensor()(gray).numpy(), tv.ToTensor()(gray).numpy())


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_to_pil_image_matches_torchvision(channels: int) -> None:
    x = RNG.random((channels, 5, 6)).astype(np.float32)
    ours = mt.vision.transforms.ToPILImage()(mt.tensor(x))  # a PIL image, as torchvision's (census-c)
    assert type(ours).__name__ == type(torchvision.transforms.ToPILImage()(torch.tensor(x))).__name__ == "Image"
    ours = np.asarray(ours)
    theirs = np.asarray(torchvision.transforms.ToPILImage()(torch.tensor(x)))
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, theirs)
    assert repr(mt.vision.transforms.ToPILImage()) == "ToPILImage()"
    with pytest.raises(ValueError, match="should not have > 4 channels"):
        mt.vision.transforms.ToPILImage()(mt.zeros(5, 2, 2))


@pytest.mark.parametrize("name, cfg, bn", [("vgg13", "B", False), ("vgg19", "E", False), ("vgg19_bn", "E", True)])
def test_vgg_variants_have_torchvisions_layers(name: str, cfg: str, bn: bool, monkeypatch) -> None:
    """The features stack each builder makes, against torchvision's layers for that configuration (the full
    models are left unbuilt: their 4096-wide classifiers alone take seconds to initialise)."""
    from minitorch_cnn.vision.models import vgg as ours_vgg

    monkeypatch.setattr(ours_vgg, "VGG", lambda features, **kwargs: features)
    ours = getattr(mt.vision.models, name)(weights=None)
    theirs = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs[cfg], batch_norm=bn)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    enum, tv_enum = (getattr(m, name.upper() + "_Weights") for m in (mt.vision.models, torchvision.models))
    assert enum.IMAGENET1K_V1.url == tv_enum.IMAGENET1K_V1.url


def test_deterministic_algorithms_flag_and_default_device() -> None:
    assert not mt.are_deterministic_algorithms_enabled()
    try:
        mt.use_deterministic_algorithms(True, warn_only=True)
        assert mt.are_deterministic_algorithms_enabled() and mt.is_deterministic_algorithms_warn_only_enabled()
    finally:
        mt.use_deterministic_algorithms(False)
    with pytest.raises(TypeError, match="must be bool"):
        mt.use_deterministic_algorithms(1)
    mt.set_default_device("cpu")
    mt.set_default_device(mt.device("cpu"))
    mt.set_default_device(None)
    assert mt.get_default_device() == mt.device("cpu")
    with pytest.raises(NotImplementedError, match="makes new tensors on the CPU only"):
        mt.set_default_device("cuda")


def test_tensor_of_a_tensor_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        t = mt.tensor(mt.ones(2))
    assert t.numpy().tolist() == [1.0, 1.0]


def test_functional_data_parallel() -> None:
    """dcgan/main.py calls nn.parallel.data_parallel(self.main, input, range(ngpu)) when input.is_cuda: a function,
    as torch's; on a machine without a GPU it raises torch's own error."""
    model = mt.nn.Linear(3, 2)
    if mt.cuda.is_available():
        out = mt.nn.parallel.data_parallel(model.cuda(), mt.ones(4, 3), range(1))
        assert out.device.type == "cuda" and tuple(out.shape) == (4, 2)
    else:
        with pytest.raises(RuntimeError, match="device type could not be determined"):
            mt.nn.parallel.data_parallel(model, mt.ones(4, 3), range(1))
