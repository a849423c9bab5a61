"""Batch normalisation against torch: F.batch_norm (2-d, 3-d, 4-d, train/eval, with and without affine) and
BatchNorm1d/2d over several training steps followed by evaluation on the running statistics, with
momentum 0.1 and None (cumulative average); outputs, every gradient and every buffer compared each step.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _parity import assert_close, assert_f32_close, to_np  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
from minitorch_cnn import nn  # noqa: E402
from minitorch_cnn.nn import functional as F  # noqa: E402
from tests._conditions import bn_conditions  # noqa: E402

DTYPES = [np.float64, np.float32]


def compare(ours: dict, theirs: dict, dtype, truth: dict | None = None, cond: dict | None = None) -> None:
    """float64: ours against torch's (1e-10); float32: against the float64 truth, bound by ``cond`` or torch's
    float32 error."""
    for key, value in ours.items():
        if dtype == np.float64:
            assert_close(value, theirs[key], dtype, what=key)
        else:
            assert_f32_close(value, truth[key], torch32=theirs[key], cond=cond[key], what=key)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 5), (4, 3, 5, 5)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_functional_batch_norm_matches_torch(shape, training, affine, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 2 + 0.7).astype(dtype)  # a non-zero mean, not unit variance
    w, b = (rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)) if affine else (None, None)
    rm, rv = rng.standard_normal(3).astype(dtype), (rng.random(3) + 0.5).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)

    def run(lib, dt):
        def leaf(a):
            return None if a is None else lib.tensor(a.astype(dt), requires_grad=True)

        xl, wl, bl, rml, rvl = leaf(x), leaf(w), leaf(b), lib.tensor(rm.astype(dt)), lib.tensor(rv.astype(dt))
        f = F.batch_norm if lib is mt else TF.batch_norm
        y = f(xl, rml, rvl, wl, bl, training=training, momentum=0.1, eps=1e-5)
        y.backward(lib.tensor(g.astype(dt)))
        out = {"y": y, "dx": xl.grad, "running_mean": rml, "running_var": rvl}
        if affine:
            out.update(dw=wl.grad, db=bl.grad)
        return out

    truth, cond = None, None
    if dtype == np.float32:
        truth, cond = run(torch, np.float64), bn_conditions(x, w, b, rm, rv, g, training, 0.1)
    compare(run(mt, dtype), run(torch, dtype), dtype, truth, cond)


def test_running_var_uses_the_unbiased_variance_in_place():
    x = np.random.default_rng(1).standard_normal((5, 2))
    rm, rv = mt.zeros(2, dtype=mt.float64), mt.ones(2, dtype=mt.float64)
    data_rm, version = rm._data, rm._version
    F.batch_norm(mt.tensor(x), rm, rv, training=True, momentum=0.25)
    assert rm._data is data_rm and rm._version > version  # updated in place
    np.testing.assert_allclose(rm.numpy(), 0.25 * x.mean(0), rtol=1e-14)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * x.var(0, ddof=1), rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("kind, shape", [("1d", (6, 4)), ("1d", (5, 4, 3)), ("2d", (3, 4, 5, 5))])
def test_module_training_steps_then_eval_match_torch(kind, shape, momentum, dtype):
    ours = (nn.BatchNorm1d if kind == "1d" else nn.BatchNorm2d)(4, momentum=momentum)
    theirs = (torch.nn.BatchNorm1d if kind == "1d" else torch.nn.BatchNorm2d)(4, momentum=momentum)
    theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    rng = np.random.default_rng(2)
    with torch.no_grad():  # a non-trivial affine part, the same on both sides
        theirs.weight.copy_(torch.tensor(rng.random(4) + 0.5))
        theirs.bias.copy_(torch.tensor(rng.standard_normal(4)))
    ours.to(dtype).load_state_dict(theirs.state_dict())
    exact = copy.deepcopy(theirs).to(torch.float64)  # the float64 truth of the float32 run, from the same state
    for step in range(5):
        training = step < 4
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        before = [to_np(t).copy() for t in (ours.running_mean, ours.running_var)]
        results = []
        for module, lib in ((ours, mt), (theirs, torch), (exact, torch)):
            module.train(training)
            xl = lib.tensor(x.astype(np.float64) if module is exact else x, requires_grad=True)
            y = module(xl)
            y.backward(lib.tensor(g.astype(np.float64) if module is exact else g))
            results.append({"y": y, "dx": xl.grad, "dw": module.weight.grad.clone(), "db": module.bias.grad.clone(),
                            "running_mean": module.running_mean, "running_var": module.running_var})
            module.zero_grad()
        step_momentum = 1 / min(step + 1, 4) if momentum is None else momentum
        cond = bn_conditions(x, to_np(ours.weight), to_np(ours.bias), *before, g, training, step_momentum)
        compare(results[0], results[1], dtype, results[2], cond)
        assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == min(step + 1, 4)
    assert ours.running_mean.dtype == dtype and ours.num_batches_tracked.dtype == np.int64


@pytest.mark.parametrize("training", [True, False])
def test_without_running_stats_batch_statistics_are_used_in_eval_too(training):
    ours, theirs = nn.BatchNorm2d(3, track_running_stats=False), torch.nn.BatchNorm2d(3, track_running_stats=False)
    ours.train(training)
    theirs.train(training)
    assert ours.running_mean is None and list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 4)).astype(np.float32)
    truth, torch32 = theirs.double()(torch.tensor(x).double()), theirs.float()(torch.tensor(x))
    cond = bn_conditions(x, None, None, np.zeros(3), np.ones(3), x, True, 0.1)["y"]
    assert_f32_close(ours(mt.tensor(x)), truth, torch32=torch32, cond=cond)


def test_affine_false_has_no_parameters_and_matches_torch():
    ours, theirs = nn.BatchNorm1d(3, affine=False), torch.nn.BatchNorm1d(3, affine=False)
    assert list(ours.parameters()) == [] and list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(4).standard_normal((7, 3)).astype(np.float32)
    truth, torch32 = theirs.double()(torch.tensor(x).double()), theirs.float()(torch.tensor(x))
    cond = bn_conditions(x, None, None, np.zeros(3), np.ones(3), x, True, 0.1)["y"]
    assert_f32_close(ours(mt.tensor(x)), truth, torch32=torch32, cond=cond)


def test_state_dict_keys_and_buffers_are_torchs():
    ours, theirs = nn.BatchNorm2d(5), torch.nn.BatchNorm2d(5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert ours.num_batches_tracked.shape == () and ours.num_batches_tracked.dtype == np.int64
    assert repr(ours) == repr(theirs)
    for kw in ({"momentum": None, "affine": False}, {"bias": False, "eps": 1e-3}):
        assert repr(nn.BatchNorm1d(3, **kw)) == repr(torch.nn.BatchNorm1d(3, **kw))
    assert list(nn.BatchNorm2d(3, bias=False).state_dict()) == list(torch.nn.BatchNorm2d(3, bias=False).state_dict())


def test_single_value_per_channel_in_training_raises_as_torch():
    msg = r"Expected more than 1 value per channel when training, got input size \(1, 3\)"
    with pytest.raises(ValueError, match=msg):
        F.batch_norm(mt.randn(1, 3), mt.zeros(3), mt.ones(3), training=True)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel"):
        nn.BatchNorm2d(3)(mt.randn(1, 3, 1, 1))
    assert nn.BatchNorm1d(3).eval()(mt.randn(1, 3)).shape == (1, 3)  # fine on running statistics


def test_wrong_channel_count_names_the_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(16, eps=1e-05, momentum=0.1, affine=True, "
                                           r"bias=True, track_running_stats=True\): expected input \(N, 16, H, W\), "
                                           r"got \(8, 8, 4, 4\)"):
        nn.BatchNorm2d(16)(mt.randn(8, 8, 4, 4))
    with pytest.raises(RuntimeError, match=r"expected input \(N, 16, H, W\), got \(8, 16, 4\)"):
        nn.BatchNorm2d(16)(mt.randn(8, 16, 4))
    with pytest.raises(RuntimeError, match=r"expected input \(N, 4\) or \(N, 4, L\), got \(2, 4, 3, 3\)"):
        nn.BatchNorm1d(4)(mt.randn(2, 4, 3, 3))


def test_functional_argument_errors():
    with pytest.raises(RuntimeError, match=r"weight should have shape \(3,\)"):
        F.batch_norm(mt.randn(4, 3), None, None, weight=mt.ones(4), training=True)
    with pytest.raises(ValueError, match="eps must be positive during training"):
        F.batch_norm(mt.randn(4, 3), None, None, training=True, eps=0.0)
    with pytest.raises(RuntimeError, match="required when training=False"):
        F.batch_norm(mt.randn(4, 3), None, None, training=False)
