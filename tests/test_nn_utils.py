"""nn.utils (clip_grad_norm_, clip_grad_value_, get_total_norm, parameters_to_vector, vector_to_parameters) and
nn.DataParallel against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn import nn
from tests._parity import assert_close, assert_f32_close

SHAPES = [(3, 4), (5,), (2, 2, 3)]


def _twins(dtype, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for s in SHAPES:
        p, g = rng.standard_normal(s).astype(dtype), (rng.standard_normal(s) * scale).astype(dtype)
        po, pt = mt.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
        po.grad, pt.grad = mt.tensor(g.copy()), torch.tensor(g.copy())
        ours.append(po)
        theirs.append(pt)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    t64, truth = _twins(np.float64)
    total_t = torch.nn.utils.clip_grad_norm_(truth, max_norm, norm_type)
    for dtype in (np.float64, np.float32):
        ours, theirs = _twins(dtype)
        total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
        assert isinstance(total, mt.Tensor) and total.ndim == 0 and total.dtype == dtype
        if dtype == np.float64:
            assert_close(total, total_t, np.float64, what="total norm")
            for po, pt in zip(ours, truth):
                assert_close(po.grad, pt.grad, np.float64, what="clipped grad")
        else:
            torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
            assert_f32_close(total, total_t, torch32=torch.nn.utils.get_total_norm([p.grad for p in _twins(
                np.float32)[1]], norm_type), what="total norm f32")
            for po, pt, p32 in zip(ours, truth, theirs):
                assert_f32_close(po.grad, pt.grad, torch32=p32.grad, what="clipped grad f32")


def test_clip_grad_norm_single_tensor_no_grads_and_nonfinite():
    ours, theirs = _twins(np.float64)
    assert_close(nn.utils.clip_grad_norm_(ours[0], 0.1), torch.nn.utils.clip_grad_norm_(theirs[0], 0.1), np.float64)
    assert_close(ours[0].grad, theirs[0].grad, np.float64)
    assert float(nn.utils.clip_grad_norm_([mt.zeros(2, requires_grad=True)], 1.0)) == 0.0
    bad, _ = _twins(np.float64)
    bad[1].grad._data[0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)
    assert math.isnan(float(nn.utils.clip_grad_norm_(bad, 1.0)))


def test_clip_grad_value_matches_torch():
    ours, theirs = _twins(np.float64, scale=3)
    nn.utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for po, pt in zip(ours, theirs):
        np.testing.assert_array_equal(po.grad.numpy(), pt.grad.numpy())


def test_parameters_to_vector_and_back():
    ours, theirs = _twins(np.float64)
    vo, vt = nn.utils.parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vo.detach().numpy(), vt.detach().numpy())
    g = np.random.default_rng(5).standard_normal(vo.shape[0])
    vo.backward(mt.tensor(g))  # differentiable, as torch's
    for p in ours:
        p.grad = None
    vo2 = nn.utils.parameters_to_vector(ours)
    vo2.backward(mt.tensor(g))
    np.testing.assert_array_equal(np.concatenate([p.grad.numpy().ravel() for p in ours]), g)
    new = mt.tensor(np.arange(vo.shape[0], dtype=np.float64))
    nn.utils.vector_to_parameters(new, ours)
    torch.nn.utils.vector_to_parameters(torch.arange(vt.shape[0], dtype=torch.float64), theirs)
    for po, pt in zip(ours, theirs):
        np.testing.assert_array_equal(po.detach().numpy(), pt.detach().numpy())
    new._data[0] = -7.0  # the parameters share the vector's storage, as in torch
    assert float(ours[0].detach().numpy()[0, 0]) == -7.0
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(3), ours)
    with pytest.raises(RuntimeError, match="does not hold"):
        nn.utils.vector_to_parameters(mt.zeros(4), ours)


def test_data_parallel_on_cpu():
    torch.manual_seed(0)
    theirs = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)),
                                   device_ids=[0, 1]).double()
    ours = nn.DataParallel(nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)), device_ids=[0, 1]).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(k.startswith("module.") for k in ours.state_dict())
    ours.load_state_dict(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert ours.device_ids == theirs.device_ids == []
    x = np.random.default_rng(0).standard_normal((5, 4))
    assert_close(ours(mt.tensor(x)), theirs(torch.tensor(x)), np.float64)
    # a wrapped model's checkpoint loads into the bare module after stripping the prefix, as with torch
    bare = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).double()
    bare.load_state_dict({k.removeprefix("module."): v for k, v in ours.state_dict().items()})
    with pytest.raises(TypeError, match="nn.Module"):
        nn.DataParallel(lambda x: x)
