"""unbind and movedim against torch: values, gradients with random upstream gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt


@pytest.mark.parametrize(("src", "dst"), [(1, 0), ((0, 1), (2, 3)), (-1, 0), ((3, 0), (0, 3)), ((), ())])
def test_movedim(src: object, dst: object) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5))
    t, m = torch.tensor(x, requires_grad=True), mt.tensor(x).requires_grad_()
    to, mo = torch.movedim(t, src, dst), m.movedim(src, dst)
    assert_close(mo, to, np.float64)
    assert_close(mt.moveaxis(m, src, dst), to, np.float64)
    g = rng.standard_normal(tuple(to.shape))
    assert_close(mt.autograd.grad(mo, m, mt.tensor(g))[0], torch.autograd.grad(to, t, torch.tensor(g))[0], np.float64)


def test_movedim_errors() -> None:
    with pytest.raises(RuntimeError, match="same number of dims"):
        mt.zeros(2, 3).movedim((0, 1), 0)
    with pytest.raises(RuntimeError, match="repeated dim"):
        mt.zeros(2, 3).movedim((0, 0), (0, 1))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind(dim: int) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4))
    t, m = torch.tensor(x, requires_grad=True), mt.tensor(x).requires_grad_()
    to, mo = t.unbind(dim), mt.unbind(m, dim)
    assert len(mo) == len(to)
    gs = [rng.standard_normal(tuple(o.shape)) for o in to]
    for a, b in zip(mo, to):
        assert_close(a, b, np.float64)
    tg = torch.autograd.grad(sum((o * torch.tensor(g)).sum() for o, g in zip(to, gs)), t)[0]
    mg = mt.autograd.grad(sum((o * mt.tensor(g)).sum() for o, g in zip(mo, gs)), m)[0]
    assert_close(mg, tg, np.float64)
