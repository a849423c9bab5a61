"""RMSNorm / F.rms_norm, ConvTranspose1d / F.conv_transpose1d, LazyConv1d, LazyConvTranspose1d/2d,
LazyInstanceNorm1d/2d, Dropout1d, AlphaDropout / F.alpha_dropout, FeatureAlphaDropout against torch: float64 exact and
float32 against the float64 truth (values and gradients under a random upstream gradient), state_dict keys, reprs,
the random layers' deterministic parts (which units survive, the affine map, the gradient) and statistics, bad input."""

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
rng = np.random.default_rng(0)


# ---- RMSNorm ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,normalized,eps,weighted", [
    ((4, 6), [6], None, False), ((2, 3, 5), [3, 5], 1e-3, True), ((3, 7), (7,), 0.5, True), ((5,), [5], None, True),
])
def test_rms_norm_matches_torch(shape: tuple, normalized: list, eps: float | None, weighted: bool) -> None:
    x, w = rng.standard_normal(shape), rng.standard_normal(tuple(normalized))
    function_parity(lambda a, b: F.rms_norm(a, normalized, b if weighted else None, eps),
                    lambda a, b: TF.rms_norm(a, normalized, b if weighted else None, eps), [x, w], [True, weighted],
                    what="rms_norm")


def test_rms_norm_default_eps_is_the_dtypes_epsilon() -> None:
    x = np.full((2, 3), 1e-5)  # tiny values: ε dominates the mean square, so the dtype's epsilon shows
    for dtype in (np.float32, np.float64):
        ours = F.rms_norm(mt.tensor(x.astype(dtype)), [3])
        theirs = TF.rms_norm(torch.tensor(x.astype(dtype)), [3])
        assert_close(ours, theirs, np.float64 if dtype == np.float64 else np.float32)


@pytest.mark.parametrize("ctor", [lambda nn: nn.RMSNorm(5), lambda nn: nn.RMSNorm([3, 5], eps=1e-4),
                                  lambda nn: nn.RMSNorm(5, elementwise_affine=False)])
def test_rms_norm_module_matches_torch(ctor) -> None:
    layer_parity(ctor, rng.standard_normal((2, 3, 5)), what="RMSNorm")
    assert repr(ctor(mt.nn)) == repr(ctor(torch.nn))
    assert list(ctor(mt.nn).state_dict()) == list(ctor(torch.nn).state_dict())


def test_rms_norm_second_order() -> None:
    x, v, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    grads = []
    for lib, f in ((torch, TF), (mt, F)):
        tx = lib.tensor(x, requires_grad=True)
        (gx,) = lib.autograd.grad((f.rms_norm(tx, [4]) * lib.tensor(w)).sum(), tx, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        grads.append(tx.grad)
    assert_close(grads[1], grads[0], np.float64, what="rms_norm second order")


# ---- ConvTranspose1d ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(groups=2, dilation=2),
                                dict(stride=3, padding=2, dilation=2, output_padding=2)])
def test_conv_transpose1d_matches_torch(kw: dict) -> None:
    groups = kw.get("groups", 1)
    x, w, b = rng.standard_normal((2, 4, 7)), rng.standard_normal((4, 6 // groups, 3)), rng.standard_normal(6)
    function_parity(lambda *t: F.conv_transpose1d(*t, **kw), lambda *t: TF.conv_transpose1d(*t, **kw),
                    [x, w, b], [True, True, True], what=f"conv_transpose1d {kw}")


def test_conv_transpose1d_unbatched() -> None:
    x, w = rng.standard_normal((3, 5)), rng.standard_normal((3, 2, 4))
    function_parity(lambda *t: F.conv_transpose1d(*t, stride=2), lambda *t: TF.conv_transpose1d(*t, stride=2),
                    [x, w], [True, True], what="conv_transpose1d unbatched")


@pytest.mark.parametrize("ctor", [lambda nn: nn.ConvTranspose1d(4, 6, 3),
                                  lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2, output_padding=1, groups=2,
                                                                bias=False, dilation=2)])
def test_conv_transpose1d_module_matches_torch(ctor) -> None:
    layer_parity(ctor, rng.standard_normal((2, 4, 5)), what="ConvTranspose1d")
    assert repr(ctor(mt.nn)) == repr(ctor(torch.nn))
    assert list(ctor(mt.nn).state_dict()) == list(ctor(torch.nn).state_dict())


def test_conv_transpose1d_output_size() -> None:
    x = rng.standard_normal((2, 3, 5))
    theirs = torch.nn.ConvTranspose1d(3, 2, 3, stride=3).double()
    ours = mt.nn.ConvTranspose1d(3, 2, 3, stride=3).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for size in ([15], [17], (2, 2, 16)):
        assert_close(ours(mt.tensor(x), output_size=size), theirs(torch.tensor(x), output_size=size).detach(),
                     np.float64, what=f"output_size={size}")
    for lib in (torch, mt):
        m = lib.nn.ConvTranspose1d(3, 2, 3, stride=3)
        with pytest.raises(ValueError, match=r"requested an output size of \[20\], but valid sizes range from \[15\]"):
            m(lib.zeros(2, 3, 5), output_size=[20])


CONV_T_BAD = [
    (lambda f, lib: f.conv_transpose1d(lib.zeros(2, 3, 4, 5), lib.zeros(3, 2, 3)), RuntimeError,
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv_transpose1d, but got input of size: \[2, 3, 4, 5\]"),
    (lambda f, lib: lib.nn.ConvTranspose1d(3, 2, 3)(lib.zeros(2, 4, 5)), RuntimeError,
     "to have 3 channels, but got 4 channels instead"),
    (lambda f, lib: f.conv_transpose1d(lib.zeros(2, 3, 4), lib.zeros(4, 2, 3)), RuntimeError,
     r"Given transposed=1, weight of size \[4, 2, 3\], expected input\[2, 3, 4\] to have 4 channels, but got 3"),
    (lambda f, lib: lib.nn.ConvTranspose1d(3, 2, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose1d'),
    (lambda f, lib: f.conv_transpose1d(lib.zeros(2, 3, 4), lib.zeros(3, 2, 3), stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation"),
]


@pytest.mark.parametrize("index", range(len(CONV_T_BAD)))
def test_conv_transpose1d_bad_input(index: int) -> None:
    call, exc, match = CONV_T_BAD[index]
    for f, lib in ((TF, torch), (F, mt)):
        with pytest.raises(exc, match=match):
            call(f, lib)


# ---- lazy layers --------------------------------------------------------------------------------------------------
LAZY = [
    (lambda nn: nn.LazyConv1d(4, 3, padding=1, groups=2), lambda nn: nn.Conv1d(6, 4, 3, padding=1, groups=2),
     (2, 6, 7)),
    (lambda nn: nn.LazyConv1d(3, 2), lambda nn: nn.Conv1d(5, 3, 2), (5, 6)),
    (lambda nn: nn.LazyConvTranspose1d(4, 3, stride=2), lambda nn: nn.ConvTranspose1d(6, 4, 3, stride=2), (2, 6, 5)),
    (lambda nn: nn.LazyConvTranspose2d(4, 3, groups=2, bias=False),
     lambda nn: nn.ConvTranspose2d(6, 4, 3, groups=2, bias=False), (2, 6, 4, 4)),
    (lambda nn: nn.LazyConvTranspose2d(2, (1, 3)), lambda nn: nn.ConvTranspose2d(3, 2, (1, 3)), (3, 4, 5)),
    (lambda nn: nn.LazyInstanceNorm1d(), lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
     (2, 3, 6)),
    (lambda nn: nn.LazyInstanceNorm2d(affine=False),
     lambda nn: nn.InstanceNorm2d(3, track_running_stats=True), (2, 3, 4, 4)),
]


@pytest.mark.parametrize("index", range(len(LAZY)))
def test_lazy_layers_become_their_eager_twin(index: int) -> None:
    lazy, eager, shape = LAZY[index]
    x = rng.standard_normal(shape).astype(np.float32)
    mt.manual_seed(5)
    ours = lazy(mt.nn)
    theirs = lazy(torch.nn)
    assert repr(ours) == repr(theirs)
    assert all(isinstance(p, mt.nn.UninitializedParameter) for p in ours.parameters())
    y = ours(mt.tensor(x))
    theirs(torch.tensor(x))
    mt.manual_seed(5)
    ref = eager(mt.nn)
    y_ref = ref(mt.tensor(x))  # the same forward (a norm layer's running statistics move)
    assert type(ours) is type(ref) and repr(ours) == repr(ref) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    for (k, a), (_, b) in zip(ours.state_dict().items(), ref.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)  # the eager layer's init, same draws
    np.testing.assert_array_equal(y.detach().numpy(), y_ref.detach().numpy())


def test_lazy_conv_bad_input_as_torch() -> None:
    for lib in (torch, mt):
        with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input to LazyConv1d"):
            lib.nn.LazyConv1d(3, 2)(lib.zeros(1, 2, 3, 4))
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConvTranspose1d(4, 3, groups=2)(lib.zeros(2, 3, 5))


# ---- dropout variants ---------------------------------------------------------------------------------------------
def test_dropout1d_zeroes_whole_channels_and_scales() -> None:
    x = rng.standard_normal((8, 16, 10)) + 3.0
    mt.manual_seed(1)
    mx = mt.tensor(x, requires_grad=True)
    y = F.dropout1d(mx, 0.25)
    g = rng.standard_normal(x.shape)
    y.backward(mt.tensor(g))
    out = y.detach().numpy()
    kept = out[..., 0] != 0
    assert np.all((out == 0).all(-1) | kept)  # a channel is dropped whole or kept whole
    np.testing.assert_allclose(out[kept], x[kept] / 0.75, rtol=1e-15)
    np.testing.assert_allclose(mx.grad.numpy(), g * kept[..., None] / 0.75, rtol=1e-15)
    assert 0.1 < 1 - kept.mean() < 0.4
    unbatched = F.dropout1d(mt.tensor(x[0]), 0.5).numpy()
    assert np.all((unbatched == 0).all(-1) | (unbatched != 0).all(-1))


def _alpha_parts(p: float) -> tuple[float, float]:
    alpha = 1.7580993408473766
    a = 1.0 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    return a, alpha * a * p - alpha * a


@pytest.mark.parametrize("feature", [False, True])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_affine_map_and_gradient(feature: bool, p: float) -> None:
    """Kept units are a·x + α'ap, dropped ones the constant α'a(p - 1), the gradient a on kept units (torch's
    kernel); feature form: one draw per (n, c)."""
    x = rng.standard_normal((6, 8, 5))
    g = rng.standard_normal(x.shape)
    mt.manual_seed(2)
    mx = mt.tensor(x, requires_grad=True)
    y = (F.feature_alpha_dropout if feature else F.alpha_dropout)(mx, p, training=True)
    y.backward(mt.tensor(g))
    a, dropped_value = _alpha_parts(p)
    out = y.detach().numpy()
    kept = np.abs(out - (a * x + 1.7580993408473766 * a * p)) < 1e-12
    assert np.all(kept | (np.abs(out - dropped_value) < 1e-12))
    if feature:
        assert np.all(kept.all(-1) | ~kept.any(-1))
    np.testing.assert_allclose(mx.grad.numpy(), g * a * kept, rtol=1e-14, atol=0)
    assert abs((1 - kept.mean()) - p) < 0.15


def test_alpha_dropout_keeps_zero_mean_unit_variance() -> None:
    mt.manual_seed(3)
    y = F.alpha_dropout(mt.tensor(rng.standard_normal(200000)), 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01  # what torch's kernel is built to keep
    t = TF.alpha_dropout(torch.tensor(rng.standard_normal(200000)), 0.3, training=True).numpy()
    assert abs(t.mean() - y.mean()) < 0.02 and abs(t.std() - y.std()) < 0.02


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_identity_and_edges_as_torch(name: str) -> None:
    x = rng.standard_normal((3, 4, 2))
    for kw in (dict(p=0.5), dict(p=0.5, training=False), dict(p=0.0, training=True), dict(p=1.0, training=True)):
        theirs = getattr(TF, name)(torch.tensor(x), **kw)
        ours = getattr(F, name)(mt.tensor(x), **kw)
        assert_close(ours, theirs, np.float64, what=f"{name} {kw}")


DROPOUT_MODULES = [lambda nn: nn.Dropout1d(), lambda nn: nn.Dropout1d(0.2, inplace=True),
                   lambda nn: nn.AlphaDropout(0.3), lambda nn: nn.FeatureAlphaDropout(0.1)]


@pytest.mark.parametrize("ctor", DROPOUT_MODULES)
def test_dropout_modules_repr_eval_identity(ctor) -> None:
    ours, theirs = ctor(mt.nn), ctor(torch.nn)
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == []
    x = rng.standard_normal((2, 3, 4))
    assert_close(ours.eval()(mt.tensor(x)), theirs.eval()(torch.tensor(x)), np.float64)
    mt.manual_seed(0)
    a = ours.train()(mt.tensor(x)).numpy()
    mt.manual_seed(0)
    b = ctor(mt.nn)(mt.tensor(x)).numpy()
    assert np.array_equal(a, b)  # mt.manual_seed repeats the draw


DROPOUT_BAD = [
    (lambda f, lib: f.dropout1d(lib.zeros(3)), RuntimeError, "dropout1d: Expected 2D or 3D input, but received a 1D"),
    (lambda f, lib: f.alpha_dropout(lib.zeros(3), 1.5), ValueError, "dropout probability has to be between 0 and 1"),
    (lambda f, lib: f.feature_alpha_dropout(lib.zeros(3), 0.5, True), RuntimeError,
     "Feature dropout requires at least 2 dimensions in the input"),
    (lambda f, lib: lib.nn.Dropout1d(2.0), ValueError, "dropout probability has to be between 0 and 1, but got 2.0"),
]


@pytest.mark.parametrize("index", range(len(DROPOUT_BAD)))
def test_dropout_bad_input_as_torch(index: int) -> None:
    call, exc, match = DROPOUT_BAD[index]
    for f, lib in ((TF, torch), (F, mt)):
        with pytest.raises(exc, match=match):
            call(f, lib)


def test_rms_norm_bad_input_as_torch() -> None:
    for f, lib in ((TF, torch), (F, mt)):
        with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*5\]"):
            f.rms_norm(lib.zeros(2, 3), [5])
        with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
            f.rms_norm(lib.zeros(2, 3), [3], weight=lib.ones(2))
        with pytest.raises(RuntimeError, match="Expected normalized_shape to be at least 1-dimensional"):
            f.rms_norm(lib.zeros(2, 3), [])
