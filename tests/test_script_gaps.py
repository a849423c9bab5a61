"""Gaps the ported-scripts census found (torch names a script used that were missing or differed), each held
against torch in the test."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
import torchvision
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64


# --- norm's gradient at a zero vector: torch's norm_backward masks it to 0 -----------------------------------


@pytest.mark.parametrize("p", [2, "fro", 3, 1.5])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_grad_at_zero_vector_is_torchs(p: object, dim: int | None) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x[1] = 0.0  # one zero row (and, for dim=None, a tensor that is not all zero)
    for data in (x, np.zeros((3, 4))):
        ours = mt.tensor(data, dtype=mt.float64, requires_grad=True)
        theirs = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        n_ours, n_theirs = mt.norm(ours, p, dim), torch.norm(theirs, p, dim)
        g = rng.standard_normal(tuple(n_theirs.shape))
        n_ours.backward(mt.tensor(g))
        n_theirs.backward(torch.tensor(g))
        assert_close(n_ours, n_theirs, F64, what="norm")
        assert_close(ours.grad, theirs.grad, F64, what="d norm / dx")
        assert np.isfinite(ours.grad.numpy()).all()


def test_tensor_norm_method_grad_at_zero() -> None:
    ours = mt.zeros(5, dtype=mt.float64, requires_grad=True)
    ours.norm().backward()
    theirs = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    theirs.norm().backward()
    assert_close(ours.grad, theirs.grad, F64)


# --- autograd.grad(only_inputs=...): torch's deprecated argument, ignored, warning when False --------------------


@pytest.mark.parametrize("only_inputs", [True, False])
def test_grad_only_inputs_is_accepted_as_torch(only_inputs: bool) -> None:
    data = np.array([1.0, -2.0, 3.0])
    results = []
    for lib in (torch, mt):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (g,) = lib.autograd.grad((x * x * x).sum(), x, only_inputs=only_inputs)
        results.append((g, [(w.category, str(w.message)) for w in caught]))
    (g_t, w_t), (g_m, w_m) = results
    assert_close(g_m, g_t, F64)
    assert w_m == w_t
    assert bool(w_t) == (not only_inputs)


# --- all / any: functions and methods, dim (int or tuple), keepdim, axis; bool out (uint8 in -> uint8 out) -----


@pytest.mark.parametrize("dtype", ["float64", "int64", "uint8", "bool"])
def test_all_any_as_torch(dtype: str) -> None:
    data = np.array([[[1, 0, 2], [3, 4, 5]], [[0, 0, 0], [7, 1, 1]]]).astype(dtype)
    calls = [((), {}), ((1,), {}), ((-1,), {"keepdim": True}), (((0, 2),), {}), ((), {"dim": 0, "keepdim": True}),
             ((), {"axis": 2, "keepdims": True})]
    for name in ("all", "any"):
        for args, kwargs in calls:
            t, m = torch.from_numpy(data), mt.tensor(data)
            for theirs, ours in ((getattr(torch, name)(t, *args, **kwargs), getattr(mt, name)(m, *args, **kwargs)),
                                 (getattr(t, name)(*args, **kwargs), getattr(m, name)(*args, **kwargs))):
                assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for lib in (torch, mt):  # empty and 0-d inputs, and a bad dim
        assert bool(lib.all(lib.zeros(0))) and not bool(lib.any(lib.zeros(0)))
        assert tuple(lib.any(lib.zeros(0, 3), 1).shape) == (0,)
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.all(lib.zeros(2, 2), 2)


# --- legacy tensor types: mt.FloatTensor ..., Tensor.type(), mt.Tensor(*sizes) ------------------------------------

_LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor"]


def _same(ours: mt.Tensor, theirs: torch.Tensor) -> None:
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("name", _LEGACY)
def test_legacy_type_constructors_and_isinstance(name: str) -> None:
    T, M = getattr(torch, name), getattr(mt, name)
    _same(M(2, 3), T(2, 3))
    _same(M(), T())
    _same(M(mt.Size([1, 2])), T(torch.Size([1, 2])))
    data = [[1.7, 0.0, -2.0], [3.0, 1.0, 0.5]] if name not in ("ByteTensor", "BoolTensor") else [[1.7, 0.0, 2.0]]
    ours, theirs = M(data), T(data)
    _same(ours, theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.type() == theirs.type() == f"torch.{name}"
    for other in _LEGACY:
        assert isinstance(ours, getattr(mt, other)) == isinstance(theirs, getattr(torch, other))
    assert not isinstance(np.zeros(2), M)
    assert repr(M) == repr(T)
    for L in (M, T):
        with pytest.raises(TypeError, match="must be a sequence"):
            L(2.5)


@pytest.mark.parametrize("target", ["FloatTensor", "DoubleTensor", "LongTensor", "ByteTensor"])
def test_tensor_type_casts_as_torch(target: str) -> None:
    data = np.array([[1.5, -2.0], [0.0, 3.25]])
    t, m = torch.from_numpy(data), mt.tensor(data)
    for theirs, ours in ((t.type(getattr(torch, target)), m.type(getattr(mt, target))),
                         (t.type(f"torch.{target}"), m.type(f"torch.{target}"))):
        _same(ours, theirs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    _same(m.type(mt.float32), t.type(torch.float32))
    assert m.type(mt.DoubleTensor) is m  # already that type: itself, as torch
    assert t.type(torch.DoubleTensor) is t
    for x in (t, m):
        with pytest.raises(ValueError, match="invalid type: 'torch.NopeTensor'"):
            x.type("torch.NopeTensor")


def test_legacy_cuda_types_fail_without_cuda() -> None:
    if mt.cuda.is_available():
        t = mt.cuda.FloatTensor([1.0, 2.0])
        assert t.device.type == "cuda" and t.type() == "torch.cuda.FloatTensor"
        assert isinstance(t, mt.cuda.FloatTensor) and not isinstance(t, mt.FloatTensor)
        return
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        mt.cuda.FloatTensor(2)
    assert not isinstance(mt.zeros(2), mt.cuda.FloatTensor)
    assert repr(mt.cuda.LongTensor) == repr(torch.cuda.LongTensor)


def test_tensor_sized_constructor_as_torch() -> None:
    for args in [(2, 1), (3,), (0, 4), (torch.Size([2, 3]),)]:
        margs = tuple(mt.Size(a) if isinstance(a, torch.Size) else a for a in args)
        _same(mt.Tensor(*margs), torch.Tensor(*args))
        assert not mt.Tensor(*margs).numpy().any()  # zeros here (torch leaves it uninitialised)
    _same(mt.Tensor(), torch.Tensor())
    for lib in (torch, mt):
        with pytest.raises(RuntimeError, match="negative dimension -1"):
            lib.Tensor(2, -1)
    x = mt.zeros(3)
    x.copy_(5)  # a Python int given to copy_ is a value, not a size
    np.testing.assert_array_equal(x.numpy(), [5.0, 5.0, 5.0])


# --- vision.io.decode_image: file bytes (uint8 (N,)) or a path, any mode, as torchvision's ------------------------


def test_decode_image_as_torchvision(tmp_path: object) -> None:
    import torchvision.io as tvio
    from PIL import Image

    rng = np.random.default_rng(1)
    files = {"rgb.png": Image.fromarray(rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)),
             "gray.png": Image.fromarray(rng.integers(0, 256, (4, 6), dtype=np.uint8)),
             "rgba.png": Image.fromarray(rng.integers(0, 256, (3, 5, 4), dtype=np.uint8))}
    for name, img in files.items():
        path = str(tmp_path / name)
        img.save(path)
        raw_t, raw_m = tvio.read_file(path), mt.vision.io.read_file(path)
        np.testing.assert_array_equal(raw_m.numpy(), raw_t.numpy())
        for t_mode, m_mode in ((tvio.ImageReadMode.UNCHANGED, mt.vision.io.ImageReadMode.UNCHANGED),
                               (tvio.ImageReadMode.RGB, "RGB"), (tvio.ImageReadMode.RGB_ALPHA, "rgba"),
                               (tvio.ImageReadMode.GRAY_ALPHA, mt.vision.io.ImageReadMode.GRAY_ALPHA)):
            if name != "gray.png" and t_mode is tvio.ImageReadMode.GRAY_ALPHA:
                continue  # colour to gray: Pillow rounds the luma, libpng truncates (read_image's docstring)
            theirs = tvio.decode_image(raw_t, mode=t_mode)
            for ours in (mt.vision.io.decode_image(raw_m, mode=m_mode), mt.vision.io.decode_image(path, m_mode)):
                assert ours.dtype == mt.uint8
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for bad, match in ((mt.zeros(3), "uint8"), (mt.zeros(1, 3, dtype=mt.uint8), "1-dimensional"),
                       (mt.zeros(3, dtype=mt.uint8), "Unsupported image file")):
        with pytest.raises(RuntimeError, match=match):
            mt.vision.io.decode_image(bad)
    with pytest.raises(ValueError, match="image mode"):
        mt.vision.io.decode_image(str(tmp_path / "rgb.png"), mode="CMYK")


# --- RandomResizedCrop: torchvision's get_params algorithm (our generator) and its resized_crop -------------------


def test_resized_crop_as_torchvision() -> None:
    import torchvision.transforms.functional as TF
    from PIL import Image

    rng = np.random.default_rng(2)
    img = rng.standard_normal((3, 20, 24))
    pixels = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    for box, size in (((2, 3, 10, 12), [8, 8]), ((0, 0, 20, 24), [7, 9]), ((5, 1, 6, 17), [12, 6])):
        theirs = TF.resized_crop(torch.from_numpy(img), *box, size, antialias=True)
        ours = mt.vision.transforms.functional.resized_crop(mt.tensor(img), *box, size)
        assert_close(ours, theirs, F64, what=f"tensor box {box}")
        pil = np.asarray(TF.resized_crop(Image.fromarray(pixels), *box, size))
        np.testing.assert_array_equal(mt.vision.transforms.functional.resized_crop(pixels, *box, size), pil)


def test_random_resized_crop_params_and_output() -> None:
    T = mt.vision.transforms
    img = mt.tensor(np.random.default_rng(3).standard_normal((3, 30, 40)))
    mt.manual_seed(0)
    for scale, ratio in (((0.08, 1.0), (3 / 4, 4 / 3)), ((0.5, 0.6), (1.0, 2.0)), ((0.1, 0.2), (0.2, 0.3))):
        for _ in range(50):
            top, left, h, w = T.RandomResizedCrop.get_params(img, scale, ratio)
            assert 0 <= top and 0 <= left and 0 < h and 0 < w and top + h <= 30 and left + w <= 40
            # sizes are rounded from the drawn area and ratio: bounds widened by the rounding of h and w
            assert scale[0] * 1200 <= (h + 0.5) * (w + 0.5) and (h - 0.5) * (w - 0.5) <= scale[1] * 1200
            assert ratio[0] <= (w + 0.5) / (h - 0.5) and (w - 0.5) / (h + 0.5) <= ratio[1]
    # no window fits in ten tries (ratio far from the image's, scale 1): torchvision's centred fallback
    assert T.RandomResizedCrop.get_params(img, (1.0, 1.0), (3.0, 4.0)) == tv_fallback(30, 40, (3.0, 4.0))
    assert T.RandomResizedCrop.get_params(img, (1.0, 1.0), (0.2, 0.25)) == tv_fallback(30, 40, (0.2, 0.25))
    t = T.RandomResizedCrop(8, antialias=True)
    mt.manual_seed(5)
    out = t(img)
    mt.manual_seed(5)
    box = T.RandomResizedCrop.get_params(img, t.scale, t.ratio)
    assert tuple(out.shape) == (3, 8, 8)
    assert_close(out, mt.vision.transforms.functional.resized_crop(img, *box, [8, 8]), F64)
    mt.manual_seed(5)
    batch = t.batch(mt.stack([img, img]))
    assert_close(batch[0], out, F64)
    with pytest.warns(UserWarning, match="Scale and ratio"):
        T.RandomResizedCrop(4, scale=(1.0, 0.5))
    assert repr(t) == repr(torchvision.transforms.RandomResizedCrop(8))


def tv_fallback(height: int, width: int, ratio: tuple[float, float]) -> tuple[int, int, int, int]:
    """torchvision's get_params with every try rejected, by making torch's draws give an oversized window."""
    import torchvision.transforms as TT

    img = torch.zeros(1, height, width)
    torch.manual_seed(0)
    return tuple(TT.RandomResizedCrop.get_params(img, [1.0, 1.0], list(ratio)))


# --- ImageFolder / DatasetFolder: torchvision's class discovery, sample order, loader ------------------------------


@pytest.fixture
def image_tree(tmp_path: object) -> str:
    from PIL import Image

    rng = np.random.default_rng(4)
    layout = {"dog": ["b.png", "a.PNG", "sub/c.png", "notes.txt"], "cat": ["z.png", "gray.png"], "bird": ["x.jpg"]}
    for cls, names in layout.items():
        for name in names:
            path = tmp_path / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".txt"):
                path.write_text("not an image")
            elif name.startswith("gray"):
                Image.fromarray(rng.integers(0, 256, (5, 4), dtype=np.uint8)).save(path)
            else:
                Image.fromarray(rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)).save(path, format="PNG")
    (tmp_path / "stray.png").write_bytes(b"")  # a file at the root is not a class
    return str(tmp_path)


def test_image_folder_as_torchvision(image_tree: str) -> None:
    theirs = torchvision.datasets.ImageFolder(image_tree, target_transform=lambda t: t * 10)
    ours = mt.vision.datasets.ImageFolder(image_tree, target_transform=lambda t: t * 10)
    assert ours.classes == theirs.classes == ["bird", "cat", "dog"]
    assert ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples == ours.imgs
    assert ours.targets == theirs.targets
    assert len(ours) == len(theirs)
    for i in range(len(theirs)):
        (img_t, y_t), (img_m, y_m) = theirs[i], ours[i]
        assert y_m == y_t
        np.testing.assert_array_equal(img_m, np.asarray(img_t))
    x_t = torchvision.datasets.ImageFolder(image_tree, transform=torchvision.transforms.ToTensor())[0][0]
    x_m = mt.vision.datasets.ImageFolder(image_tree, transform=mt.vision.transforms.ToTensor())[0][0]
    assert_close(x_m, x_t.double(), F64)  # float32 on both sides: k/255 rounded the same way


def test_dataset_folder_as_torchvision(image_tree: str) -> None:
    def valid(path: str) -> bool:
        return "sub" not in path and not path.endswith(".jpg")

    for kwargs in ({"extensions": (".txt",), "allow_empty": True}, {"extensions": ".png", "allow_empty": True},
                   {"is_valid_file": valid, "allow_empty": True}):
        theirs = torchvision.datasets.DatasetFolder(image_tree, loader=len, **kwargs)
        ours = mt.vision.datasets.DatasetFolder(image_tree, loader=len, **kwargs)
        assert ours.samples == theirs.samples and ours.targets == theirs.targets
        assert [ours[i] for i in range(len(ours))] == [theirs[i] for i in range(len(theirs))]
    for lib in (torchvision, mt.vision):
        with pytest.raises(FileNotFoundError, match="Found no valid file for the classes bird, cat"):
            lib.datasets.DatasetFolder(image_tree, loader=len, extensions=(".txt",))
        with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
            lib.datasets.DatasetFolder(image_tree, loader=len)
        with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
            lib.datasets.ImageFolder(os.path.join(image_tree, "bird"))
