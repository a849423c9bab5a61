"""Gaps the ported-scripts census found (torch names a script used that were missing or differed), each held
against torch in the test."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

F64 = np.float64


# --- norm's gradient at a zero vector: torch's norm_backward masks it to 0 -----------------------------------


@pytest.mark.parametrize("p", [2, "fro", 3, 1.5])
@pytest.mark.parametrize("dim", [None, 1])
def test_norm_grad_at_zero_vector_is_torchs(p: object, dim: int | None) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x[1] = 0.0  # one zero row (and, for dim=None, a tensor that is not all zero)
    for data in (x, np.zeros((3, 4))):
        ours = mt.tensor(data, dtype=mt.float64, requires_grad=True)
        theirs = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        n_ours, n_theirs = mt.norm(ours, p, dim), torch.norm(theirs, p, dim)
        g = rng.standard_normal(tuple(n_theirs.shape))
        n_ours.backward(mt.tensor(g))
        n_theirs.backward(torch.tensor(g))
        assert_close(n_ours, n_theirs, F64, what="norm")
        assert_close(ours.grad, theirs.grad, F64, what="d norm / dx")
        assert np.isfinite(ours.grad.numpy()).all()


def test_tensor_norm_method_grad_at_zero() -> None:
    ours = mt.zeros(5, dtype=mt.float64, requires_grad=True)
    ours.norm().backward()
    theirs = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    theirs.norm().backward()
    assert_close(ours.grad, theirs.grad, F64)


# --- autograd.grad(only_inputs=...): torch's deprecated argument, ignored, warning when False --------------------


@pytest.mark.parametrize("only_inputs", [True, False])
def test_grad_only_inputs_is_accepted_as_torch(only_inputs: bool) -> None:
    data = np.array([1.0, -2.0, 3.0])
    results = []
    for lib in (torch, mt):
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (g,) = lib.autograd.grad((x * x * x).sum(), x, only_inputs=only_inputs)
        results.append((g, [(w.category, str(w.message)) for w in caught]))
    (g_t, w_t), (g_m, w_m) = results
    assert_close(g_m, g_t, F64)
    assert w_m == w_t
    assert bool(w_t) == (not only_inputs)


# --- all / any: functions and methods, dim (int or tuple), keepdim, axis; bool out (uint8 in -> uint8 out) -----


@pytest.mark.parametrize("dtype", ["float64", "int64", "uint8", "bool"])
def test_all_any_as_torch(dtype: str) -> None:
    data = np.array([[[1, 0, 2], [3, 4, 5]], [[0, 0, 0], [7, 1, 1]]]).astype(dtype)
    calls = [((), {}), ((1,), {}), ((-1,), {"keepdim": True}), (((0, 2),), {}), ((), {"dim": 0, "keepdim": True}),
             ((), {"axis": 2, "keepdims": True})]
    for name in ("all", "any"):
        for args, kwargs in calls:
            t, m = torch.from_numpy(data), mt.tensor(data)
            for theirs, ours in ((getattr(torch, name)(t, *args, **kwargs), getattr(mt, name)(m, *args, **kwargs)),
                                 (getattr(t, name)(*args, **kwargs), getattr(m, name)(*args, **kwargs))):
                assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for lib in (torch, mt):  # empty and 0-d inputs, and a bad dim
        assert bool(lib.all(lib.zeros(0))) and not bool(lib.any(lib.zeros(0)))
        assert tuple(lib.any(lib.zeros(0, 3), 1).shape) == (0,)
        with pytest.raises(IndexError, match="Dimension out of range"):
            lib.all(lib.zeros(2, 2), 2)
