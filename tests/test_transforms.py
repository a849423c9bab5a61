"""mt.vision.transforms against torchvision's v1 transforms on the same pixels.

Arrays are our stand-in for PIL images, so every array result is held against torchvision given the PIL image
of the same pixels, and every Tensor result against torchvision given the torch tensor of the same values.
Tolerances:
- ToTensor, Normalize, Pad, crops, flips, grayscale: bit for bit (the same IEEE operations in the same order).
- Resize on uint8 arrays: bit for bit with Pillow (we reproduce its 22-bit fixed-point arithmetic and its
  pass order).
- Resize on float Tensors: float32 within 1e-5 of the float64 resize of the same values (relative to the resize of
  |x|: outputs sum terms of both signs) or of torch's own float32 error, float64 1e-10. The weights are torch's,
  computed in the tensor's dtype with torch's roundings; only the summation order differs (BLAS matmul against
  torch's tap loop), measured at about 2e-7 (float32) and 5e-16 (float64).
- Resize on uint8 Tensors: torchvision computes in float32 and rounds; where the float32 value lies within
  summation-order noise of a .5 boundary the rounding can go the other way, so ours may differ by 1 there
  and only there (checked).
Random transforms: determinism under mt.manual_seed, each branch against torchvision forced to the same
decision (torchvision's get_params patched to return ours, or p = 0 / 1), and batch == item by item.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image

import minitorch_cnn as mt
from minitorch_cnn.autograd import Tensor
from minitorch_cnn.vision import transforms as MT
from minitorch_cnn.vision.transforms import functional as F
from tests._parity import assert_f32_close
from tests._profiles import examples

PIL_13 = tuple(int(p) for p in Image.__version__.split(".")[:2]) >= (13, 0)


def _pillow_order_is_ours(h: int, w: int, oh: int, ow: int) -> bool:
    """Each resize pass rounds, so the pass order matters. We follow Pillow 13 (height first when the height
    shrinks by more than twice as many pixels as the width); older Pillow always went width first."""
    height_first = h - oh > 0 and h - oh > 2 * (w - ow)
    return PIL_13 or not (height_first and oh != h and ow != w)


def _img(rng: np.random.Generator, h: int, w: int, channels: int | None, smooth: bool = False) -> np.ndarray:
    """A uint8 (H, W) or (H, W, C) image: noise, or a smooth gradient (where rounding ties are common)."""
    shape = (h, w) if channels is None else (h, w, channels)
    if smooth:
        ramp = np.add.outer(np.arange(h) * 7, np.arange(w) * 3) % 256
        return np.broadcast_to(ramp.reshape(h, w, *(1,) * (channels is not None)), shape).astype(np.uint8)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def _pil(arr: np.ndarray) -> Image.Image:
    return Image.fromarray(arr)


def _np(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, torch.Tensor):
        return x.numpy()
    return np.asarray(x)


def _rel(a, b) -> float:
    a, b = _np(a).astype(np.float64), _np(b).astype(np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


# ---- ToTensor / Normalize ----------------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [None, 1, 3, 4])
@pytest.mark.parametrize("default", [np.float32, np.float64])
def test_to_tensor_matches_torchvision_on_pil_and_arrays(channels, default):
    rng = np.random.default_rng(0)
    img = _img(rng, 7, 5, channels)
    old_mt, old_torch = mt.get_default_dtype(), torch.get_default_dtype()
    mt.set_default_dtype(default)
    torch.set_default_dtype(torch.float64 if default == np.float64 else torch.float32)
    try:
        ours = MT.ToTensor()(img)
        ref = T.ToTensor()(img)  # torchvision's ndarray path
        assert ours.dtype == np.dtype(default) and ours.shape == tuple(ref.shape)
        assert np.array_equal(ours._data, ref.numpy())
        if channels in (None, 3, 4):  # modes PIL has: L, RGB, RGBA
            assert np.array_equal(ours._data, T.ToTensor()(_pil(img[..., 0] if channels == 1 else img)).numpy())
    finally:
        mt.set_default_dtype(old_mt)
        torch.set_default_dtype(old_torch)


def test_to_tensor_keeps_non_uint8_arrays_and_rejects_others():
    x = np.random.default_rng(1).standard_normal((4, 3, 2)).astype(np.float32)
    out = MT.ToTensor()(x)
    assert out.dtype == np.float32 and np.array_equal(out._data, T.ToTensor()(x).numpy())
    with pytest.raises(TypeError, match="NumPy array"):
        MT.ToTensor()(Tensor._wrap(x))
    with pytest.raises(ValueError, match="2/3 dimensional"):
        MT.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5, 4), (2, 3, 5, 4)])
def test_normalize_matches_torchvision_bit_for_bit(dtype, shape):
    x = np.random.default_rng(2).random(shape).astype(dtype)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    ref = T.Normalize(mean, std)(torch.from_numpy(x.copy())).numpy()
    assert np.array_equal(MT.Normalize(mean, std)(Tensor._wrap(x.copy()))._data, ref)
    assert np.array_equal(F.normalize(Tensor._wrap(x.copy()), mean, std)._data, ref)
    t = Tensor._wrap(x.copy())
    assert MT.Normalize(mean, std, inplace=True)(t) is t and np.array_equal(t._data, ref)
    kept = Tensor._wrap(x.copy())
    MT.Normalize(mean, std)(kept)
    assert np.array_equal(kept._data, x)


def test_normalize_errors():
    with pytest.raises(TypeError, match="float tensor"):
        MT.Normalize((0.5,), (0.5,))(Tensor._wrap(np.zeros((1, 2, 2), np.uint8)))
    with pytest.raises(ValueError, match="division by zero"):
        MT.Normalize((0.5,), (0.0,))(Tensor._wrap(np.zeros((1, 2, 2), np.float32)))
    with pytest.raises(RuntimeError, match="size of tensor a \\(3\\) must match the size of tensor b \\(2\\)"):
        MT.Normalize((0.5, 0.5), (1.0, 1.0))(Tensor._wrap(np.zeros((3, 2, 2), np.float32)))
    with pytest.raises(ValueError, match=r"\(\.\.\., C, H, W\)"):
        MT.Normalize((0.5,), (1.0,))(Tensor._wrap(np.zeros((2, 2), np.float32)))


# ---- Resize -------------------------------------------------------------------------------------------------
@settings(max_examples=examples(60))
@given(h=st.integers(1, 70), w=st.integers(1, 70), oh=st.integers(1, 90), ow=st.integers(1, 90),
       channels=st.sampled_from([None, 3]), smooth=st.booleans(), seed=st.integers(0, 2**16))
def test_resize_array_equals_pillow_bit_for_bit(h, w, oh, ow, channels, smooth, seed):
    assume(_pillow_order_is_ours(h, w, oh, ow))
    img = _img(np.random.default_rng(seed), h, w, channels, smooth)
    ref = np.asarray(TF.resize(_pil(img), [oh, ow]))
    assert np.array_equal(MT.Resize((oh, ow))(img), ref)


@pytest.mark.parametrize("size,max_size", [(20, None), ([20], None), (20, 30), ((13, 31), None), (227, None)])
@pytest.mark.parametrize("hw", [(28, 28), (32, 45), (50, 21)])
def test_resize_sizes_follow_torchvision(size, max_size, hw):
    img = _img(np.random.default_rng(3), *hw, 3)
    ref = np.asarray(T.Resize(size, max_size=max_size)(_pil(img)))
    ours = MT.Resize(size, max_size=max_size)(img)
    assert ours.shape == ref.shape
    assert np.array_equal(ours, ref) or not _pillow_order_is_ours(*hw, *ref.shape[:2])
    tref = T.Resize(size, max_size=max_size)(torch.from_numpy(img.transpose(2, 0, 1).astype(np.float32)))
    assert MT.Resize(size, max_size=max_size)(Tensor._wrap(img.transpose(2, 0, 1).astype(np.float32))).shape == tuple(
        tref.shape
    )


@settings(max_examples=examples(40))
@given(h=st.integers(2, 60), w=st.integers(2, 60), oh=st.integers(2, 80), ow=st.integers(2, 80),
       antialias=st.booleans(), seed=st.integers(0, 2**16))
def test_resize_float_tensor_matches_torch(h, w, oh, ow, antialias, seed):
    # widths of 1 are left out here: torch's antialiased CPU kernel gets a 1-pixel-wide image wrong (see below)
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((2, 3, h, w)).astype(dtype)
        ref = TF.resize(torch.from_numpy(x), [oh, ow], antialias=antialias)
        ours = MT.Resize((oh, ow), antialias=antialias)(Tensor._wrap(x))
        if dtype == np.float64:
            assert _rel(ours, ref) <= 1e-10
            continue
        # float32 against the float64 resize of the same values; the weights are >= 0, so the resize of |x| is
        # the magnitude of the terms each output sums. torch computes the weights themselves in the tensor's dtype
        # (and so do we): their float32 rounding grows with the pixel coordinates, up to ~4e-5 of that magnitude on
        # the larger sizes drawn here, on both sides alike; there torch's own float32 error is the yardstick
        truth, cond = (TF.resize(torch.from_numpy(a.astype(np.float64)), [oh, ow], antialias=antialias)
                       for a in (x, np.abs(x)))
        assert_f32_close(ours, truth, torch32=ref, cond=cond, what="resize float32")


def test_resize_one_pixel_wide_tensor_is_the_transposed_problem():
    """torch's antialiased kernel returns wrong values for a (H, 1) image (every output row equal); ours agrees
    with torch on the transposed (1, H) image, and with Pillow on uint8 pixels."""
    x = np.arange(10.0).reshape(1, 10, 1) * 25
    ours = F.resize(Tensor._wrap(x), [5, 1])._data
    ref_t = TF.resize(torch.from_numpy(x.transpose(0, 2, 1).copy()), [1, 5]).numpy().transpose(0, 2, 1)
    assert _rel(ours, ref_t) <= 1e-10
    pil = np.asarray(_pil(x[0].astype(np.uint8)).resize((1, 5), Image.BILINEAR))
    assert np.abs(ours[0] - pil).max() <= 0.5  # Pillow rounds to whole levels


@settings(max_examples=examples(30))
@given(h=st.integers(2, 60), w=st.integers(2, 60), oh=st.integers(2, 80), ow=st.integers(2, 80),
       smooth=st.booleans(), seed=st.integers(0, 2**16))
def test_resize_uint8_tensor_matches_torchvision_up_to_rounding_ties(h, w, oh, ow, smooth, seed):
    img = _img(np.random.default_rng(seed), h, w, 3, smooth).transpose(2, 0, 1).copy()
    ref = TF.resize(torch.from_numpy(img), [oh, ow]).numpy().astype(np.int64)
    ours = MT.Resize((oh, ow))(Tensor._wrap(img))
    assert ours.dtype == np.uint8
    diff = np.abs(ours._data.astype(np.int64) - ref)
    assert diff.max() <= 1
    unrounded = F.resize(Tensor._wrap(img.astype(np.float32)), [oh, ow])._data
    ties = np.abs(unrounded - np.floor(unrounded) - 0.5) < 1e-3
    assert ties[diff > 0].all(), "a difference away from a rounding tie"


def test_resize_unchanged_size_returns_the_image_and_rejects_float_arrays():
    img = _img(np.random.default_rng(4), 8, 8, None)
    assert MT.Resize(8)(img) is img
    with pytest.raises(TypeError, match="uint8"):
        MT.Resize(4)(img.astype(np.float32))
    with pytest.raises(ValueError, match="bilinear"):
        MT.Resize(4, interpolation="nearest")


# ---- Pad, crops, flips, grayscale ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, [1, 3], [0, 1, 2, 3], [3, -1, 2, -2]])
def test_pad_matches_torchvision(mode, padding):
    rng = np.random.default_rng(5)
    for channels in (None, 3):
        img = _img(rng, 6, 7, channels)
        ref = np.asarray(T.Pad(padding, fill=9, padding_mode=mode)(_pil(img)))
        assert np.array_equal(MT.Pad(padding, fill=9, padding_mode=mode)(img), ref)
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    ref = T.Pad(padding, fill=1.5, padding_mode=mode)(torch.from_numpy(x)).numpy()
    assert np.array_equal(MT.Pad(padding, fill=1.5, padding_mode=mode)(Tensor._wrap(x))._data, ref)


def test_pad_fill_per_channel_and_errors():
    img = _img(np.random.default_rng(6), 4, 5, 3)
    ref = np.asarray(T.Pad(2, fill=(10, 20, 30))(_pil(img)))
    assert np.array_equal(MT.Pad(2, fill=(10, 20, 30))(img), ref)
    with pytest.raises(ValueError, match="does not match"):
        MT.Pad(1, fill=(1, 2))(img)
    with pytest.raises(ValueError, match="1, 2, or 4 element"):
        MT.Pad([1, 2, 3])
    with pytest.raises(ValueError, match="padding_mode"):
        MT.Pad(1, padding_mode="wrap")
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        MT.Pad(4, padding_mode="reflect")(Tensor._wrap(np.zeros((1, 3, 3), np.float32)))


@pytest.mark.parametrize("size", [4, (3, 6), (9, 12), (8, 3)])
def test_center_crop_matches_torchvision(size):
    rng = np.random.default_rng(7)
    img = _img(rng, 7, 8, 3)
    assert np.array_equal(MT.CenterCrop(size)(img), np.asarray(T.CenterCrop(size)(_pil(img))))
    x = rng.standard_normal((3, 7, 8)).astype(np.float32)
    assert np.array_equal(MT.CenterCrop(size)(Tensor._wrap(x))._data, T.CenterCrop(size)(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("kwargs", [
    {"size": 5},
    {"size": (6, 4), "padding": 2},
    {"size": 8, "padding": [1, 2], "padding_mode": "reflect"},
    {"size": 12, "pad_if_needed": True, "fill": 7},
    {"size": (10, 3), "padding": [0, 1, 2, 3], "pad_if_needed": True, "padding_mode": "edge"},
])
def test_random_crop_geometry_equals_torchvision_given_the_same_corner(kwargs, monkeypatch):
    rng = np.random.default_rng(8)
    img = _img(rng, 7, 9, 3)
    x = rng.standard_normal((3, 7, 9)).astype(np.float32)
    ours = MT.RandomCrop(**kwargs)
    drawn = []
    monkeypatch.setattr(T.RandomCrop, "get_params", staticmethod(lambda im, size: drawn.pop(0)))
    for seed in range(5):
        mt.manual_seed(seed)
        top, left = ours.draw(tuple(F.get_dimensions(img)))
        mt.manual_seed(seed)
        out = ours(img)
        drawn.append((top, left, *ours.size))
        assert np.array_equal(out, np.asarray(T.RandomCrop(**kwargs)(_pil(img))))
        mt.manual_seed(seed)
        out_t = ours(Tensor._wrap(x))
        drawn.append((top, left, *ours.size))
        assert np.array_equal(out_t._data, T.RandomCrop(**kwargs)(torch.from_numpy(x)).numpy())


def test_random_crop_is_seeded_uniform_and_checks_size():
    img = _img(np.random.default_rng(9), 10, 10, None)
    crop = MT.RandomCrop(8)
    mt.manual_seed(0)
    first = [crop(img) for _ in range(20)]
    mt.manual_seed(0)
    assert all(np.array_equal(a, crop(img)) for a in first)
    mt.manual_seed(1)
    corners = [MT.RandomCrop.get_params(img, (8, 8))[:2] for _ in range(900)]
    counts = np.zeros((3, 3), int)
    for top, left in corners:
        counts[top, left] += 1
    assert counts.min() > 60  # all 9 corners drawn, roughly evenly (expected 100 each)
    assert MT.RandomCrop.get_params(img, (10, 10)) == (0, 0, 10, 10)
    with pytest.raises(ValueError, match="larger than input image size"):
        crop(_img(np.random.default_rng(0), 5, 12, None))


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_random_horizontal_flip_branches_match_torchvision(p):
    rng = np.random.default_rng(10)
    img = _img(rng, 5, 6, 3)
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    assert np.array_equal(MT.RandomHorizontalFlip(p)(img), np.asarray(T.RandomHorizontalFlip(p)(_pil(img))))
    ref = T.RandomHorizontalFlip(p)(torch.from_numpy(x)).numpy()
    assert np.array_equal(MT.RandomHorizontalFlip(p)(Tensor._wrap(x))._data, ref)


def test_random_flip_and_grayscale_draw_from_the_global_generator():
    img = _img(np.random.default_rng(11), 4, 4, 3)
    for t, p in ((MT.RandomHorizontalFlip(), 0.5), (MT.RandomGrayscale(), 0.1)):
        mt.manual_seed(3)
        outs = [t(img) for _ in range(2000)]
        changed = np.mean([not np.array_equal(o, img) for o in outs])
        assert abs(changed - p) < 0.04, (t, changed)
        mt.manual_seed(3)
        assert all(np.array_equal(o, t(img)) for o in outs)


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_random_grayscale_branches_match_torchvision(p):
    rng = np.random.default_rng(12)
    img = _img(rng, 6, 5, 3)
    assert np.array_equal(MT.RandomGrayscale(p)(img), np.asarray(T.RandomGrayscale(p)(_pil(img))))
    gray = _img(rng, 6, 5, None)
    assert np.array_equal(MT.RandomGrayscale(p)(gray), np.asarray(T.RandomGrayscale(p)(_pil(gray))))
    for x in (rng.random((2, 3, 6, 5)).astype(np.float32), img.transpose(2, 0, 1).copy()):
        ref = T.RandomGrayscale(p)(torch.from_numpy(x)).numpy()
        assert np.array_equal(MT.RandomGrayscale(p)(Tensor._wrap(x))._data, ref)


def test_lambda_and_compose():
    pipeline = MT.Compose([MT.Lambda(lambda a: a[::2]), MT.ToTensor()])
    img = _img(np.random.default_rng(13), 6, 4, None)
    assert np.array_equal(pipeline(img)._data, T.Compose([T.Lambda(lambda a: a[::2]), T.ToTensor()])(img).numpy())
    assert pipeline.batch is None and MT.Lambda(abs).batch is None
    with pytest.raises(TypeError, match="callable"):
        MT.Lambda(3)


# ---- batches ------------------------------------------------------------------------------------------------
def _pipelines():
    return {
        "cifar-augment": MT.Compose([MT.RandomCrop(32, padding=4), MT.RandomHorizontalFlip(), MT.RandomGrayscale(0.3),
                                     MT.ToTensor(), MT.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))]),
        "resize-center": MT.Compose([MT.Resize(40), MT.CenterCrop(36), MT.Pad(1, fill=(1, 2, 3)), MT.ToTensor()]),
        "nested": MT.Compose([MT.Compose([MT.RandomCrop(30, pad_if_needed=True, padding_mode="symmetric")]),
                              MT.ToTensor(), MT.RandomHorizontalFlip(), MT.Resize((17, 19)), MT.RandomGrayscale(0.5)]),
    }


@pytest.mark.parametrize("name", ["cifar-augment", "resize-center", "nested"])
def test_batch_equals_item_by_item_with_the_same_seed(name):
    pipeline = _pipelines()[name]
    images = np.random.default_rng(14).integers(0, 256, size=(16, 32, 32, 3), dtype=np.uint8)
    mt.manual_seed(5)
    items = np.stack([pipeline(img)._data for img in images])
    mt.manual_seed(5)
    batch = pipeline.batch(images.copy())
    assert batch.dtype == items.dtype and np.array_equal(batch._data, items)
    mt.manual_seed(5)
    assert np.array_equal(pipeline.batch(images.copy())._data, items)  # and reproducible


def test_batch_of_tensors_equals_item_by_item():
    pipeline = MT.Compose([MT.RandomCrop(6, padding=1), MT.RandomHorizontalFlip(), MT.Normalize((0.5,), (2.0,))])
    x = np.random.default_rng(15).random((9, 1, 7, 7)).astype(np.float32)
    mt.manual_seed(6)
    items = np.stack([pipeline(Tensor._wrap(img))._data for img in x])
    mt.manual_seed(6)
    assert np.array_equal(pipeline.batch(Tensor._wrap(x))._data, items)
