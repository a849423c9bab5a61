"""Second-order parity against torch for the reduction-surface tests: d/dx of <dy/dx(g), v> in float64, with
random g and v, compared to torch's on the same inputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from _parity import assert_close

import minitorch_cnn as mt


def _second(fn: Callable, arrays: Sequence[np.ndarray], lib: Any, seed: int) -> list:
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    rng = np.random.default_rng(seed)
    g = lib.tensor(rng.standard_normal(tuple(out.shape)))
    firsts = lib.autograd.grad(out, ts, g, create_graph=True)
    total = sum((f * lib.tensor(rng.standard_normal(tuple(f.shape)))).sum() for f in firsts)
    if not total.requires_grad:  # a linear op: its gradient does not depend on the input
        return [firsts, [None] * len(ts)]
    return [firsts, lib.autograd.grad(total, ts, allow_unused=True)]


def second_order_parity(ours: Callable, theirs: Callable, arrays: Sequence[np.ndarray], what: str = "") -> None:
    """First and second derivatives of ``ours`` (mt) and ``theirs`` (torch) agree in float64 to 1e-10."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    (f_t, s_t), (f_o, s_o) = _second(theirs, arrays, torch, 5), _second(ours, arrays, mt, 5)
    for i, (a, b) in enumerate(zip(f_o, f_t)):
        assert_close(a, b, np.float64, what=f"{what} first grad {i}")
    for i, (a, b) in enumerate(zip(s_o, s_t)):
        if a is None or b is None or b._is_zerotensor():  # None, or torch's ZeroTensor: known to be zero
            assert a is None or not np.any(a.numpy()), f"{what}: second grad {i} should be zero"
            assert b is None or b._is_zerotensor() or not b.any(), f"{what}: torch's second grad {i} is not zero"
        else:
            assert_close(a, b, np.float64, what=f"{what} second grad {i}")
