"""Shape surface against torch: roll, rot90, flips, tile, broadcasting, atleast/stack/split families, ravel,
unfold (sliding windows), as_strided, and the in-place view changes (t_, transpose_, squeeze_ ...)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _grad_parity import function_parity
from _parity import assert_close

import minitorch_cnn as mt

R = np.random.default_rng(1)
X = R.standard_normal((3, 4, 5))
V = R.standard_normal(6)


def _cat(parts):
    return _lib(parts[0]).cat([p.reshape(-1) for p in parts])


def _lib(t):
    return mt if isinstance(t, mt.Tensor) else torch


CASES = {
    "roll_dims": (lambda x: x.roll((1, -2), (0, 2)), [X]),
    "roll_flat": (lambda x: _lib(x).roll(x, 7), [X]),
    "rot90_k1": (lambda x: _lib(x).rot90(x, 1, (1, 2)), [X]),
    "rot90_k2": (lambda x: x.rot90(2, [0, -1]), [X]),
    "rot90_k3": (lambda x: x.rot90(-1), [X]),
    "rot90_k0": (lambda x: x.rot90(4), [X]),
    "fliplr": (lambda x: _lib(x).fliplr(x), [X]),
    "flipud": (lambda x: x.flipud(), [X]),
    "tile": (lambda x: x.tile(2, 1, 1, 2), [X]),
    "tile_fewer": (lambda x: _lib(x).tile(x, (2,)), [X]),
    "broadcast_to": (lambda x: _lib(x).broadcast_to(x[:, :1], (2, 3, 4, 5)), [X]),
    "broadcast_tensors": (lambda x, v: _cat(_lib(x).broadcast_tensors(x[:1, :1, :1], v[:5])), [X, V]),
    "ravel": (lambda x: x.transpose(0, 2).ravel(), [X]),
    "atleast_3d": (lambda x, v: _cat(_lib(x).atleast_3d(x[0, 0, 0], v, x[0], x)), [X, V]),
    "hstack": (lambda x: _lib(x).hstack([x[0], x[1, :, :2]]), [X]),
    "hstack_1d": (lambda x, v: _lib(x).hstack((v, x[0, 0, 0], x[0, 0])), [X, V]),
    "vstack": (lambda x, v: _lib(x).vstack([v[:5], x[0]]), [X, V]),
    "row_stack": (lambda x, v: _lib(x).row_stack([v[:5], x[0]]), [X, V]),
    "dstack": (lambda x: _lib(x).dstack([x[0], x[1], x[:2].permute(1, 2, 0)]), [X]),
    "column_stack": (lambda x, v: _lib(x).column_stack([v[:4], x[0], x[0, 0, 0].expand(4)]), [X, V]),
    "tensor_split_sections": (lambda x: _cat(x.tensor_split(3, dim=2)[1:]), [X]),
    "tensor_split_indices": (lambda x: _cat(_lib(x).tensor_split(x, [1, -1, 9], dim=-1)), [X]),
    "hsplit": (lambda x: _cat(x.hsplit(2)[1:]), [X]),
    "vsplit": (lambda x: _cat(_lib(x).vsplit(x, [1])), [X]),
    "dsplit": (lambda x: _cat(x.dsplit(1, 4)[1:]), [X]),
    "split_with_sizes": (lambda x: _cat(x.split_with_sizes([1, 3], 1)[1:]), [X]),
    "unfold": (lambda x: x.unfold(2, 3, 1), [X]),
    "unfold_step": (lambda x: x.unfold(1, 2, 3).unfold(2, 2, 2), [X]),
    "as_strided_overlap": (lambda x: x.as_strided((4, 3, 2), (5, 2, 7), 3), [X]),
    "as_strided_fn": (lambda x: _lib(x).as_strided(x, (2, 2), (1, 2)), [X]),
    "t_fn": (lambda x: _lib(x).t(x[0]), [X]),
    "unflatten_fn": (lambda x: _lib(x).unflatten(x, 2, (5, 1)), [X]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape_op_matches_torch_with_gradients(name):
    fn, arrays = CASES[name]
    function_parity(fn, fn, arrays, [True] * len(arrays), what=name)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rot90_second_order_matches_torch(k):
    res = []
    g = np.random.default_rng(k).standard_normal((4, 4, 2) if k % 2 else (3, 5, 2))
    for lib in (mt, torch):
        x = lib.tensor(X[0], requires_grad=True)
        y = (x * x).rot90(k).unfold(0, 2, 1)
        (gx,) = lib.autograd.grad(y, x, lib.tensor(g), create_graph=True)
        res.append(lib.autograd.grad((gx * gx).sum(), x)[0])
    assert_close(res[0], res[1], np.float64)


def test_broadcast_shapes_and_returns_as_torch():
    assert mt.broadcast_shapes((3, 1), 4, (2, 1, 1)) == torch.broadcast_shapes((3, 1), 4, (2, 1, 1))
    assert isinstance(mt.broadcast_shapes((1,), (2,)), mt.Size)
    for lib in (mt, torch):
        one = lib.atleast_2d(lib.tensor(1.0))
        assert tuple(one.shape) == (1, 1)
        pair = lib.atleast_1d([lib.tensor(1.0), lib.zeros(2)])
        assert isinstance(pair, tuple) and [tuple(p.shape) for p in pair] == [(1,), (2,)]


def test_unfold_is_a_view_that_follows_the_tensor():
    x = mt.arange(6.0)
    w = x.unfold(0, 3, 2)
    x.mul_(10)
    np.testing.assert_array_equal(w.numpy(), torch.arange(6.0).mul_(10).unfold(0, 3, 2).numpy())


@pytest.mark.parametrize("op, args", [("t_", ()), ("transpose_", (0, 1)), ("swapaxes_", (1, 0)),
                                      ("swapdims_", (0, 1)), ("unsqueeze_", (1,)), ("squeeze_", ())])
def test_inplace_view_changes_match_torch(op, args):
    a = X[0][:, :1] if op == "squeeze_" else X[0]
    outs, names = [], []
    for lib in (mt, torch):
        leaf = lib.tensor(a, requires_grad=True)
        y = leaf * 2
        v0 = y._version
        assert getattr(y, op)(*args) is y and y._version == v0 + 1
        z = y.exp()
        z.backward(lib.tensor(np.random.default_rng(5).standard_normal(tuple(z.shape))))
        outs.append((y.detach().clone(), leaf.grad))
        names.append(y.grad_fn.name())
        plain = lib.tensor(a)
        getattr(plain, op)(*args)
        outs.append((plain,))
    assert names[0] == names[1]
    for ours, theirs in zip(outs[:2], outs[2:]):
        for o, t in zip(ours, theirs):
            assert tuple(o.shape) == tuple(t.shape)
            assert_close(o, t, np.float64)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(mt.tensor(a, requires_grad=True), op)(*args)


def test_inplace_view_change_gradient_matches_torch():
    grads = []
    g = np.random.default_rng(3).standard_normal((1, 5, 4))
    for lib in (mt, torch):
        leaf = lib.tensor(X[0], requires_grad=True)
        y = leaf.sin()
        y.t_()
        y.unsqueeze_(0)
        (y * y).backward(lib.tensor(g))
        grads.append(leaf.grad)
    assert_close(grads[0], grads[1], np.float64)


BAD = [
    (lambda lib, x: x.roll((1, 2), (0,)), RuntimeError, "shifts and dimensions must align"),
    (lambda lib, x: x.rot90(1, (0, 0)), RuntimeError, "expected rotation dims to be different"),
    (lambda lib, x: x[0, 0].fliplr(), RuntimeError, "Input must be >= 2-d"),
    (lambda lib, x: x.hsplit(3), RuntimeError, "not divisible by the split_size 3"),
    (lambda lib, x: x[0, 0].vsplit(2), RuntimeError, "requires a tensor with at least 2 dimension"),
    (lambda lib, x: x.tensor_split(0), RuntimeError, "number of sections must be larger than 0"),
    (lambda lib, x: x.split_with_sizes([1, 1], 0), RuntimeError, "split_with_sizes expects split_sizes to sum"),
    (lambda lib, x: x.unfold(2, 6, 1), RuntimeError, "maximum size for tensor at dimension 2 is 5"),
    (lambda lib, x: x.unfold(2, 2, 0), RuntimeError, "step is 0 but must be > 0"),
    (lambda lib, x: lib.broadcast_shapes((2,), (3,)), RuntimeError, "Attempting to broadcast a dimension"),
    (lambda lib, x: x.as_strided((70,), (1,)), RuntimeError, "out of bounds for storage"),
    (lambda lib, x: lib.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_input_raises_as_torch(k):
    fn, exc, msg = BAD[k]
    with pytest.raises(exc, match=msg):
        fn(torch, torch.tensor(X))
    with pytest.raises(exc, match=msg):
        fn(mt, mt.tensor(X))
