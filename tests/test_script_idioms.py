"""The idioms training scripts carry, against torch on a CPU: GradScaler's scaling, unscaling, inf-skipping and
scale updates; autocast regions; torch.compile's wrapper; memory formats; print options; the deterministic and
matmul-precision switches; the optimizers' implementation flags; bincount, diag, trunc_normal_, range indices;
inference_mode."""

from __future__ import annotations

import copy
import io
import math
import statistics
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close, assert_f32_close

import minitorch_cnn as mt

F64 = np.float64


# ---- GradScaler -----------------------------------------------------------------------------------------------


def _scaler_run(L: Any, nn: Any, inf_steps: set, dtype: Any, **kwargs: Any) -> list:
    """Steps of a Linear under a GradScaler("cpu"); ``inf_steps`` overflow their loss. Returns what a script sees."""
    lin = nn.Linear(4, 2).to(dtype)
    with L.no_grad():
        lin.weight.copy_(L.tensor(np.arange(8.0).reshape(2, 4) / 10, dtype=dtype))
        lin.bias.copy_(L.tensor([0.5, -0.25], dtype=dtype))
    opt = L.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    scaler = L.amp.GradScaler("cpu", **kwargs)
    seen = []
    for step in range(7):
        opt.zero_grad()
        x = L.tensor(np.linspace(-1.0, 1.0, 12).reshape(3, 4) * (step + 1), dtype=dtype)
        loss = (lin(x) ** 2).sum() * (math.inf if step in inf_steps else 1.0)
        scaled = scaler.scale(loss)
        scaled.backward()
        scaler.unscale_(opt)
        grad = lin.weight.grad.detach().clone()
        scaler.step(opt)
        scaler.update()
        seen.append((scaled.item(), grad, lin.weight.detach().clone(), scaler.get_scale(),
                     scaler._get_growth_tracker()))
    return seen + [scaler.state_dict()]


# an overflowed loss makes inf - inf in the backward: NumPy warns about it, torch does not
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("inf_steps", [set(), {2}, {0, 1, 4}])
@pytest.mark.parametrize("kwargs", [{}, {"init_scale": 3.0, "growth_interval": 2, "backoff_factor": 0.3}])
def test_grad_scaler_matches_torch(inf_steps: set, kwargs: dict) -> None:
    ours = _scaler_run(mt, mt.nn, inf_steps, mt.float64, **kwargs)
    theirs = _scaler_run(torch, torch.nn, inf_steps, torch.float64, **kwargs)
    assert ours[-1] == theirs[-1]
    for step, (o, t) in enumerate(zip(ours[:-1], theirs[:-1])):
        if math.isfinite(t[0]):  # the scaled loss
            assert_close(o[0], t[0], F64, what=f"scaled loss {step}")
        else:
            assert str(o[0]) == str(t[0]), step
        og, tg = o[1].numpy(), t[1].numpy()  # unscaled grads: inf/nan where torch has them, the rest to 1e-10
        np.testing.assert_array_equal(np.isfinite(og), np.isfinite(tg))
        assert_close(np.where(np.isfinite(og), og, 0), np.where(np.isfinite(tg), tg, 0), F64, what="grad")
        assert_close(o[2], t[2], F64, what=f"weight after step {step}")
        assert o[3:] == t[3:], step


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_grad_scaler_float32_against_the_float64_truth() -> None:
    kwargs = {"init_scale": 2.0**10, "growth_interval": 2}
    ours = _scaler_run(mt, mt.nn, {3}, mt.float32, **kwargs)
    truth = _scaler_run(mt, mt.nn, {3}, mt.float64, **kwargs)
    theirs = _scaler_run(torch, torch.nn, {3}, torch.float32, **kwargs)
    assert ours[-1] == theirs[-1]
    for step, (o, t, tt) in enumerate(zip(ours[:-1], truth[:-1], theirs[:-1])):
        assert o[2].dtype == mt.float32 and o[3:] == tt[3:], step  # the same skipped step, scale and tracker
        assert_f32_close(o[2], t[2], torch32=tt[2], what=f"weight after step {step}")


def test_grad_scaler_state_dict_round_trip_and_errors() -> None:
    scaler = mt.amp.GradScaler("cpu", init_scale=8.0)
    p = mt.nn.Parameter(mt.ones(2))
    opt = mt.optim.SGD([p], lr=0.1)
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    scaler.scale((p * 2).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step"):
        scaler.unscale_(opt)
    scaler.update()
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update"):
        scaler.update()
    other = mt.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict() == {"scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                                         "growth_interval": 2000, "_growth_tracker": 1}
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        other.load_state_dict(mt.amp.GradScaler("cpu", enabled=False).state_dict())
    scaler.update(new_scale=4.0)
    assert scaler.get_scale() == 4.0


def test_disabled_grad_scalers_pass_through_with_torchs_warnings() -> None:
    for lib in (torch, mt):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            deprecated = lib.cuda.amp.GradScaler()
            cuda = lib.amp.GradScaler("cuda")
        assert [w.category for w in caught] == [FutureWarning, UserWarning, UserWarning], lib.__name__
        assert "CUDA is not available" in str(caught[-1].message)
        for scaler in (deprecated, cuda, lib.amp.GradScaler("cpu", enabled=False)):
            p = lib.nn.Parameter(lib.ones(2, dtype=lib.float64))
            opt = lib.optim.SGD([p], lr=0.5)
            loss = (p * 3).sum()
            assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
            loss.backward()
            scaler.unscale_(opt)
            scaler.step(opt)
            scaler.update()
            assert p.detach().tolist() == [-0.5, -0.5] and not scaler.is_enabled()


# ---- autocast, compile ----------------------------------------------------------------------------------------


def test_autocast_disabled_regions_change_nothing_and_enabled_ones_are_refused() -> None:
    x = mt.tensor(np.arange(6.0).reshape(2, 3), dtype=mt.float32)
    with mt.autocast(device_type="cpu", enabled=False):
        y = x @ x.T
    assert y.dtype == mt.float32 and not mt.amp.is_autocast_enabled("cpu")

    @mt.autocast("cpu", enabled=False)
    def f(a: mt.Tensor) -> mt.Tensor:
        return a * 2

    assert f(x).dtype == mt.float32
    for lib in (torch, mt):  # "cuda" without a GPU: disabled, with torch's warning
        with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
            with lib.amp.autocast("cuda"):
                pass
    with pytest.raises(RuntimeError, match="bfloat16: minitorch_cnn computes in float32 and float64 only"):
        mt.autocast("cpu")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        mt.autocast("xyz")


def test_compile_wraps_without_changing_results() -> None:
    model = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.ReLU(), mt.nn.Linear(4, 2))
    compiled = mt.compile(model, mode="max-autotune")
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    assert repr(compiled) == repr(torch.compile(torch_model, backend="eager"))
    assert list(compiled.state_dict()) == list(torch.compile(torch_model, backend="eager").state_dict())
    assert compiled._orig_mod is model and mt.compile(mt.nn.Linear(3, 4)).in_features == 3  # read through
    x = mt.tensor(np.random.default_rng(0).standard_normal((5, 3)), dtype=mt.float32)
    np.testing.assert_array_equal(compiled(x).detach().numpy(), model(x).detach().numpy())
    compiled.eval()
    assert not model.training
    buf = io.BytesIO()
    mt.save(compiled.state_dict(), buf)
    again = mt.compile(mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.ReLU(), mt.nn.Linear(4, 2)))
    again.load_state_dict(mt.load(io.BytesIO(buf.getvalue())))
    np.testing.assert_array_equal(again(x).detach().numpy(), model(x).detach().numpy())
    assert copy.deepcopy(compiled).state_dict().keys() == compiled.state_dict().keys()
    assert mt.compile(math.sqrt) is math.sqrt and mt.compile(mode="default")(math.sqrt) is math.sqrt
    with pytest.raises(RuntimeError, match="Unrecognized mode=foo"):
        mt.compile(model, mode="foo")


# ---- memory formats -------------------------------------------------------------------------------------------


def test_channels_last_strides_are_torchs_and_values_unchanged() -> None:
    a = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    ours = mt.tensor(a).contiguous(memory_format=mt.channels_last)
    theirs = torch.tensor(a).contiguous(memory_format=torch.channels_last)
    assert ours.stride() == theirs.stride() and ours.stride(1) == theirs.stride(1)
    for fmt_ours, fmt_theirs in ((mt.channels_last, torch.channels_last), (mt.contiguous_format,
                                                                            torch.contiguous_format)):
        assert ours.is_contiguous(memory_format=fmt_ours) == theirs.is_contiguous(memory_format=fmt_theirs)
    assert mt.tensor(a).to(memory_format=mt.channels_last).stride() == theirs.stride()
    np.testing.assert_array_equal(ours.numpy(), a)
    assert ours.contiguous().stride() == theirs.contiguous().stride()
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        mt.ones(2, 3).contiguous(memory_format=mt.channels_last)
    conv_ours, conv_theirs = mt.nn.Conv2d(3, 2, 3).double(), torch.nn.Conv2d(3, 2, 3).double()
    conv_ours.load_state_dict({k: mt.tensor(v.detach().numpy()) for k, v in conv_theirs.state_dict().items()})
    conv_ours.to(memory_format=mt.channels_last)
    conv_theirs.to(memory_format=torch.channels_last)
    assert conv_ours.weight.stride() == conv_theirs.weight.stride() and conv_ours.bias.stride() == (1,)
    x = mt.tensor(a, requires_grad=True)
    g = np.random.default_rng(2).standard_normal((2, 2, 2, 3))
    out = conv_ours(x.contiguous(memory_format=mt.channels_last))
    out.backward(mt.tensor(g))
    xt = torch.tensor(a, requires_grad=True)
    out_t = conv_theirs(xt.contiguous(memory_format=torch.channels_last))
    out_t.backward(torch.tensor(g))
    assert_close(out, out_t, F64)
    assert_close(x.grad, xt.grad, F64)
    assert_close(conv_ours.weight.grad, conv_theirs.weight.grad, F64)


# ---- print options, flags, optimizer flags -------------------------------------------------------------------


@pytest.mark.parametrize("options", [
    {"precision": 2}, {"profile": "short"}, {"profile": "full"}, {"edgeitems": 2, "threshold": 10},
    {"sci_mode": True}, {"sci_mode": False, "linewidth": 40},
])
def test_print_options_print_as_torchs(options: dict) -> None:
    values = [np.array([1.23456, 2.0, 3.5, 4.0]), np.arange(2000.0), np.arange(30.0).reshape(6, 5),
              np.array([[0.000123, 12345.678, 3.0, 4.5, 6.25, 7.125]])]
    try:
        mt.set_printoptions(**options)
        torch.set_printoptions(**options)
        for v in values:
            assert repr(mt.tensor(v, dtype=mt.float32)) == repr(torch.tensor(v, dtype=torch.float32))
        assert mt.get_printoptions()["precision"] == torch._tensor_str.PRINT_OPTS.precision
    finally:
        mt.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_deterministic_and_matmul_precision_switches() -> None:
    try:
        mt.use_deterministic_algorithms(True, warn_only=True)
        assert mt.are_deterministic_algorithms_enabled() and mt.is_deterministic_algorithms_warn_only_enabled()
        for bad in ((1,), ("x",)):
            with pytest.raises(TypeError) as theirs:
                torch.use_deterministic_algorithms(*bad)
            with pytest.raises(TypeError) as ours:
                mt.use_deterministic_algorithms(*bad)
            assert str(ours.value) == str(theirs.value)
    finally:
        mt.use_deterministic_algorithms(False)
    assert not mt.are_deterministic_algorithms_enabled()
    try:
        mt.set_float32_matmul_precision("high")
        assert mt.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="x is not one of 'highest', 'high', or 'medium'"):
            mt.set_float32_matmul_precision("x")
        assert mt.get_float32_matmul_precision() == "high"
    finally:
        mt.set_float32_matmul_precision("highest")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_optimizer_flags_print_and_save_as_torchs(name: str) -> None:
    ours = getattr(mt.optim, name)([mt.nn.Parameter(mt.zeros(2))], lr=0.1, foreach=False)
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], lr=0.1, foreach=False)
    assert repr(ours) == repr(theirs)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    with pytest.raises(RuntimeError, match="differentiable=True is not supported"):
        getattr(mt.optim, name)([mt.nn.Parameter(mt.zeros(2))], differentiable=True)
    if "fused" in theirs.defaults:
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together."):
            getattr(mt.optim, name)([mt.nn.Parameter(mt.zeros(2))], fused=True, foreach=True)
    if "capturable" in theirs.defaults:
        p = mt.nn.Parameter(mt.zeros(2))
        p.grad = mt.ones(2)
        with pytest.raises(AssertionError, match="If capturable=True, params and state_steps must be on supported"):
            getattr(mt.optim, name)([p], capturable=True).step()


# ---- bincount, diag, trunc_normal_, range indices, inference_mode -------------------------------------------


def test_bincount_matches_torch() -> None:
    x = np.array([1, 3, 3, 0, 7, 3])
    w = np.random.default_rng(3).random(6)
    for kwargs in ({}, {"minlength": 10}):
        assert mt.bincount(mt.tensor(x), **kwargs).tolist() == torch.bincount(torch.tensor(x), **kwargs).tolist()
    for dtype in (np.float32, np.float64, np.int64):
        ours = mt.tensor(x).bincount(weights=mt.tensor(w.astype(dtype)))
        theirs = torch.tensor(x).bincount(weights=torch.tensor(w.astype(dtype)))
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for bad, kwargs in ((np.array([-1, 2]), {}), (np.array([[1, 2]]), {}), (np.array([1, 2]), {"minlength": -1})):
        with pytest.raises(RuntimeError) as theirs_err:
            torch.bincount(torch.tensor(bad), **kwargs)
        with pytest.raises(RuntimeError) as ours_err:
            mt.bincount(mt.tensor(bad), **kwargs)
        assert str(ours_err.value) == str(theirs_err.value)


@pytest.mark.parametrize("k", [0, 1, -2, 4])
@pytest.mark.parametrize("shape", [(3, 5), (5,)])
def test_diag_matches_torch_with_gradients(k: int, shape: tuple) -> None:
    rng = np.random.default_rng(4)
    a = rng.standard_normal(shape)
    xm, xt = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    om, ot = mt.diag(xm, k), torch.diag(xt, k)
    assert tuple(om.shape) == tuple(ot.shape)
    assert_close(om, ot, F64)
    g = rng.standard_normal(tuple(ot.shape))
    om.backward(mt.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(xm.grad, xt.grad, F64)


def test_trunc_normal_draws_the_truncated_law() -> None:
    mt.manual_seed(0)
    t = mt.nn.init.trunc_normal_(mt.empty(20000, dtype=mt.float64), mean=0.5, std=1.0, a=-1.0, b=1.5)
    v = t.numpy()
    assert v.min() >= -1.0 and v.max() <= 1.5
    # the truncated normal's mean: mu + sigma (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha))
    n = statistics.NormalDist()
    alpha, beta = -1.5, 1.0
    expected = 0.5 + (math.exp(-alpha**2 / 2) - math.exp(-beta**2 / 2)) / math.sqrt(2 * math.pi) / (
        n.cdf(beta) - n.cdf(alpha))
    assert abs(v.mean() - expected) < 4 * v.std() / math.sqrt(v.size)
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):  # under 1% of the mass: inverse CDF
        tail = mt.nn.init.trunc_normal_(mt.empty(500), mean=0.0, std=1.0, a=3.0, b=3.5)
    assert 3.0 <= tail.numpy().min() and tail.numpy().max() <= 3.5
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        mt.nn.init.trunc_normal_(mt.empty(5), mean=5.0, a=-1.0, b=1.0)


def test_range_indices_as_torchs() -> None:
    a = np.random.default_rng(5).standard_normal((4, 3))
    target = np.array([2, 0, 1, 1])
    xm, xt = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    om = -xm[range(target.shape[0]), mt.tensor(target)].mean()
    ot = -xt[range(target.shape[0]), torch.tensor(target)].mean()
    assert_close(om, ot, F64)
    om.backward()
    ot.backward()
    assert_close(xm.grad, xt.grad, F64)
    assert_close(xm[range(1, 3)], xt[range(1, 3)], F64)


def test_inference_mode_state_and_decorator() -> None:
    x = mt.ones(3, requires_grad=True)
    assert not mt.is_inference_mode_enabled()
    with mt.inference_mode():
        assert mt.is_inference_mode_enabled() and not (x * 2).requires_grad
        with mt.inference_mode(False):
            assert not mt.is_inference_mode_enabled() and (x * 2).requires_grad
    assert not mt.is_inference_mode_enabled()

    @mt.inference_mode()
    def f() -> tuple:
        return mt.is_inference_mode_enabled(), (x * 2).requires_grad

    @mt.inference_mode
    def g() -> tuple:
        return mt.is_inference_mode_enabled(), (x * 2).requires_grad

    assert f() == g() == (True, False) and not mt.is_inference_mode_enabled()


def test_pin_memory_without_an_accelerator_warns_as_torchs() -> None:
    messages = []
    for data, lib in ((torch.utils.data, torch), (mt.utils.data, mt)):
        loader = data.DataLoader(data.TensorDataset(lib.arange(6)), batch_size=4, pin_memory=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            batches = [b[0].tolist() for b in loader]
        assert batches == [[0, 1, 2, 3], [4, 5]]
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 1
