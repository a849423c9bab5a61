"""Every layer against its torch twin (torch's weights copied in through state_dict): forward and every input
and parameter gradient under a random upstream gradient, float64 and float32; a small CNN end to end in
training mode; the reprs; and the bad-input errors, raised before any work."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import TOL, assert_close, assert_f32_close, to_np  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn import nn  # noqa: E402
from tests._conditions import bn_conditions  # noqa: E402

DTYPES = [np.float64, np.float32]


def _pair(make, input_shape, dtype, seed=0):
    """The layer in both libraries with torch's parameters and buffers copied into ours."""
    torch.manual_seed(seed)
    theirs = make(torch.nn).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = make(nn).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _run(layer, lib, x, g, train):
    """{"forward", "dx", "d<param>"} of ``layer`` on ``x`` (``lib``'s tensors), backward with upstream ``g``."""
    layer.train(train)
    xl = lib.tensor(x, requires_grad=True)
    y = layer(xl)
    y.backward(lib.tensor(g))
    return {"forward": y, "dx": xl.grad} | {"d" + name: p.grad for name, p in layer.named_parameters()}


def _conditions(theirs, x, g, train, cond) -> dict:
    """The float32 conditions of a layer's results (the magnitude of the terms summed): "abs", the torch twin with
    |parameters| on |x| under |g| (sums of products: linear, conv, average pooling); "bn", BatchNorm's."""
    if cond == "abs":
        twin = copy.deepcopy(theirs).double()
        with torch.no_grad():
            for p in twin.parameters():
                p.abs_()
        return {k: v.detach() for k, v in _run(twin, torch, np.abs(x.astype(np.float64)),
                                                np.abs(g.astype(np.float64)), train).items()}
    if cond == "bn":
        params = [None if p is None else p.detach().numpy() for p in (theirs.weight, theirs.bias)]
        c = bn_conditions(x, *params, theirs.running_mean.numpy(), theirs.running_var.numpy(), g, train, 0.1)
        return {"forward": c["y"], "dx": c["dx"], "dweight": c["dw"], "dbias": c["db"]}
    return {}


def layer_parity(make, input_shape, dtype, tol=None, train=True, cond=None):
    """float64: ours against torch (``tol``, default 1e-10); float32: against torch's float64 twin (the same
    parameters) on the same inputs, the bound ``tol`` (default 1e-5) × ``cond``'s condition or torch's own float32
    error."""
    ours, theirs = _pair(make, input_shape, dtype)
    exact = copy.deepcopy(theirs).double()
    rng = np.random.default_rng(1)
    x = rng.standard_normal(input_shape).astype(dtype)
    out_shape = tuple(copy.deepcopy(exact).train(train)(torch.tensor(x.astype(np.float64))).shape)  # no side effect
    g = rng.standard_normal(out_shape).astype(dtype)
    conds = _conditions(theirs, x, g, train, cond) if dtype == np.float32 else {}
    results = _run(ours, mt, x, g, train), _run(theirs, torch, x, g, train)
    assert results[0]["forward"].shape == tuple(results[1]["forward"].shape)
    assert results[0]["forward"].dtype == dtype
    truth = _run(exact, torch, x.astype(np.float64), g.astype(np.float64), train)
    tol = TOL[np.dtype(dtype)] if tol is None else tol
    # a bias feeding a training BatchNorm has gradient 0 in exact arithmetic (the batch mean cancels it): both
    # sides hold rounding noise, so a gradient below tol × the model's largest is held to that scale
    largest = max([float(np.abs(v.numpy()).max()) for k, v in truth.items() if k.startswith("d") and k != "dx"],
                  default=0.0)
    for key, ours_value in results[0].items():
        theirs_value = results[1][key]
        own = float(np.abs(truth[key].detach().numpy()).max(initial=0.0))
        scale = largest if key.startswith("d") and key != "dx" and own <= tol * largest else None
        if dtype == np.float64:
            if scale is None:
                assert_close(ours_value, theirs_value, dtype, tol=tol, what=key)
            else:
                err = np.abs(to_np(ours_value) - to_np(theirs_value)).max()
                assert err <= tol * scale, f"{key}: {err:.3g} > {tol:g} x the largest gradient {scale:.3g}"
        else:
            assert_f32_close(ours_value, truth[key], torch32=theirs_value, cond=conds.get(key, scale), rtol=tol,
                             what=key)


LAYERS = {
    "Linear": (lambda L: L.Linear(7, 5), (6, 7)),
    "Linear_3d_input_no_bias": (lambda L: L.Linear(7, 5, bias=False), (2, 3, 7)),
    "Conv2d": (lambda L: L.Conv2d(3, 4, 3), (2, 3, 7, 7)),
    "Conv2d_stride_pad_dilation": (lambda L: L.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2), dilation=2),
                                   (2, 3, 9, 8)),
    "Conv2d_groups_no_bias": (lambda L: L.Conv2d(4, 6, 3, groups=2, bias=False, padding=1), (2, 4, 5, 5)),
    "Conv2d_same_even_kernel": (lambda L: L.Conv2d(2, 3, 4, padding="same"), (2, 2, 6, 5)),
    "Conv2d_valid": (lambda L: L.Conv2d(2, 3, 3, padding="valid"), (1, 2, 5, 5)),
    "Conv2d_unbatched": (lambda L: L.Conv2d(2, 3, 3, padding=1), (2, 5, 5)),
    "MaxPool2d": (lambda L: L.MaxPool2d(2), (2, 3, 6, 6)),
    "MaxPool2d_overlap_ceil": (lambda L: L.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 7)),
    "AvgPool2d": (lambda L: L.AvgPool2d(2), (2, 3, 6, 6)),
    "AvgPool2d_pad_exclude": (lambda L: L.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 7)),
    "AdaptiveAvgPool2d": (lambda L: L.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    "AdaptiveMaxPool2d": (lambda L: L.AdaptiveMaxPool2d(2), (2, 3, 6, 6)),
    "BatchNorm1d": (lambda L: L.BatchNorm1d(4), (8, 4)),
    "BatchNorm2d": (lambda L: L.BatchNorm2d(3), (4, 3, 5, 5)),
    "BatchNorm2d_no_bias": (lambda L: L.BatchNorm2d(3, bias=False), (4, 3, 2, 2)),
    "ReLU": (lambda L: L.ReLU(), (4, 5)),
    "LeakyReLU": (lambda L: L.LeakyReLU(0.1), (4, 5)),
    "Sigmoid": (lambda L: L.Sigmoid(), (4, 5)),
    "Tanh": (lambda L: L.Tanh(), (4, 5)),
    "GELU": (lambda L: L.GELU(), (4, 5)),
    "GELU_tanh": (lambda L: L.GELU(approximate="tanh"), (4, 5)),
    "SiLU": (lambda L: L.SiLU(), (4, 5)),
    "Softmax": (lambda L: L.Softmax(dim=1), (4, 5, 2)),
    "LogSoftmax": (lambda L: L.LogSoftmax(dim=-1), (4, 5)),
    "Flatten": (lambda L: L.Flatten(), (2, 3, 4, 5)),
    "Unflatten": (lambda L: L.Unflatten(1, (3, 4)), (2, 12)),
    "Identity": (lambda L: L.Identity(54, unused="x"), (3, 2)),
}


# layers whose results are sums of products with coefficients >= 0: their condition is the layer on |x|
ABS_LAYERS = ("Linear", "Conv2d", "AvgPool2d", "AdaptiveAvgPool2d")


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")  # torch's own
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(name, dtype):
    make, shape = LAYERS[name]
    cond = "bn" if name.startswith("BatchNorm") else "abs" if name.startswith(ABS_LAYERS) else None
    layer_parity(make, shape, dtype, cond=cond)


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d"])
def test_batchnorm_eval_matches_torch(name):
    make, shape = LAYERS[name]
    for dtype in DTYPES:
        layer_parity(make, shape, dtype, train=False, cond="bn")


def small_cnn(L):
    return L.Sequential(
        L.Conv2d(3, 8, 3, padding=1), L.BatchNorm2d(8), L.ReLU(), L.MaxPool2d(2),
        L.Conv2d(8, 16, 3, padding=1, bias=False), L.BatchNorm2d(16), L.GELU(), L.AdaptiveAvgPool2d(2),
        L.Flatten(), L.Linear(64, 32), L.Dropout(0.0), L.Tanh(), L.Linear(32, 10), L.LogSoftmax(dim=1),
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_cnn_training_step_matches_torch(dtype):
    # whole-model gradients: float32 within 1e-4 of the float64 truth (DESIGN.md) or torch's own float32 error,
    # float64 within 1e-10
    layer_parity(small_cnn, (4, 3, 12, 12), dtype, tol=1e-10 if dtype == np.float64 else 1e-4)


# ---- repr -------------------------------------------------------------------------------------------------
REPRS = [
    lambda L: L.Conv2d(3, 16, 3, padding=1),
    lambda L: L.Conv2d(3, 16, (3, 5), stride=2, dilation=(1, 2), groups=1, bias=False),
    lambda L: L.Conv2d(4, 8, 3, groups=2, padding="same"),
    lambda L: L.Linear(320, 50),
    lambda L: L.Linear(3, 2, bias=False),
    lambda L: L.MaxPool2d(2),
    lambda L: L.MaxPool2d((3, 2), stride=1, padding=1, ceil_mode=True),
    lambda L: L.AvgPool2d(2, stride=1, padding=1),
    lambda L: L.AdaptiveAvgPool2d((1, 1)),
    lambda L: L.AdaptiveMaxPool2d(4, return_indices=True),
    lambda L: L.ReLU(),
    lambda L: L.ReLU(inplace=True),
    lambda L: L.LeakyReLU(0.2, inplace=True),
    lambda L: L.GELU(approximate="tanh"),
    lambda L: L.Softmax(dim=1),
    lambda L: L.LogSoftmax(),
    lambda L: L.Flatten(),
    lambda L: L.Unflatten(1, (2, 3)),
    lambda L: L.Identity(),
    lambda L: L.Sigmoid(),
    lambda L: L.SiLU(),
    small_cnn,
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_repr_equals_torchs(i):
    assert repr(REPRS[i](nn)) == repr(REPRS[i](torch.nn))


# ---- bad input, caught before any work ------------------------------------------------------------------
def test_conv2d_wrong_channels_names_the_layer():
    with pytest.raises(RuntimeError, match=r"^Conv2d\(3, 16, kernel_size=\(3, 3\), stride=\(1, 1\)\): expected input "
                                           r"\(N, 3, H, W\), got \(64, 1, 28, 28\)$"):
        nn.Conv2d(3, 16, 3)(mt.randn(64, 1, 28, 28))
    with pytest.raises(RuntimeError, match=r"expected input \(N, 3, H, W\), got \(3, 28\)"):
        nn.Conv2d(3, 16, 3)(mt.randn(3, 28))


def test_linear_wrong_features_names_the_layer():
    with pytest.raises(RuntimeError, match=r"^Linear\(in_features=320, out_features=50, bias=True\): expected input "
                                           r"\(\*, 320\), got \(64, 500\)$"):
        nn.Linear(320, 50)(mt.randn(64, 500))


def test_pooling_wrong_rank_names_the_layer():
    with pytest.raises(RuntimeError, match=r"MaxPool2d\(kernel_size=2, .*\): expected input \(N, C, H, W\) or "
                                           r"\(C, H, W\), got \(4, 5\)"):
        nn.MaxPool2d(2)(mt.randn(4, 5))


def test_conv2d_constructor_errors():
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"out_channels \(5\) must be divisible by groups \(2\)"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(NotImplementedError, match="padding_mode='reflect' is not offered: only 'zeros'"):
        nn.Conv2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")


def test_factory_kwargs_dtype():
    lin = nn.Linear(3, 2, dtype=mt.float64)
    conv = nn.Conv2d(1, 2, 3, dtype=mt.float64)
    bn = nn.BatchNorm2d(2, dtype=mt.float64)
    assert all(t.dtype == np.float64 for m in (lin, conv, bn) for t in m.parameters())
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
