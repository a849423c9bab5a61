"""``x.detach_()`` / ``mt.detach_``, and the warning on reading a non-leaf's ``.grad``, against torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt


@pytest.mark.parametrize("how", ["method", "function"])
def test_detach_in_place_makes_a_leaf(how: str) -> None:
    rng = np.random.default_rng(0)
    arr = rng.standard_normal(4)
    res = []
    for lib in (mt, torch):
        p = lib.tensor(arr, requires_grad=True)
        r = p * 3
        before = r._version
        got = r.detach_() if how == "method" else lib.detach_(r)
        assert got is r
        q = lib.tensor(arr, requires_grad=True)
        q.detach_()  # a leaf that required grad
        res.append((r, r.requires_grad, r.is_leaf, r.grad_fn, r._version - before, q.requires_grad, q.is_leaf))
    assert_close(res[0][0], res[1][0], np.float64, what="values")
    assert res[0][1:] == res[1][1:] == (False, True, None, 0, False, True)


def test_detached_tensor_starts_a_new_graph() -> None:
    rng = np.random.default_rng(1)
    arr, g = rng.standard_normal(3), rng.standard_normal(3)
    res = []
    for lib in (mt, torch):
        p = lib.tensor(arr, requires_grad=True)
        r = (p * 2).detach_().requires_grad_()
        (r.sin() * lib.tensor(g)).sum().backward()
        res.append((r.grad, p.grad))
    assert_close(res[0][0], res[1][0], np.float64, what="r.grad")
    assert res[0][1] is None and res[1][1] is None


@pytest.mark.parametrize("view", ["slice", "view"])
def test_views_refuse(view: str) -> None:
    for lib in (mt, torch):
        base = lib.zeros(3, requires_grad=True) * 1.0
        v = base[1:] if view == "slice" else base.view(1, 3)
        with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach\\(\\) instead"):
            v.detach_()
    with pytest.raises(TypeError, match="must be Tensor"):
        mt.detach_([1.0])


def test_non_leaf_grad_read_warns() -> None:
    for lib in (mt, torch):
        p = lib.ones(2, requires_grad=True)
        z = p * 2
        with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor"):
            assert z.grad is None
        z.retain_grad()
        z.sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert z.grad.tolist() == [1.0, 1.0]
            assert p.grad.tolist() == [2.0, 2.0]
            assert lib.ones(2).grad is None  # a leaf that needs no grad: no warning
