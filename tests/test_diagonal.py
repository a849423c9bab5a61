"""diagonal against torch.diagonal: offsets and dims, gradients to second order, and the view's writes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt


@pytest.mark.parametrize(("offset", "dim1", "dim2"), [(0, 0, 1), (1, 0, 1), (-1, -1, 0), (2, 1, 2), (-3, 2, 0)])
def test_diagonal_float64_to_second_order(offset: int, dim1: int, dim2: int) -> None:
    rng = np.random.default_rng(offset + 5)
    x = rng.standard_normal((3, 4, 5))
    t, m = torch.tensor(x, requires_grad=True), mt.tensor(x).requires_grad_()
    to, mo = torch.diagonal(t, offset, dim1, dim2), m.diagonal(offset=offset, dim1=dim1, dim2=dim2)
    assert_close(mo, to, np.float64)
    g = rng.standard_normal(tuple(to.shape))
    tg = torch.autograd.grad((to.sin() * torch.tensor(g)).sum(), t, create_graph=True)[0]
    mg = mt.autograd.grad((mo.sin() * mt.tensor(g)).sum(), m, create_graph=True)[0]
    assert_close(mg, tg, np.float64)
    h = rng.standard_normal(x.shape)
    assert_close(mt.autograd.grad((mg * mt.tensor(h)).sum(), m)[0], torch.autograd.grad((tg * torch.tensor(h)).sum(),
                                                                                        t)[0], np.float64)


def test_diagonal_is_a_view_and_errors_are_torchs() -> None:
    m, t = mt.zeros(3, 3), torch.zeros(3, 3)
    m.diagonal().fill_(1.0)
    t.diagonal().fill_(1.0)
    assert_close(m, t, np.float64)
    for call in (lambda L: L.zeros(3).diagonal(), lambda L: L.zeros(2, 2).diagonal(dim1=1, dim2=-1)):
        with pytest.raises((IndexError, RuntimeError)) as theirs:
            call(torch)
        with pytest.raises(theirs.type):
            call(mt)
