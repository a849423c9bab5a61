"""optim.swa_utils against torch.optim.swa_utils: AveragedModel (SWA mean, EMA through avg_fn and multi_avg_fn,
use_buffers) on twin float64 models whose weights and BatchNorm buffers move between updates, update_bn over a
DataLoader, and SWALR's lr sequence; state_dict keys as torch's, values within 1e-10 relative."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.optim import swa_utils
from tests._parity import assert_close, assert_f32_close


def _twins() -> tuple[mt.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).double()
    ours = mt.nn.Sequential(mt.nn.Linear(3, 4), mt.nn.BatchNorm1d(4), mt.nn.ReLU(), mt.nn.Linear(4, 2)).double()
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _move(ours: mt.nn.Module, theirs: torch.nn.Module, rng: np.random.Generator) -> None:
    """The same training-like change on both: random weight steps, and a train-mode forward for the buffers."""
    with mt.no_grad(), torch.no_grad():
        for p_o, p_t in zip(ours.parameters(), theirs.parameters()):
            delta = 0.1 * rng.standard_normal(tuple(p_t.shape))
            p_o.add_(mt.tensor(delta))
            p_t.add_(torch.from_numpy(delta))
        x = rng.standard_normal((5, 3))
        ours(mt.tensor(x))
        theirs(torch.from_numpy(x))


def _assert_same_state(ours: mt.nn.Module, theirs: torch.nn.Module) -> None:
    saved_o, saved_t = ours.state_dict(), theirs.state_dict()
    assert list(saved_o) == list(saved_t)
    for key, value in saved_t.items():
        assert_close(saved_o[key], value, np.float64, what=key)
        assert np.asarray(saved_o[key]._data).dtype == value.numpy().dtype, key


MODES = {
    "swa": ({}, {}),
    "swa-use_buffers": (dict(use_buffers=True), dict(use_buffers=True)),
    "ema-avg_fn": (dict(avg_fn=swa_utils.get_ema_avg_fn(0.9)), dict(avg_fn=torch.optim.swa_utils.get_ema_avg_fn(0.9))),
    "ema-multi": (dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.8)),
                  dict(multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.8))),
    "ema-multi-use_buffers": (dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.7), use_buffers=True),
                              dict(multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.7), use_buffers=True)),
    "swa-multi": (dict(multi_avg_fn=swa_utils.get_swa_multi_avg_fn()),
                  dict(multi_avg_fn=torch.optim.swa_utils.get_swa_multi_avg_fn())),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_averaged_model_matches_torch(mode: str) -> None:
    ours, theirs = _twins()
    kw_o, kw_t = MODES[mode]
    avg_o, avg_t = swa_utils.AveragedModel(ours, **kw_o), torch.optim.swa_utils.AveragedModel(theirs, **kw_t)
    _assert_same_state(avg_o, avg_t)
    rng = np.random.default_rng(3)
    for _ in range(6):
        _move(ours, theirs, rng)
        avg_o.update_parameters(ours)
        avg_t.update_parameters(theirs)
        _assert_same_state(avg_o, avg_t)
    assert int(avg_o.n_averaged.item()) == 6
    x = rng.standard_normal((4, 3))
    avg_o.eval()
    avg_t.eval()
    assert_close(avg_o(mt.tensor(x)), avg_t(torch.from_numpy(x)), np.float64)
    fresh = swa_utils.AveragedModel(_twins()[0], **kw_o)
    fresh.load_state_dict(avg_o.state_dict())
    _assert_same_state(fresh, avg_t)


@pytest.mark.parametrize("mode", ["swa", "ema-multi-use_buffers"])
def test_averaged_model_float32_against_the_float64_truth(mode: str) -> None:
    """Ours in float32 against torch's float64 average of the same float32 weights and moves (torch's float32
    average gives the allowance for its own rounding)."""
    ours, theirs = _twins()
    ours.float()
    truth, theirs32 = theirs, copy.deepcopy(theirs).float()
    with torch.no_grad():  # the float64 truth starts from the float32 weights
        for p64, p32 in zip(truth.parameters(), theirs32.parameters()):
            p64.copy_(p32.double())
    kw_o, kw_t = MODES[mode]
    avg_o = swa_utils.AveragedModel(ours, **kw_o)
    avg_t, avg_e = (torch.optim.swa_utils.AveragedModel(m, **kw_t) for m in (theirs32, truth))
    rng = np.random.default_rng(4)
    for _ in range(5):
        deltas = [(0.1 * rng.standard_normal(tuple(p.shape))).astype(np.float32) for p in truth.parameters()]
        x = rng.standard_normal((5, 3)).astype(np.float32)
        with mt.no_grad(), torch.no_grad():
            for p_o, p_t, p_e, d in zip(ours.parameters(), theirs32.parameters(), truth.parameters(), deltas):
                p_o.add_(mt.tensor(d))
                p_t.add_(torch.from_numpy(d))
                p_e.add_(torch.from_numpy(d).double())
            ours(mt.tensor(x))
            theirs32(torch.from_numpy(x))
            truth(torch.from_numpy(x).double())
        avg_o.update_parameters(ours)
        avg_t.update_parameters(theirs32)
        avg_e.update_parameters(truth)
        saved_o, saved_t = avg_o.state_dict(), avg_t.state_dict()
        for key, value in avg_e.state_dict().items():
            if value.is_floating_point():
                assert saved_o[key].dtype == mt.float32, key
                assert_f32_close(saved_o[key], value, torch32=saved_t[key], what=key)
            else:
                assert int(saved_o[key].item()) == int(value.item()), key


def test_update_bn_over_a_dataloader_matches_torch() -> None:
    ours, theirs = _twins()
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    loader_o = mt.utils.data.DataLoader(mt.utils.data.TensorDataset(mt.tensor(x), mt.tensor(y)), batch_size=6)
    loader_t = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                           batch_size=6)
    ours.eval()
    theirs.eval()
    swa_utils.update_bn(loader_o, ours)
    torch.optim.swa_utils.update_bn(loader_t, theirs)
    _assert_same_state(ours, theirs)
    assert not ours.training and ours[1].momentum == 0.1
    swa_utils.update_bn([mt.tensor(x[:7])], mt.nn.Linear(3, 2).double())  # no BatchNorm: nothing to do


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.01], anneal_epochs=3,
                                                              anneal_strategy="linear"),
                                    dict(swa_lr=0.2, anneal_epochs=0)], ids=["cos", "linear", "none"])
def test_swalr_matches_torch(kwargs: dict) -> None:
    from tests.test_lr_scheduler import _assert_same, _epoch, _optimizers

    opt_o, opt_t = _optimizers("sgd")
    ours, theirs = swa_utils.SWALR(opt_o, **kwargs), torch.optim.swa_utils.SWALR(opt_t, **kwargs)
    _assert_same(ours, theirs, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for epoch in range(1, 16):
            _epoch(opt_o, ours)
            _epoch(opt_t, theirs)
            _assert_same(ours, theirs, epoch)
    assert set(ours.state_dict()) == set(theirs.state_dict())


def test_bad_input_is_refused_as_torch_does() -> None:
    model = mt.nn.Linear(2, 2)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_ema_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    opt = mt.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got step"):
        swa_utils.SWALR(opt, swa_lr=0.01, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        swa_utils.SWALR(opt, swa_lr=0.01, anneal_epochs=-1)
    bn = mt.nn.BatchNorm1d(2)
    averaged = swa_utils.AveragedModel(bn, multi_avg_fn=swa_utils.get_swa_multi_avg_fn(), use_buffers=True)
    averaged.update_parameters(bn)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        averaged.update_parameters(bn)  # num_batches_tracked is int64: torch's list average refuses it too
