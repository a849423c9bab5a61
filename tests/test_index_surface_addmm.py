"""Fused products (addmm, addmv, addbmm, baddbmm, addr with beta/alpha, in-place and out=), chain_matmul,
block_diag, diag_embed, diagflat, tril/triu_indices and vander against torch, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _grad_parity import function_parity
from _parity import assert_close

import minitorch_cnn as mt

R = np.random.default_rng(2)


def _lib(t):
    return mt if isinstance(t, mt.Tensor) else torch


def a(*shape):
    return R.standard_normal(shape)


CASES = {
    "addmm": (lambda m, x, y: _lib(m).addmm(m, x, y), [a(3, 5), a(3, 4), a(4, 5)]),
    "addmm_beta_alpha_broadcast": (lambda m, x, y: m.addmm(x, y, beta=0.5, alpha=-2.0), [a(5), a(3, 4), a(4, 5)]),
    "addmm_beta0": (lambda m, x, y: _lib(m).addmm(m, x, y, beta=0), [a(3, 5), a(3, 4), a(4, 5)]),
    "addmv": (lambda m, x, y: _lib(m).addmv(m, x, y, alpha=3), [a(3), a(3, 4), a(4)]),
    "addbmm": (lambda m, x, y: m.addbmm(x, y, beta=2), [a(3, 5), a(2, 3, 4), a(2, 4, 5)]),
    "baddbmm": (lambda m, x, y: _lib(m).baddbmm(m, x, y, beta=-1, alpha=0.25), [a(1, 3, 5), a(2, 3, 4), a(2, 4, 5)]),
    "addr": (lambda m, x, y: m.addr(x, y, beta=1.5), [a(3, 4), a(3), a(4)]),
    "chain_matmul": (lambda x, y, z: _lib(x).chain_matmul(x, y, z), [a(2, 3), a(3, 4), a(4, 2)]),
    "block_diag": (lambda x, y, z: _lib(x).block_diag(x, y[0, 0], z[0], y), [a(2, 3), a(3, 4), a(4, 2)]),
    "diag_embed": (lambda x: _lib(x).diag_embed(x), [a(2, 3)]),
    "diag_embed_offset_dims": (lambda x: x.diag_embed(offset=-1, dim1=0, dim2=2), [a(2, 3)]),
    "diagflat": (lambda x: _lib(x).diagflat(x, 2), [a(2, 3)]),
    "diagflat_method": (lambda x: x.diagflat(-1), [a(3)]),
}


@pytest.mark.parametrize("n, increasing", [(None, False), (3, True), (6, False), (1, False)])
def test_vander_matches_torch_and_its_gradient_the_finite_difference(n, increasing):
    # torch's own vander backward refuses (it writes its cumprod in place), so the gradient is held to gradcheck
    x = a(4)
    fn = lambda lib, t: lib.vander(t, N=n, increasing=increasing)  # noqa: E731
    assert_close(fn(mt, mt.tensor(x)), fn(torch, torch.tensor(x)), np.float64)
    assert mt.autograd.gradcheck(lambda t: fn(mt, t), (mt.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("name", sorted(CASES))
def test_product_op_matches_torch_with_gradients(name):
    fn, arrays = CASES[name]
    function_parity(fn, fn, arrays, [True] * len(arrays), what=name)


def test_beta_zero_ignores_nan_as_torch():
    m = np.full((2, 2), np.nan)
    outs = [lib.addmm(lib.tensor(m), lib.eye(2, dtype=lib.float64), lib.ones(2, 2, dtype=lib.float64), beta=0)
            for lib in (mt, torch)]
    assert_close(outs[0], outs[1], np.float64)


@pytest.mark.parametrize("op, shapes", [("addmm_", [(3, 5), (3, 4), (4, 5)]), ("addmv_", [(3,), (3, 4), (4,)]),
                                        ("addbmm_", [(3, 5), (2, 3, 4), (2, 4, 5)]),
                                        ("baddbmm_", [(2, 3, 5), (2, 3, 4), (2, 4, 5)]),
                                        ("addr_", [(3, 4), (3,), (4,)])])
def test_inplace_and_out_forms_match_torch(op, shapes):
    arrays = [a(*s) for s in shapes]
    res = []
    for lib in (mt, torch):
        m, x, y = (lib.tensor(v) for v in arrays)
        getattr(m, op)(x, y, beta=0.5, alpha=2)
        out = lib.empty(0, dtype=lib.float64)
        getattr(lib, op[:-1])(lib.tensor(arrays[0]), x, y, out=out)
        res.append((m, out))
    for o, t in zip(res[0], res[1]):
        assert_close(o, t, np.float64)


def test_int_inputs_follow_torch():
    for f in (lambda lib: lib.addmm(lib.ones(2, 2, dtype=lib.int64), lib.ones(2, 3, dtype=lib.int64),
                                    lib.ones(3, 2, dtype=lib.int64), beta=2, alpha=3),
              lambda lib: lib.full((2, 2), 3).addmm(lib.full((2, 2), 3), lib.full((2, 2), 3), beta=0.5, alpha=1.7),
              lambda lib: lib.vander(lib.tensor([1, 2, 3], dtype=lib.int32), 4)):
        ours, theirs = f(mt), f(torch)
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("row, col, offset", [(3, 3, 0), (4, 3, 1), (3, 5, -1), (0, 3, 0), (4, 4, -5)])
def test_tril_triu_indices_match_torch(row, col, offset):
    for name in ("tril_indices", "triu_indices"):
        ours, theirs = getattr(mt, name)(row, col, offset), getattr(torch, name)(row, col, offset)
        assert ours.dtype == mt.int64 and tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_block_diag_promotes_dtypes_as_torch():
    parts = lambda lib: (lib.tensor(1), lib.ones(2), lib.ones(2, 3, dtype=lib.float64))  # noqa: E731
    ours, theirs = mt.block_diag(*parts(mt)), torch.block_diag(*parts(torch))
    assert ours.dtype == mt.float64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tuple(mt.block_diag().shape) == tuple(torch.block_diag().shape)


BAD = [
    (lambda lib: lib.addr(lib.ones(2, 2), lib.ones(2, 1), lib.ones(2)), RuntimeError,
     "addr: Expected 1-D argument vec1, but got 2-D"),
    (lambda lib: lib.addmm(lib.ones(3, 3), lib.ones(2, 2), lib.ones(2, 2)), RuntimeError,
     "expanded size of the tensor"),
    (lambda lib: lib.vander(lib.ones(2, 2)), RuntimeError, "x must be a one-dimensional tensor"),
    (lambda lib: lib.addmm(lib.ones(2, 2), lib.ones(2, 3), lib.ones(2, 2)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied"),
    (lambda lib: lib.addmm(lib.ones(2, 2), lib.ones(2, 2), lib.ones(2, 2, dtype=lib.float64)), RuntimeError,
     "self and mat2 must have the same dtype"),
    (lambda lib: lib.addmm(lib.ones(2, 2), lib.ones(2, 2, dtype=lib.float64), lib.ones(2, 2)), RuntimeError,
     "mat1 and mat2 must have the same dtype"),
    (lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 2), lib.ones(2, 1)), RuntimeError,
     "vector \\+ matrix @ vector expected, got 1, 2, 2"),
    (lambda lib: lib.baddbmm(lib.ones(2, 2, 2), lib.ones(2, 2, 3), lib.ones(2, 2, 2)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be"),
    (lambda lib: lib.addbmm(lib.ones(2, 2), lib.ones(2, 2, 3), lib.ones(2, 2, 2)), RuntimeError,
     "Incompatible matrix sizes for bmm"),
    (lambda lib: lib.block_diag(lib.ones(1, 1, 1)), RuntimeError, "Input tensors must have 2 or fewer dimensions"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_input_raises_as_torch(k):
    fn, exc, msg = BAD[k]
    for lib in (torch, mt):
        with pytest.raises(exc, match=msg):
            fn(lib)


SECOND = {
    "addmm": ("addmm", [(3, 5), (3, 4), (4, 5)]), "addmv": ("addmv", [(3,), (3, 4), (4,)]),
    "addbmm": ("addbmm", [(5,), (2, 3, 4), (2, 4, 5)]), "baddbmm": ("baddbmm", [(1, 3, 5), (2, 3, 4), (2, 4, 5)]),
    "addr": ("addr", [(3, 1), (3,), (4,)]),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_order_and_node_names_match_torch(name):
    op, shapes = SECOND[name]
    arrays = [a(*s) for s in shapes]
    res = []
    for lib in (mt, torch):
        m, x, y = (lib.tensor(v, requires_grad=True) for v in arrays)
        out = getattr(lib, op)(m * m, x * x, y, beta=0.5, alpha=-1.5)
        g = lib.tensor(np.random.default_rng(0).standard_normal(tuple(out.shape)))
        grads = lib.autograd.grad(out, (m, x, y), g, create_graph=True)
        loss = sum((gi * gi * gi).sum() for gi in grads)
        res.append((out.grad_fn.name(), lib.autograd.grad(loss, (m, x, y))))
    assert res[0][0] == res[1][0]
    for o, t in zip(res[0][1], res[1][1]):
        assert_close(o, t, np.float64, what=name)
