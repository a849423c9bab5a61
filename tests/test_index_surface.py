"""Index-vector, mask and flat-position ops against torch: values and gradients (random upstream gradient),
float64 exact and float32 against the float64 truth; repeated indices; torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _grad_parity import function_parity
from _parity import assert_close

import minitorch_cnn as mt

R = np.random.default_rng(0)
X = R.standard_normal((4, 5))
IDX = np.array([3, 0, 3, 1])  # a repeat: gradients add up


CASES = {
    "index_select": (lambda x, i: x.index_select(1, i), [X, IDX]),
    "fn_index_select": (None, [X, IDX]),
    "index_add_alpha": (lambda x, i, s: x.index_add(0, i, s, alpha=2.5), [X, IDX, R.standard_normal((4, 5))]),
    "index_copy": (lambda x, i, s: x.index_copy(1, i, s), [X, np.array([4, 0, 2]), R.standard_normal((4, 3))]),
    "index_fill_tensor": (lambda x, i, v: x.index_fill(1, i, v), [X, IDX, np.array(1.5)]),
    "index_put_accumulate": (lambda x, i, j, v: x.index_put((i, j), v, accumulate=True),
                             [X, np.array([0, 2, 0]), np.array([1, 1, 1]), R.standard_normal(3)]),
    "index_put_broadcast_row": (lambda x, i, v: x.index_put((i,), v), [X, np.array([2, 0]), R.standard_normal(5)]),
    "masked_select": (lambda x, m: x.masked_select(m), [X[:1], X > 0]),
    "masked_scatter": (lambda x, m, s: x.masked_scatter(m, s), [X, X > 0.3, R.standard_normal(25)]),
    "take": (lambda x, i: x.take(i), [X, np.array([[0, -1], [7, 7]])]),
    "take_along_dim": (lambda x, i: x.take_along_dim(i, dim=1), [X, np.array([[0], [4], [2], [2]])]),
    "take_along_dim_broadcast": (lambda x, i: x.take_along_dim(i, dim=1), [X, np.array([[0, 4, 4]])]),
    "take_along_dim_flat": (lambda x, i: x.take_along_dim(i), [X, np.array([[0, 19], [3, 3]])]),
    "put_accumulate": (lambda x, i, s: x.put(i, s, accumulate=True), [X, np.array([1, -1, 1]), R.standard_normal(3)]),
    "put": (lambda x, i, s: x.put(i, s), [X, np.array([[1, 6]]), R.standard_normal((2, 1))]),
    "select_scatter": (lambda x, s: x.select_scatter(s, 1, -2), [X, R.standard_normal(4)]),
    "slice_scatter": (lambda x, s: x.slice_scatter(s, dim=1, start=1, step=2), [X, R.standard_normal((4, 2))]),
    "diagonal_scatter": (lambda x, s: x.diagonal_scatter(s, -1), [X, R.standard_normal(3)]),
    "scatter_add": (lambda x, i, s: x.scatter_add(0, i, s), [X, np.array([[0, 1, 0], [0, 3, 3]]), X[:2, :3].copy()]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_index_op_matches_torch_with_gradients(name):
    fn, arrays = CASES[name]
    if fn is None:
        ours, theirs = (lambda x, i: mt.index_select(x, 0, i)), (lambda x, i: torch.index_select(x, 0, i))
    else:
        ours = theirs = fn
    grads = [a.dtype.kind == "f" for a in arrays]
    function_parity(ours, theirs, arrays, grads, what=name)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_matches_torch_with_gradients(reduce, include_self):
    x = np.round(R.standard_normal((3, 4)), 1)
    src = np.round(R.standard_normal((3, 4)), 1)
    src[0, 1] = src[2, 1] = x[1, 1] = 0.7  # a three-way tie for amax at (1, 1)
    src[1, 3] = src[1, 2] = x[0, 2] = -3.0  # ties for amin
    src[0, 0] = 0.0  # a single zero for prod
    index = np.array([[1, 1, 0, 2], [0, 0, 0, 0], [1, 1, 2, 0]])

    def fn(a, i, s):
        return a.scatter_reduce(0, i, s, reduce, include_self=include_self)

    function_parity(fn, fn, [x, index, src], [True, False, True], what=f"{reduce} {include_self}")


@pytest.mark.parametrize("old, new", [("max", "amax"), ("min", "amin")])
def test_scatter_reduce_takes_torchs_older_names(old, new):
    index = mt.tensor([[0, 2, 0, 2]])
    ours = mt.tensor(X[:3, :4]).scatter_reduce(0, index, mt.tensor(X[1:, 1:]), old)
    theirs = torch.tensor(X[:3, :4]).scatter_reduce(0, torch.tensor(index.numpy()), torch.tensor(X[1:, 1:]), new)
    assert_close(ours, theirs, np.float64)


def test_scatter_reduce_second_order_matches_torch():
    x = R.standard_normal((3, 4))
    idx = np.array([[0, 2, 2, 1]])

    def run(lib, a):
        xt = lib.tensor(a, requires_grad=True)
        src = lib.tensor(a[:1] * 3, requires_grad=True)
        y = (xt * xt).scatter_reduce(0, lib.tensor(idx), src * src, "mean")
        g1, g2 = lib.autograd.grad(y, (xt, src), lib.tensor(X[:3, :4]), create_graph=True)
        return lib.autograd.grad((g1 * g1).sum() + (g2 * g2).sum(), (xt, src))

    for o, t in zip(run(mt, x), run(torch, x)):
        assert_close(o, t, np.float64, what="second order")


def test_index_add_repeats_and_inplace_forms_match_torch():
    outs = []
    for lib in (mt, torch):
        x = lib.tensor(X.copy())
        x.index_add_(0, lib.tensor([1, 1, 2]), lib.ones(3, 5, dtype=lib.float64), alpha=-1)
        x.index_fill_(1, lib.tensor([0]), 2.0)
        x.index_copy_(0, lib.tensor([3]), lib.zeros(1, 5, dtype=lib.float64))
        x.index_put_((lib.tensor([0, 0]),), lib.tensor(5.0, dtype=lib.float64), accumulate=True)
        x.masked_scatter_(x > 1, lib.arange(20, dtype=lib.float64))
        x.put_(lib.tensor([2]), lib.tensor([9.0], dtype=lib.float64))
        x.scatter_add_(1, lib.tensor([[0, 0]]), lib.ones(1, 2, dtype=lib.float64))
        x.scatter_reduce_(1, lib.tensor([[4, 4]]), lib.ones(1, 2, dtype=lib.float64), "prod")
        x.fill_diagonal_(-7.0)
        outs.append(x)
    assert_close(outs[0], outs[1], np.float64, what="in-place chain")


@pytest.mark.parametrize("shape, wrap", [((7, 3), False), ((7, 3), True), ((3, 3, 3), False), ((2, 5), False)])
def test_fill_diagonal_matches_torch(shape, wrap):
    a = [lib.zeros(shape).fill_diagonal_(1.0, wrap=wrap) for lib in (mt, torch)]
    np.testing.assert_array_equal(a[0].numpy(), a[1].numpy())


def test_fill_diagonal_in_graph_gradient_matches_torch():
    grads = []
    for lib in (mt, torch):
        x = lib.tensor(X, requires_grad=True)
        y = x * 2
        y.fill_diagonal_(3.0)
        y.backward(lib.tensor(X[::-1].copy()))
        grads.append(x.grad)
    assert_close(grads[0], grads[1], np.float64)


@pytest.mark.parametrize("data", [[[0, 1.5], [0, 0]], [0, 3, 0, -1], [[[True, False]], [[True, True]]], 0.0, 2.0])
def test_nonzero_argwhere_where_match_torch(data):
    ours, theirs = mt.tensor(data), torch.tensor(data)
    for f in (lambda lib, t: lib.nonzero(t), lambda lib, t: lib.argwhere(t), lambda lib, t: t.nonzero()):
        a, b = f(mt, ours), f(torch, theirs)
        assert a.dtype == mt.int64 and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(mt.nonzero(ours, as_tuple=True), torch.nonzero(theirs, as_tuple=True)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    if ours.ndim:
        for a, b in zip(mt.where(ours), torch.where(theirs)):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_index_put_with_bool_mask_matches_torch():
    a = [lib.tensor(X).index_put((lib.tensor(X > 0),), lib.tensor(0.5, dtype=lib.float64)) for lib in (mt, torch)]
    assert_close(a[0], a[1], np.float64)


def test_int_tensors_keep_their_dtype():
    for lib in (mt, torch):
        x = lib.arange(6).reshape(2, 3)
        y = x.scatter_reduce(1, lib.tensor([[0, 0, 2]]), lib.tensor([[5, 7, 1]]), "mean", include_self=False)
        z = x.index_fill(0, lib.tensor([1]), 9).masked_select(x > 1)
        if lib is mt:
            ours = (y.numpy(), z.numpy())
        else:
            np.testing.assert_array_equal(ours[0], y.numpy())
            np.testing.assert_array_equal(ours[1], z.numpy())
    assert y.dtype == torch.int64


BAD = [
    (lambda lib, x: x.index_select(0, lib.tensor([0.0])), RuntimeError, "Expected dtype int32 or int64 for index"),
    (lambda lib, x: x.index_select(0, lib.tensor([4])), IndexError, "out of range"),
    (lambda lib, x: x.index_add(0, lib.tensor([0]), lib.ones(1, 5)), RuntimeError, "same scalar type"),
    (lambda lib, x: x.masked_select(lib.ones(4, 5)), RuntimeError, "expected BoolTensor for mask"),
    (lambda lib, x: x.scatter_reduce(0, lib.tensor([[0]]), x, "add"), RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin"),
    (lambda lib, x: x.masked_scatter(x > -10, lib.ones(3, dtype=lib.float64)), RuntimeError,
     "Number of elements of source < number of ones in mask"),
    (lambda lib, x: x.take(lib.tensor([20])), IndexError, "out of range: tried to access index 20"),
    (lambda lib, x: lib.take_along_dim(x, lib.tensor([0]), 0), RuntimeError, "same number of dimensions"),
    (lambda lib, x: x.index_put((lib.tensor([0]),), lib.ones(5)), RuntimeError,
     "Index put requires the source and destination dtypes match"),
    (lambda lib, x: x.select_scatter(lib.ones(3, dtype=lib.float64), 0, 0), RuntimeError,
     "expected src to have a size equal to the slice of self"),
    (lambda lib, x: x.index_fill(0, lib.tensor([0]), lib.ones(2)), RuntimeError,
     "index_fill_ only supports a 0-dimensional value tensor"),
    (lambda lib, x: x.index_add(0, lib.tensor([0]), x[:1, :2]), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension"),
    (lambda lib, x: x.index_copy(0, lib.tensor([4]), x[:1]), IndexError, "index 4 is out of bounds for dimension 0"),
    (lambda lib, x: x.put(lib.tensor([0, 1]), x[0, :1]), IndexError,
     "Expected source and index to have the same number of elements"),
    (lambda lib, x: x[0].fill_diagonal_(1.0, wrap=True), RuntimeError,
     "dimensions must larger than 1"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_input_raises_as_torch(k):
    fn, exc, msg = BAD[k]
    with pytest.raises(exc, match=msg):
        fn(torch, torch.tensor(X))
    with pytest.raises(exc, match=msg):
        fn(mt, mt.tensor(X))


SECOND_ORDER = {
    "index_select": lambda lib, x, s: x.index_select(0, lib.tensor([2, 0, 2])) * s[:3],
    "index_add": lambda lib, x, s: x.index_add(0, lib.tensor([1, 1, 3, 0]), s * s, alpha=0.5),
    "index_copy": lambda lib, x, s: x.index_copy(0, lib.tensor([3, 0, 1, 2]), s * s) * x,
    "index_put_accumulate": lambda lib, x, s: x.index_put((lib.tensor([0, 0]),), s[1] * s[2], accumulate=True) * x,
    "masked_scatter": lambda lib, x, s: x.masked_scatter(x > 0, s * s) * x,
    "masked_select": lambda lib, x, s: x.masked_select(s > 0) * (s * x).masked_select(s > 0),
    "take": lambda lib, x, s: x.take(lib.tensor([[0, -1, 3]])) * s[0, :3],
    "scatter_add": lambda lib, x, s: x.scatter_add(1, lib.tensor([[0, 0, 4]]), (s * s)[:1, :3]),
    "slice_scatter": lambda lib, x, s: x.slice_scatter((s * s)[:, ::2], dim=1, step=2) * x,
    "diagonal_scatter": lambda lib, x, s: x.diagonal_scatter((s * s).diagonal(1), 1) * x,
    "roll": lambda lib, x, s: (x * s).roll(3) * x,
    "as_strided": lambda lib, x, s: (x * x).as_strided((3, 3), (2, 1)) * s[:3, :3],
    "unfold": lambda lib, x, s: (x * s).unfold(1, 2, 1) * x.unfold(1, 2, 1),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_order_matches_torch(name):
    fn = SECOND_ORDER[name]
    s0 = R.standard_normal((4, 5))
    res = []
    for lib in (mt, torch):
        x, s = lib.tensor(X, requires_grad=True), lib.tensor(s0, requires_grad=True)
        y = fn(lib, x, s)
        g = lib.tensor(np.random.default_rng(7).standard_normal(tuple(y.shape)))
        gx, gs = lib.autograd.grad(y, (x, s), g, create_graph=True)
        res.append(lib.autograd.grad((gx * gx).sum() + (gs * gs * gs).sum(), (x, s), allow_unused=True))
    for o, t in zip(*res):  # an input the gradient does not depend on: None in torch, None or zeros here
        if t is None:
            assert o is None or not o.numpy().any()
        else:
            assert_close(o, t, np.float64, what=name)


def test_out_argument_matches_torch():
    res = []
    for lib in (mt, torch):
        x = lib.tensor(X)
        outs = [lib.empty(0, dtype=lib.float64) for _ in range(4)]
        lib.index_select(x, 1, lib.tensor([4, 4, 0]), out=outs[0])
        lib.masked_select(x, x > 0, out=outs[1])
        lib.take(x, lib.tensor([3, 1]), out=outs[2])
        lib.take_along_dim(x, lib.tensor([[1], [0], [2], [4]]), 1, out=outs[3])
        res.append(outs)
    for o, t in zip(*res):
        assert_close(o, t, np.float64)


def _nodes(lib):
    x = lib.tensor(X, requires_grad=True)
    i = lib.tensor([0, 2])
    ys = [x.index_select(0, i), x.take(i), x.masked_select(x > 0), x.as_strided((2,), (1,)),
          x.index_add(0, i, x[:2]), x.scatter_add(0, i[None], x), x.index_put((i,), x[0], accumulate=True),
          x.index_put((i,), x[0]), x.index_copy(0, i, x[:2]), x.index_fill(0, i, 1.0), x.masked_scatter(x > 0, x),
          x.select_scatter(x[0], 0, 1), x.slice_scatter(x[:2], 0, 0, 2), x.diagonal_scatter(x.diagonal()),
          x.scatter_reduce(0, i[None], x, "amax"), x.roll(1), x.unfold(0, 2, 1), lib.diag_embed(x),
          x.put(i, x[0, :2]), x.put(i, x[0, :2], accumulate=True), (x * 1).fill_diagonal_(0.5)]
    return [y.grad_fn.name() for y in ys]


def test_node_names_match_torch():
    assert _nodes(mt) == _nodes(torch)


def test_clone_and_masked_fill_functions_match_torch():
    grads = []
    for lib in (mt, torch):
        x = lib.tensor(X, requires_grad=True)
        c = lib.clone(x, memory_format=lib.contiguous_format)
        y = lib.masked_fill(lib.clone(c * 2), c > 0, -1.5)
        assert lib.clone(x).requires_grad and c is not x
        y.backward(lib.tensor(X[::-1].copy()))
        grads.append((y, x.grad))
    for o, t in zip(*grads):
        assert_close(o, t, np.float64)


def test_clone_memory_format_as_torch():
    for lib in (mt, torch):
        x = lib.tensor(np.random.default_rng(1).standard_normal((2, 3, 4, 5)))
        for c in (x.clone(memory_format=lib.channels_last), lib.clone(x, memory_format=lib.channels_last)):
            assert c.is_contiguous(memory_format=lib.channels_last) and not c.is_contiguous()
            assert_close(c, x.detach().numpy(), np.float64)


def test_scatter_reduce_with_a_larger_src_matches_torch():
    index = [[0, 2, 2], [1, 1, 0]]
    ours = mt.tensor(X[:3, :4]).scatter_reduce(0, mt.tensor(index), mt.tensor(X), "mean", include_self=False)
    theirs = torch.tensor(X[:3, :4]).scatter_reduce(0, torch.tensor(index), torch.tensor(X), "mean",
                                                    include_self=False)
    assert_close(ours, theirs, np.float64)


AXIS = {
    "index_select": lambda lib, x, i: lib.index_select(x, axis=1, index=i),
    "index_add": lambda lib, x, i: x.index_add(axis=0, index=i, source=x[:2]),
    "index_copy_": lambda lib, x, i: x.clone().index_copy_(axis=0, index=i, source=x[:2] * 2),
    "index_fill": lambda lib, x, i: x.index_fill(axis=1, index=i, value=1.0),
    "scatter_add": lambda lib, x, i: x.scatter_add(axis=0, index=i[None], src=x),
    "scatter_reduce": lambda lib, x, i: x.scatter_reduce(axis=1, index=i[None], src=x, reduce="amin"),
    "take_along_dim": lambda lib, x, i: lib.take_along_dim(x, i[:, None], axis=0),
    "select_scatter": lambda lib, x, i: lib.select_scatter(x, x[0], axis=0, index=1),
    "slice_scatter": lambda lib, x, i: lib.slice_scatter(x, x[:, :2], axis=1, start=3),
    "tensor_split": lambda lib, x, i: lib.tensor_split(x, 2, axis=1)[1],
    "split_with_sizes": lambda lib, x, i: x.split_with_sizes([1, 3], axis=0)[1],
}


@pytest.mark.parametrize("name", sorted(AXIS))
def test_numpy_axis_keyword_as_torch(name):
    ours = AXIS[name](mt, mt.tensor(X), mt.tensor([2, 0]))
    theirs = AXIS[name](torch, torch.tensor(X), torch.tensor([2, 0]))
    assert_close(ours, theirs, np.float64)
