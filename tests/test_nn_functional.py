"""mt.nn.functional against torch.nn.functional: activations, linear, softmax family, mse_loss; and a
finite-difference gradcheck (float64, independent of torch) over every functional op of the nn floor.

Inputs are NumPy arrays handed to both libraries; upstream gradients are random.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import TOL, rel_err  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn.autograd import gradcheck  # noqa: E402
from minitorch_cnn.nn import functional as F  # noqa: E402

DTYPES = [np.float64, np.float32]


def run_both(ours, theirs, arrays, dtype, seed=0):
    """Call ``ours`` and ``theirs`` on the same arrays (floating ones cast to ``dtype`` and requiring grad),
    backprop one random upstream gradient, and return the worst relative error over output and gradients."""
    rng = np.random.default_rng(seed)
    ins_m, ins_t = [], []
    for a in arrays:
        if a is None:
            ins_m.append(None)
            ins_t.append(None)
            continue
        a = np.asarray(a)
        grad = a.dtype.kind == "f"
        a = a.astype(dtype) if grad else a
        ins_m.append(mt.tensor(a, requires_grad=grad))
        ins_t.append(torch.tensor(a, requires_grad=grad))
    out_m, out_t = ours(*ins_m), theirs(*ins_t)
    assert out_m.dtype == np.dtype(str(out_t.dtype).replace("torch.", "")), (out_m.dtype, out_t.dtype)
    errs = {"forward": rel_err(out_m, out_t)}
    g = rng.standard_normal(tuple(out_t.shape)).astype(str(out_t.dtype).replace("torch.", ""))
    out_m.backward(mt.tensor(g))
    out_t.backward(torch.tensor(g))
    for i, (m, t) in enumerate(zip(ins_m, ins_t)):
        if t is not None and t.requires_grad:
            errs[f"grad {i}"] = rel_err(m.grad, t.grad)
    tol = TOL[np.dtype(dtype)]
    bad = {k: v for k, v in errs.items() if not v <= tol}
    assert not bad, f"relative errors above {tol:g}: {bad}"
    return max(errs.values())


# ---- activations and the softmax family ---------------------------------------------------------
ACTIVATIONS = {
    "relu": (F.relu, TF.relu),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    "silu": (F.silu, TF.silu),
    "softmax_dim1": (lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    "softmax_last": (lambda x: F.softmax(x, dim=-1), lambda x: TF.softmax(x, dim=-1)),
    "log_softmax_dim1": (lambda x: F.log_softmax(x, dim=1), lambda x: TF.log_softmax(x, dim=1)),
    "log_softmax_last": (lambda x: F.log_softmax(x, dim=-1), lambda x: TF.log_softmax(x, dim=-1)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name, dtype):
    ours, theirs = ACTIVATIONS[name]
    x = np.random.default_rng(1).standard_normal((4, 5, 6)) * 3  # tails of gelu/sigmoid included
    run_both(ours, theirs, [x], dtype)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_dtype_argument_casts_first(fn):
    x = np.random.default_rng(2).standard_normal((3, 7)).astype(np.float32)
    run_both(lambda t: getattr(F, fn)(t, dim=1, dtype=mt.float64), lambda t: getattr(TF, fn)(t, 1, dtype=torch.float64),
             [x], np.float32)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate='fast'"):
        F.gelu(mt.randn(3), approximate="fast")


# ---- linear ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5), (5,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias, dtype):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(shape), rng.standard_normal((4, 5)), rng.standard_normal(4) if bias else None]
    run_both(F.linear, TF.linear, arrays, dtype)


def test_linear_shape_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"linear: input \(8, 500\) does not fit weight \(50, 320\)"):
        F.linear(mt.randn(8, 500), mt.randn(50, 320))


# ---- mse_loss --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_mse_loss_matches_torch(reduction, weighted, dtype):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    if weighted:
        w = rng.random((4, 3, 2)) + 0.1
        run_both(lambda a, b, c: F.mse_loss(a, b, reduction=reduction, weight=c),
                 lambda a, b, c: TF.mse_loss(a, b, reduction=reduction, weight=c), [x, y, w], dtype)
    else:
        run_both(lambda a, b: F.mse_loss(a, b, reduction=reduction),
                 lambda a, b: TF.mse_loss(a, b, reduction=reduction), [x, y], dtype)


def test_mse_loss_broadcasts_with_torchs_warning():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    with pytest.warns(UserWarning, match="different to the input size"):
        run_both(F.mse_loss, TF.mse_loss, [x, y], np.float64)


def test_mse_loss_legacy_size_average_and_bad_reduction():
    x, y = mt.randn(3, 2), mt.randn(3, 2)
    with pytest.warns(UserWarning, match="deprecated"):
        total = F.mse_loss(x, y, size_average=False)
    assert abs(total.item() - F.mse_loss(x, y, reduction="sum").item()) < 1e-6
    with pytest.raises(ValueError, match="reduction='avg'"):
        F.mse_loss(x, y, reduction="avg")


# ---- the conv/pool re-exports -----------------------------------------------------------------------
def test_functional_reexports_the_conv_and_pool_ops():
    from minitorch_cnn.ops import conv, pooling

    assert F.conv2d is conv.conv2d
    for name in ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"):
        assert getattr(F, name) is getattr(pooling, name)


# ---- gradcheck: finite differences, float64, every functional op of this floor ------------------------
def _x(*shape, seed=0, scale=1.0):
    arr = np.random.default_rng(seed).standard_normal(shape) * scale
    return mt.tensor(arr, dtype=mt.float64, requires_grad=True)


def _seeded(fn):
    """``fn`` with the global generator reseeded before each call, so random ops draw the same mask each time."""

    def call(*args):
        mt.manual_seed(7)
        return fn(*args)

    return call


def _bn_train(x, w, b):
    rm, rv = mt.zeros(x.shape[1], dtype=mt.float64), mt.ones(x.shape[1], dtype=mt.float64)
    return F.batch_norm(x, rm, rv, w, b, training=True)


def _bn_eval(x, w, b):
    rm = mt.tensor(np.linspace(-0.5, 0.5, x.shape[1]))
    rv = mt.tensor(np.linspace(0.5, 2.0, x.shape[1]))
    return F.batch_norm(x, rm, rv, w, b, training=False)


_T = mt.tensor(np.array([[0, 2], [1, -100], [3, 3]]))
_W = mt.tensor(np.array([0.5, 1.0, 2.0, 1.5]))
GRADCHECKS = {
    "gelu": (F.gelu, lambda: [_x(3, 4, scale=2)]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda: [_x(3, 4, scale=2)]),
    "silu": (F.silu, lambda: [_x(3, 4, scale=2)]),
    "linear": (F.linear, lambda: [_x(3, 4), _x(2, 4, seed=1), _x(2, seed=2)]),
    "batch_norm_train_2d": (_bn_train, lambda: [_x(5, 3), _x(3, seed=1), _x(3, seed=2)]),
    "batch_norm_train_4d": (_bn_train, lambda: [_x(3, 2, 2, 2), _x(2, seed=1), _x(2, seed=2)]),
    "batch_norm_eval_4d": (_bn_eval, lambda: [_x(3, 2, 2, 2), _x(2, seed=1), _x(2, seed=2)]),
    "batch_norm_no_affine": (lambda x: _bn_train(x, None, None), lambda: [_x(4, 3, 2)]),
    "dropout": (_seeded(lambda x: F.dropout(x, 0.4)), lambda: [_x(4, 5)]),
    "dropout2d": (_seeded(lambda x: F.dropout2d(x, 0.4)), lambda: [_x(3, 4, 2, 2)]),
    "cross_entropy_kdim_weight_ignore_smooth": (
        lambda x: F.cross_entropy(x, _T, weight=_W, label_smoothing=0.2), lambda: [_x(3, 4, 2)]),
    "cross_entropy_none": (lambda x: F.cross_entropy(x, _T, reduction="none"), lambda: [_x(3, 4, 2)]),
    "cross_entropy_probs": (
        lambda x, q: F.cross_entropy(x, q, weight=_W, label_smoothing=0.1), lambda: [_x(3, 4), _x(3, 4, seed=1)]),
    "nll_loss": (lambda x: F.nll_loss(x, _T, weight=_W, reduction="sum"), lambda: [_x(3, 4, 2)]),
    "mse_loss": (F.mse_loss, lambda: [_x(3, 4), _x(3, 4, seed=1)]),
    "mse_loss_weighted": (lambda a, b, w: F.mse_loss(a, b, weight=w), lambda: [_x(3, 4), _x(3, 4, seed=1),
                                                                               _x(3, 4, seed=2)]),
    "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 2, 1),
                         lambda: [_x(2, 4, 3, 3), _x(4, 1, 3, 3, seed=1), _x(2, seed=2)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (3, 2), w, b), lambda: [_x(2, 3, 2), _x(3, 2, seed=1),
                                                                         _x(3, 2, seed=2)]),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), lambda: [_x(2, 4, 3), _x(4, seed=1), _x(4, seed=2)]),
    "instance_norm": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                      lambda: [_x(2, 3, 2, 2), _x(3, seed=1), _x(3, seed=2)]),
    "interpolate_bilinear": (lambda x: F.interpolate(x, size=(5, 3), mode="bilinear"), lambda: [_x(1, 2, 3, 4)]),
    "interpolate_nearest": (lambda x: F.interpolate(x, scale_factor=1.5), lambda: [_x(1, 2, 3, 4)]),
    "pad_reflect": (lambda x: F.pad(x, (2, 1, 0, 2), "reflect"), lambda: [_x(2, 3, 4)]),
    "pad_replicate_circular": (lambda x: F.pad(F.pad(x, (1, 2), "replicate"), (2, 1), "circular"),
                               lambda: [_x(2, 3, 4)]),
    "binary_cross_entropy": (lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid(), _W[:3]),
                             lambda: [_x(4, 3), _x(4, 3, seed=1)]),
    "binary_cross_entropy_with_logits": (
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=_W[:3], reduction="sum"),
        lambda: [_x(4, 3, scale=3), _x(4, 3, seed=1)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck(name):
    fn, make_inputs = GRADCHECKS[name]
    assert gradcheck(fn, make_inputs(), eps=1e-6, atol=1e-7, rtol=1e-5)
