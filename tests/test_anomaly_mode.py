"""mt.autograd.detect_anomaly / set_detect_anomaly against torch's: the same flags, warning and error naming the
node whose backward returned NaN; check_nan=False lets the NaN through; off, nothing is checked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import minitorch_cnn as mt


def _nan_backward(lib: object) -> object:
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    (lib.sqrt(x) * 0).sum().backward()
    return x.grad


def _error(lib: object, ctx: object) -> str:
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        with ctx, pytest.raises(RuntimeError) as info:
            _nan_backward(lib)
    assert any("Error detected in SqrtBackward0. Traceback of forward call" in str(w.message) for w in caught)
    return str(info.value)


def test_detect_anomaly_names_the_node() -> None:
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ours_ctx, torch_ctx = mt.autograd.detect_anomaly(), torch.autograd.detect_anomaly()
    ours, theirs = _error(mt, ours_ctx), _error(torch, torch_ctx)
    assert ours == theirs == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert not mt.is_anomaly_enabled()


def test_set_detect_anomaly_flags_and_check_nan() -> None:
    for lib in (mt, torch):
        with lib.autograd.set_detect_anomaly(True, check_nan=False):
            assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
            with np.errstate(all="ignore"):
                grad = _nan_backward(lib)
            assert np.isnan(grad.numpy()[0])
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        lib.autograd.set_detect_anomaly(True)
        assert lib.is_anomaly_enabled()
        lib.autograd.set_detect_anomaly(False)
        assert not lib.is_anomaly_enabled()

    def probe() -> bool:
        return mt.is_anomaly_enabled()

    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        decorated = mt.autograd.detect_anomaly()(probe)
    assert decorated() and not mt.is_anomaly_enabled()


def test_create_graph_gradients_are_checked() -> None:
    x = mt.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning), mt.autograd.detect_anomaly(), np.errstate(all="ignore"):
        y = mt.sqrt(x) * 0
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output."):
            mt.autograd.grad(y.sum(), x, create_graph=True)
