"""F.interpolate / nn.Upsample, F.pad's modes and the binary cross-entropies against torch: forward and every
gradient under a random upstream gradient, float64 exact, float32 against the float64 truth."""

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


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


INTERP = [
    dict(scale_factor=2, mode="nearest"),
    dict(size=(5, 7), mode="nearest"),
    dict(scale_factor=(1.7, 0.6), mode="nearest"),
    dict(size=(7, 3), mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear", align_corners=False),
    dict(scale_factor=2, mode="bilinear", align_corners=True),
    dict(size=(7, 2), mode="bilinear", align_corners=False),
    dict(size=(6, 9), mode="bilinear", align_corners=True),
    dict(size=(1, 4), mode="bilinear", align_corners=True),
    dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True),
    dict(scale_factor=(0.7, 2.3), mode="bilinear"),
    dict(size=(3, 2), mode="area"),
    dict(scale_factor=1.6, mode="area"),
]


@pytest.mark.parametrize("kw", INTERP, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
def test_interpolate_2d(kw):
    function_parity(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), [_x(2, 3, 4, 5)], [True],
                    what=f"interpolate {kw}")


def test_interpolate_1d_and_3d():
    function_parity(lambda x: F.interpolate(x, scale_factor=2.5, mode="linear"),
                    lambda x: TF.interpolate(x, scale_factor=2.5, mode="linear"), [_x(2, 3, 4)], [True])
    function_parity(lambda x: F.interpolate(x, size=(3, 5, 2), mode="trilinear", align_corners=True),
                    lambda x: TF.interpolate(x, size=(3, 5, 2), mode="trilinear", align_corners=True),
                    [_x(1, 2, 2, 3, 4)], [True])
    function_parity(lambda x: F.interpolate(x, size=7), lambda x: TF.interpolate(x, size=7), [_x(2, 3, 4)], [True])


def test_upsample_modules():
    for make in (lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"), lambda nn: nn.Upsample(size=(3, 7)),
                 lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), lambda nn: nn.UpsamplingNearest2d(size=5)):
        layer_parity(make, _x(2, 2, 3, 4), what="Upsample")
        assert repr(make(mt.nn)) == repr(make(torch.nn))


def test_interpolate_errors():
    x = mt.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="bilinear"):
        F.interpolate(mt.zeros(1, 1, 3), scale_factor=2, mode="bilinear")


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (2, 1, 0, 3), (1, 1, 2, 0, 1, 2), (-1, 2, 1, -1)])
def test_pad_modes(mode, pad):
    shape = {2: (2, 3, 5), 4: (2, 3, 4, 5), 6: (1, 2, 3, 4, 5)}[len(pad)]
    function_parity(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode), [_x(*shape)], [True],
                    what=f"pad {mode} {pad}")


def test_pad_errors():
    with pytest.raises(RuntimeError, match="reflect padding"):
        F.pad(mt.zeros(1, 1, 3, 3), (3, 0), "reflect")
    with pytest.raises(NotImplementedError, match="unsupported padding mode"):
        F.pad(mt.zeros(1, 1, 3, 3), (1, 1), "wrap")
    with pytest.raises(ValueError, match="doesn't take in value"):
        F.pad(mt.zeros(1, 1, 3, 3), (1, 1), "replicate", 2.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy(reduction):
    rng = np.random.default_rng(3)
    p, t, w = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3)), rng.uniform(0.5, 2, (3,))
    function_parity(lambda x, y: F.binary_cross_entropy(x, y, reduction=reduction),
                    lambda x, y: TF.binary_cross_entropy(x, y, reduction=reduction), [p, t], [True, True],
                    what=f"bce {reduction}")
    function_parity(lambda x, y, ww: F.binary_cross_entropy(x, y, ww, reduction=reduction),
                    lambda x, y, ww: TF.binary_cross_entropy(x, y, ww, reduction=reduction), [p, t, w],
                    [True, False, False], what=f"bce weighted {reduction}")


def test_binary_cross_entropy_saturated_probabilities():
    """A float32 sigmoid gives exactly 0 and 1: torch's clamps keep the loss and gradient finite."""
    p, t = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    function_parity(lambda x, y: F.binary_cross_entropy(x, y, reduction="none"),
                    lambda x, y: TF.binary_cross_entropy(x, y, reduction="none"), [p, t], [True, False])
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(mt.tensor([1.5]), mt.tensor([1.0]))
    with pytest.raises(ValueError, match="target size"):
        F.binary_cross_entropy(mt.tensor([0.5]), mt.tensor([1.0, 0.0]))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'pos_weight'"):
        F.binary_cross_entropy_with_logits(mt.zeros(2), mt.zeros(2), pos_weight=mt.ones(2, requires_grad=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_with_logits(reduction):
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((5, 3)) * 8, rng.uniform(0, 1, (5, 3))
    w, pw = rng.uniform(0.5, 2, (5, 1)), rng.uniform(0.5, 3, (3,))
    function_parity(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
                    lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), [x, t],
                    [True, True], what=f"bce logits {reduction}")
    function_parity(lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, c, reduction=reduction, pos_weight=d),
                    lambda a, b, c, d: TF.binary_cross_entropy_with_logits(a, b, c, reduction=reduction,
                                                                           pos_weight=d),
                    [x, t, w, pw], [True, True, False, False], what=f"bce logits weighted {reduction}")


def test_bce_modules_and_large_logits():
    x = np.array([[-200.0, 200.0, 0.0], [30.0, -30.0, 1.0]])
    t = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])
    pw = mt.tensor([2.0, 0.5, 1.0], dtype=np.float64)
    ours = mt.nn.BCEWithLogitsLoss(pos_weight=pw)(mt.tensor(x), mt.tensor(t))
    theirs = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 0.5, 1.0], dtype=torch.float64))(
        torch.tensor(x), torch.tensor(t))
    assert_close(ours, theirs, np.float64)
    assert set(mt.nn.BCEWithLogitsLoss(pos_weight=pw).state_dict()) == {"pos_weight"}
    w = mt.tensor([1.0, 2.0, 3.0], dtype=np.float64)
    p = np.array([[0.2, 0.7, 0.9]])
    ours = mt.nn.BCELoss(weight=w, reduction="sum")(mt.tensor(p), mt.tensor(np.ones((1, 3))))
    theirs = torch.nn.BCELoss(weight=torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), reduction="sum")(
        torch.tensor(p), torch.ones(1, 3, dtype=torch.float64))
    assert_close(ours, theirs, np.float64)


def test_finite_differences_of_bce():
    """Independent of torch: central differences (float64) through the probabilities and the targets."""
    rng = np.random.default_rng(7)
    p = mt.tensor(rng.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    t = mt.tensor(rng.uniform(0, 1, (3, 4)), requires_grad=True)
    w = mt.tensor(rng.uniform(0.5, 2, (4,)))
    assert mt.autograd.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, w, reduction="sum"), [p, t])


@pytest.mark.parametrize("name, args, shape", [
    ("ReflectionPad2d", (2,), (2, 3, 4, 5)), ("ReflectionPad2d", ((1, 2, 3, 0),), (3, 4, 5)),
    ("ReplicationPad2d", ((2, 0, 1, 3),), (2, 2, 3, 3)), ("ReplicationPad1d", (3,), (2, 3, 4)),
    ("ReflectionPad1d", ((2, 1),), (2, 4)), ("CircularPad2d", (1,), (1, 2, 3, 3)),
    ("CircularPad1d", ((2, 1),), (1, 2, 3)),
    ("ZeroPad2d", ((1, 0, 2, 1),), (2, 2, 3, 3)), ("ZeroPad1d", (2,), (2, 3)),
    ("ConstantPad2d", (1, 3.5), (2, 2, 3, 3)), ("ConstantPad1d", ((1, 2), -1.0), (2, 3, 4)),
])
def test_padding_modules(name, args, shape):
    layer_parity(lambda nn: getattr(nn, name)(*args), _x(*shape), what=name)
    assert repr(getattr(mt.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
