"""``lerp``/``lerp_`` with a 0-d tensor weight of another dtype (an EMA's ``p_ema.lerp_(p, w)``), as torch's: the
weight is cast to the inputs' dtype, its gradient comes back in its own; a weight of more dims must match."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

RNG = np.random.default_rng(7)
A, B, G = (RNG.standard_normal((3, 4)) for _ in range(3))


@pytest.mark.parametrize(("dtype", "wdtype", "w"), [("float32", "float64", 0.3), ("float64", "float32", 0.7),
                                                    ("float32", "int64", 1), ("float64", "bool", True)])
def test_zero_dim_weight_of_another_dtype(dtype: str, wdtype: str, w: object) -> None:
    t = torch.lerp(torch.tensor(A, dtype=getattr(torch, dtype)), torch.tensor(B, dtype=getattr(torch, dtype)),
                   torch.tensor(w, dtype=getattr(torch, wdtype)))
    o = mt.lerp(mt.tensor(A, dtype=getattr(mt, dtype)), mt.tensor(B, dtype=getattr(mt, dtype)),
                mt.tensor(w, dtype=getattr(mt, wdtype)))
    assert str(o.dtype) == str(t.dtype).replace("torch.", "mt.")
    assert_close(o.numpy(), t.numpy(), np.dtype(dtype))


def test_zero_dim_weight_gradient_in_its_own_dtype() -> None:
    grads = []
    for lib in (torch, mt):
        a = lib.tensor(A, dtype=lib.float32, requires_grad=True)
        w = lib.tensor(0.3, dtype=lib.float64, requires_grad=True)
        y = lib.lerp(a, lib.tensor(B, dtype=lib.float32), w)
        y.backward(lib.tensor(G, dtype=lib.float32))
        grads.append((w.grad, a.grad, y.grad_fn.name()))
    (tw, ta, tname), (ow, oa, oname) = grads
    assert str(ow.dtype) == "mt.float64" and oname == tname == "LerpBackward1"
    assert_close(ow.numpy(), tw.numpy(), np.float32)
    assert_close(oa.numpy(), ta.numpy(), np.float32)


def test_inplace_ema_update_with_a_double_weight() -> None:
    t = torch.tensor(A, dtype=torch.float32)
    t.lerp_(torch.tensor(B, dtype=torch.float32), torch.tensor(0.25, dtype=torch.float64))
    o = mt.tensor(A, dtype=mt.float32)
    o.lerp_(mt.tensor(B, dtype=mt.float32), mt.tensor(0.25, dtype=mt.float64))
    assert o.dtype == mt.float32
    assert_close(o.numpy(), t.numpy(), np.float32)


def test_weight_with_dims_of_another_dtype_raises_as_torch() -> None:
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype double"):
        torch.lerp(torch.zeros(3), torch.ones(3), torch.tensor([0.3], dtype=torch.float64))
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype double"):
        mt.lerp(mt.zeros(3), mt.ones(3), mt.tensor([0.3], dtype=mt.float64))
