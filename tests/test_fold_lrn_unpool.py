"""Unfold/Fold, LocalResponseNorm, ChannelShuffle, Bilinear, LPPool2d and MaxUnpool2d (functional and modules)
against torch: float64 exact and float32 against the float64 truth, values and gradients under a random upstream
gradient, second order, reprs and state_dict keys, and bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _grad_parity import function_parity, layer_parity  # noqa: E402
from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as F  # noqa: E402

TF = torch.nn.functional

# kernel, dilation, padding, stride
FOLD_CASES = [((2, 3), 1, 0, 1), (3, (2, 1), 1, 2), (2, 1, (1, 0), (1, 2))]


@pytest.mark.parametrize("k,d,p,s", FOLD_CASES)
def test_unfold_and_fold_match_torch(k, d, p, s) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 7))
    function_parity(lambda t: F.unfold(t, k, d, p, s), lambda t: TF.unfold(t, k, d, p, s), [x], [True],
                    what=f"unfold {k, d, p, s}")
    function_parity(lambda t: F.unfold(t, k, d, p, s), lambda t: TF.unfold(t, k, d, p, s), [x[0]], [True],
                    what="unfold unbatched")
    cols = TF.unfold(torch.tensor(x), k, d, p, s).numpy()
    function_parity(lambda t: F.fold(t, (6, 7), k, d, p, s), lambda t: TF.fold(t, (6, 7), k, d, p, s),
                    [rng.standard_normal(cols.shape)], [True], what=f"fold {k, d, p, s}")
    function_parity(lambda t: F.fold(t, (6, 7), k, d, p, s), lambda t: TF.fold(t, (6, 7), k, d, p, s),
                    [rng.standard_normal(cols.shape[1:])], [True], what="fold unbatched")


def test_fold_unfold_second_order_and_modules() -> None:
    rng = np.random.default_rng(1)
    x, v = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((1, 2, 5, 5))
    grads = []
    for lib, f in ((torch, TF), (mt, F)):
        tx = lib.tensor(x, requires_grad=True)
        y = f.fold(f.unfold(tx, 3, padding=1), (5, 5), 3, padding=1)
        (gx,) = lib.autograd.grad((y * y).sum(), tx, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        grads.append(tx.grad)
    assert_close(grads[1], grads[0], np.float64, what="fold(unfold) second order")
    for make in (lambda nn: nn.Unfold((2, 3), padding=1), lambda nn: nn.Fold((4, 5), 2, stride=(1, 2))):
        assert repr(make(mt.nn)) == repr(make(torch.nn))
    cols = rng.standard_normal((2, 8, 6))
    assert_close(mt.nn.Fold((4, 5), 2, stride=(1, 2))(mt.tensor(cols)),
                 torch.nn.Fold((4, 5), 2, stride=(1, 2))(torch.tensor(cols)), np.float64, what="Fold module")


@pytest.mark.parametrize("size,shape", [(3, (2, 6, 4, 4)), (4, (2, 5, 7)), (5, (1, 7, 2, 3, 2))])
def test_local_response_norm_matches_torch(size: int, shape: tuple) -> None:
    x = np.random.default_rng(2).standard_normal(shape) * 3
    layer_parity(lambda nn: nn.LocalResponseNorm(size, alpha=0.01, beta=0.75, k=2.0), x, what=f"LRN {size} {shape}")
    assert repr(mt.nn.LocalResponseNorm(size)) == repr(torch.nn.LocalResponseNorm(size))


def test_channel_shuffle_matches_torch() -> None:
    x = np.random.default_rng(3).standard_normal((2, 6, 3, 2))
    layer_parity(lambda nn: nn.ChannelShuffle(3), x, what="ChannelShuffle")
    assert repr(mt.nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3))
    assert_close(F.channel_shuffle(mt.tensor(x[..., 0]), 2), TF.channel_shuffle(torch.tensor(x[..., 0]), 2),
                 np.float64, what="channel_shuffle 3-d")


def test_bilinear_matches_torch() -> None:
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5)), rng.standard_normal((6, 4, 5)),
              rng.standard_normal(6)]
    function_parity(F.bilinear, TF.bilinear, arrays, [True, True, True, True], what="bilinear")
    function_parity(F.bilinear, TF.bilinear, [a[0, 0] for a in arrays[:2]] + arrays[2:3], [True, True, True],
                    what="bilinear 1-d, no bias")
    torch.manual_seed(0)
    theirs, ours = torch.nn.Bilinear(4, 5, 6, bias=False), mt.nn.Bilinear(4, 5, 6, bias=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"] and repr(ours) == repr(theirs)
    assert np.abs(ours.weight.detach().numpy()).max() <= 1 / np.sqrt(4)
    ours.load_state_dict({"weight": theirs.weight.detach().numpy()})
    x1, x2 = arrays[0], arrays[1]
    assert_close(ours(mt.tensor(x1, dtype=mt.float32), mt.tensor(x2, dtype=mt.float32)),
                 theirs(torch.tensor(x1, dtype=torch.float32), torch.tensor(x2, dtype=torch.float32)), np.float32,
                 what="Bilinear module float32")


@pytest.mark.parametrize("p,k,s,ceil", [(2.0, 2, None, False), (3.0, (2, 3), (1, 2), True), (1.5, 3, 2, False)])
def test_lp_pool2d_matches_torch(p: float, k, s, ceil: bool) -> None:
    x = np.random.default_rng(5).uniform(0.1, 2.0, (2, 3, 7, 8))  # positive: a fractional power is real
    function_parity(lambda t: F.lp_pool2d(t, p, k, s, ceil), lambda t: TF.lp_pool2d(t, p, k, s, ceil), [x], [True],
                    what=f"lp_pool2d {p, k, s, ceil}")
    assert repr(mt.nn.LPPool2d(p, k, s, ceil)) == repr(torch.nn.LPPool2d(p, k, s, ceil))
    assert_close(mt.nn.LPPool2d(p, k, s, ceil)(mt.tensor(x)), torch.nn.LPPool2d(p, k, s, ceil)(torch.tensor(x)),
                 np.float64, what="LPPool2d module")


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 1, 1), (3, 2, 1)])
def test_max_unpool2d_matches_torch(k, s, p) -> None:
    """Overlapping windows (stride 1) repeat indices: the value is written once and each input gets its gradient."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 6, 6))
    pooled, idx = TF.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
    values = rng.standard_normal(pooled.shape)
    function_parity(lambda v: F.max_unpool2d(v, mt.tensor(idx.numpy()), k, s, p, (6, 6)),
                    lambda v: TF.max_unpool2d(v, idx, k, s, p, (6, 6)), [values], [True],
                    what=f"max_unpool2d {k, s, p}")
    ours_y, ours_i = mt.nn.MaxPool2d(k, s, p, return_indices=True)(mt.tensor(x))
    back = mt.nn.MaxUnpool2d(k, s, p)(ours_y, ours_i, output_size=(6, 6))
    assert_close(back, torch.nn.MaxUnpool2d(k, s, p)(pooled, idx, output_size=(6, 6)), np.float64, what="module")
    assert repr(mt.nn.MaxUnpool2d(k, s, p)) == repr(torch.nn.MaxUnpool2d(k, s, p))


def test_max_unpool2d_second_order() -> None:
    rng = np.random.default_rng(7)
    idx = torch.tensor(rng.integers(0, 16, (1, 2, 2, 2)))
    x, v = rng.standard_normal((1, 2, 2, 2)), rng.standard_normal((1, 2, 2, 2))
    grads = []
    for lib, f, i in ((torch, TF, idx), (mt, F, mt.tensor(idx.numpy()))):
        tx = lib.tensor(x, requires_grad=True)
        y = f.max_unpool2d(tx, i, 2)
        (gx,) = lib.autograd.grad((y * y).sum(), tx, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        grads.append(tx.grad)
    assert_close(grads[1], grads[0], np.float64, what="max_unpool2d second order")


def test_bad_input() -> None:
    with pytest.raises(RuntimeError, match="Only 3D or 4D input Tensors are supported \\(got 2D\\)"):
        F.unfold(mt.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(mt.zeros(1, 5, 4), 3, 2)
    with pytest.raises(RuntimeError, match="number of sliding blocks 2 \\* 2 = 4, but got input.size\\(2\\)=5"):
        F.fold(mt.zeros(1, 8, 5), 3, 2)
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality input \\(got 2 dimensions\\)"):
        F.local_response_norm(mt.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups. Got 5 channels"):
        F.channel_shuffle(mt.zeros(1, 5, 2), 2)
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 4 but expected 3"):
        F.bilinear(mt.zeros(2, 3), mt.zeros(2, 4), mt.zeros(5, 3, 3))
    with pytest.raises(RuntimeError, match="Found an invalid max index: 99 \\(output volumes are of size 4x4"):
        F.max_unpool2d(mt.zeros(1, 1, 2, 2), mt.full((1, 1, 2, 2), 99, dtype=mt.int64), 2)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(mt.zeros(1, 1, 2, 2), mt.zeros(1, 1, 2, 2, dtype=mt.int64), 2, output_size=(9, 9))
