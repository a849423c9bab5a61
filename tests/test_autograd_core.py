"""Autograd semantics, as torch's: graph building, backward, accumulation, hooks, grad modes, in-place versions."""

from __future__ import annotations

import gc
import sys
from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt
from minitorch_cnn.autograd import Function, Tensor


def _pair(arr: np.ndarray) -> tuple[Tensor, torch.Tensor]:
    """The same float64 leaf in both libraries."""
    return mt.tensor(arr, dtype=mt.float64, requires_grad=True), torch.tensor(arr, dtype=torch.float64,
                                                                               requires_grad=True)


# ---- graph structure --------------------------------------------------------------------------------------------
def test_leaves_and_grad_fn() -> None:
    x = mt.randn(3, requires_grad=True)
    c = mt.randn(3)
    y = x * c
    assert x.is_leaf and x.grad_fn is None and c.is_leaf and not c.requires_grad
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert y.grad_fn.name() == "MulBackward0"
    (acc, i), (none, j) = y.grad_fn.next_functions
    assert acc.variable is x and acc.name() == "torch::autograd::AccumulateGrad" and none is None and i == j == 0
    z = c * 2
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None


def test_needs_input_grad_is_seen_by_forward() -> None:
    seen = []

    class Probe(Function):
        def forward(self, a: Any, b: Any, k: int) -> Any:
            seen.append(self.needs_input_grad)
            return a * b * k

        def backward(self, g: Any) -> tuple:
            return g, g, None

    a, b = mt.ones(2, requires_grad=True), mt.ones(2)
    Probe.apply(a, b, 3)
    with mt.no_grad():
        Probe.apply(a, b, 3)
    assert seen == [(True, False, False), (False, False, False)]


def test_detach_cuts_the_graph_and_shares_data() -> None:
    x = mt.randn(3, requires_grad=True)
    y = (x * 2).detach()
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    d = x.detach()
    assert d._data is x._data


# ---- backward -----------------------------------------------------------------------------------------------------
def test_deep_chain_of_100000_ops_has_no_recursion_limit() -> None:
    x = mt.tensor([1.5], dtype=mt.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    assert 100_000 > sys.getrecursionlimit()
    y.backward(mt.tensor([2.0], dtype=mt.float64))
    assert x.grad.tolist() == [2.0]
    del y
    gc.collect()  # tearing the 100,000-node graph down must not recurse either


def test_diamond_graph_sums_every_use() -> None:
    rng = np.random.default_rng(0)
    arr, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    results = []
    for x, lib in (_pair(arr)[0], mt), (_pair(arr)[1], torch):
        a = x * x
        b = a + x  # x used again
        c = lib.exp(a) * b + a * x - x / (a + 2.0)  # a and x used many times
        c.backward(lib.tensor(g, dtype=c.dtype))
        results.append(x.grad)
    assert_close(results[0], results[1], np.float64, what="diamond grad")


def test_gradients_summed_in_place_never_touch_an_array_another_node_holds() -> None:
    """The engine adds a node's later gradients into its first one only when it owns that array (a residual
    block's input); an array that another node or the gradient being passed on also holds must be summed into a
    new one. ``a + a`` hands one array to ``a``'s node twice and ``relu(a) + a`` hands one to two nodes: both
    checked against torch. Then two gradients of a Function that declares them fresh meet at ``Seen``, which must
    receive one of them (added to in place), not a third array; undeclared, they are summed into a new one."""
    rng = np.random.default_rng(1)
    arr, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    grads = []
    for x, lib in (_pair(arr)[0], mt), (_pair(arr)[1], torch):
        a = x * 2.0
        b = a + a
        r = lib.relu(a) + a
        (b * 3.0 + r * r).backward(lib.tensor(g, dtype=a.dtype))
        grads.append(x.grad)
    assert_close(grads[0], grads[1], np.float64, what="sums into shared and owned gradients")

    fresh, seen = [], []

    class Fresh(Function):  # y = k·x; its gradient is a new array, whose id is noted (no reference kept)
        fresh_grads = True

        def forward(self, a: Any, k: float) -> Any:
            self.k = k
            return a * k

        def backward(self, g: Any) -> Any:
            out = g * self.k
            fresh.append(id(out))
            return out, None

    class Seen(Function):  # y = x; notes the id of the summed gradient it receives
        def forward(self, a: Any) -> Any:
            return a.copy()

        def backward(self, g: Any) -> Any:
            seen.append(id(g))
            return g

    x = mt.tensor(arr, requires_grad=True)
    s = Seen.apply(x)
    (Fresh.apply(s, 2.0) + Fresh.apply(s, 3.0)).backward(mt.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), 5.0 * g, rtol=1e-15)
    assert len(fresh) == 2 and seen[0] in fresh

    Fresh.fresh_grads = False
    fresh.clear()
    seen.clear()
    s = Seen.apply(x)
    (Fresh.apply(s, 2.0) + Fresh.apply(s, 3.0)).backward(mt.tensor(g))
    assert len(fresh) == 2 and seen[0] not in fresh


def test_grad_never_aliases_an_array_the_engine_does_not_own() -> None:
    """A pass-through gradient (Add hands the caller's array on; expand's is a read-only broadcast view) is copied
    into .grad; a gradient the Function declares fresh (Linear's GEMM output) is handed over without a copy."""
    g = np.ones((2, 3))
    a = mt.zeros(2, 3, dtype=mt.float64, requires_grad=True)
    (a + 1.0).backward(mt.tensor(g))
    assert not np.shares_memory(a.grad.numpy(), g)
    b = mt.zeros(3, dtype=mt.float64, requires_grad=True)
    b.expand(2, 3).backward(mt.tensor(g))
    b.grad.numpy()[...] += 1  # writeable, its own memory
    assert b.grad.tolist() == [3.0, 3.0, 3.0]

    seen = []

    class Fresh(Function):
        fresh_grads = True

        def forward(self, x: Any) -> Any:
            return x * 2

        def backward(self, grad: Any) -> Any:
            out = grad * 2
            seen.append(out)
            return out

    c = mt.zeros(2, 3, dtype=mt.float64, requires_grad=True)
    Fresh.apply(c).backward(mt.tensor(g))
    assert c.grad.numpy() is seen[0]


def test_same_tensor_as_both_operands() -> None:
    x, xt = _pair(np.array([1.0, -2.0, 3.0]))
    (x * x).backward(mt.tensor([1.0, 1.0, 1.0], dtype=mt.float64))
    (xt * xt).backward(torch.ones(3, dtype=torch.float64))
    assert x.grad.tolist() == xt.grad.tolist() == [2.0, -4.0, 6.0]


def test_gradients_accumulate_across_backward_calls() -> None:
    x = mt.tensor([1.0, 2.0], dtype=mt.float64, requires_grad=True)
    g = mt.tensor([1.0, 10.0], dtype=mt.float64)
    (x * 3).backward(g)
    first = x.grad
    (x * x).backward(g)
    assert x.grad.tolist() == [3.0 + 2.0, 30.0 + 40.0]
    assert x.grad is first  # accumulated in place, as torch does


def test_backward_through_a_freed_graph_raises_clearly() -> None:
    x = mt.randn(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_backward_through_a_shared_freed_node_raises() -> None:
    x = mt.randn(3, requires_grad=True)
    h = x.exp()
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        (h * 3).sum().backward()  # a new root, but h's node was freed by the first backward


def test_graph_nodes_do_not_keep_intermediate_arrays_alive() -> None:
    """As torch's edges: an intermediate that no op saved is freed once Python drops it, not when the graph dies
    (a BatchNorm output feeding a ReLU, a residual sum). Leaves that require grad are still reached."""
    import weakref

    x = mt.randn(4, 5, dtype=mt.float64, requires_grad=True)
    w = mt.randn(5, dtype=mt.float64, requires_grad=True)
    mid = x + w  # addition saves neither operand
    ref = weakref.ref(mid._data)
    out = mid.relu()  # relu saves its output, not its input
    del mid
    gc.collect()
    assert ref() is None
    node = out.grad_fn
    assert [type(f).__name__ for f, _ in node.next_functions] == ["Add"]
    assert [f.variable for f, _ in node.next_functions[0][0].next_functions] == [x, w]
    g = np.random.default_rng(0).standard_normal((4, 5))
    out.backward(mt.tensor(g))
    tx, tw = torch.tensor(x._data, requires_grad=True), torch.tensor(w._data, requires_grad=True)
    (tx + tw).relu().backward(torch.tensor(g, dtype=tx.dtype))
    assert_close(x.grad.numpy(), tx.grad.numpy(), "float64")
    assert_close(w.grad.numpy(), tw.grad.numpy(), "float64")


def test_retain_graph_allows_a_second_backward() -> None:
    x = mt.tensor([1.0, 2.0], dtype=mt.float64, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once, rtol=1e-15)


def test_non_scalar_backward_needs_a_gradient() -> None:
    y = mt.randn(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs.*\\(2, 3\\)"):
        y.backward()
    with pytest.raises(RuntimeError, match="gradient has shape \\(3,\\) but the output has shape \\(2, 3\\)"):
        y.backward(mt.ones(3))


def test_backward_of_a_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (mt.ones(2) * 2).sum().backward()


def test_backward_on_a_leaf_accumulates_the_gradient() -> None:
    x = mt.ones(2, requires_grad=True)
    x.backward(mt.tensor([3.0, 4.0]))
    assert x.grad.tolist() == [3.0, 4.0]


def test_gradient_of_a_float32_leaf_stays_float32() -> None:
    x = mt.ones(2, requires_grad=True)
    (x.double() * 3).backward(mt.ones(2, dtype=mt.float64))
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


def test_graph_frees_saved_arrays_after_backward() -> None:
    x = mt.randn(4, requires_grad=True)
    y = x.exp()
    assert y.grad_fn.__dict__  # forward saved its output
    y.backward(mt.ones(4))
    assert not y.grad_fn.__dict__


def test_function_with_a_wrong_gradient_shape_is_named() -> None:
    class BadShape(Function):
        def forward(self, a: Any) -> Any:
            return a * 2

        def backward(self, g: Any) -> Any:
            return g.sum(0)

    x = mt.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="BadShapeBackward0 returned an invalid gradient at index 0.*\\(3,\\).*"
                                           "\\(2, 3\\)"):
        BadShape.apply(x).backward(mt.ones(2, 3))


def test_function_missing_a_gradient_for_a_tensor_input_is_named() -> None:
    class TooFew(Function):
        def forward(self, a: Any, b: Any) -> Any:
            return a + b

        def backward(self, g: Any) -> Any:
            return g

    a, b = mt.ones(2, requires_grad=True), mt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="TooFewBackward0 returned 1 gradients for 2 positional inputs"):
        TooFew.apply(a, b).backward(mt.ones(2))


# ---- retain_grad and hooks ----------------------------------------------------------------------------------------
def test_retain_grad_keeps_a_non_leaf_gradient() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = y * y
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    z.backward(mt.ones(2))
    assert y.grad.tolist() == [6.0, 12.0]
    assert z.grad is None and x.grad.tolist() == [18.0, 36.0]


def test_hooks_match_torch_on_leaf_and_non_leaf() -> None:
    arr, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -2.0])
    results, seen = [], []
    for x in _pair(arr):
        y = x * x
        y.retain_grad()
        seen.append([])
        y.register_hook(lambda grad, s=seen[-1]: s.append(grad.tolist()))
        y.register_hook(lambda grad: grad * 10)  # modifies what flows on, and what retain_grad records
        x.register_hook(lambda grad: grad + 1)  # modifies what is accumulated into x.grad
        z = y.exp()
        z.backward(mt.from_numpy(g) if isinstance(z, Tensor) else torch.from_numpy(g))
        results.append((x.grad.tolist(), y.grad.tolist()))
    assert seen[0] == seen[1]
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-14)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-14)


def test_hook_handle_removes_the_hook() -> None:
    x = mt.ones(2, requires_grad=True)
    handle = x.register_hook(lambda grad: grad * 100)
    handle.remove()
    (x * 2).backward(mt.ones(2))
    assert x.grad.tolist() == [2.0, 2.0]


def test_hook_needs_requires_grad() -> None:
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        mt.ones(2).register_hook(lambda g: g)


# ---- grad modes -----------------------------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_as_context_managers() -> None:
    x = mt.ones(2, requires_grad=True)
    with mt.no_grad():
        assert not mt.is_grad_enabled()
        y = x * 2
        with mt.enable_grad():
            z = x * 2
        w = x * 2
    assert mt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad and not w.requires_grad


def test_no_grad_as_decorator_restores_the_mode() -> None:
    @mt.no_grad()
    def f(t: Tensor) -> Tensor:
        return t * 2

    @mt.enable_grad()
    def g(t: Tensor) -> Tensor:
        return t * 2

    x = mt.ones(2, requires_grad=True)
    assert not f(x).requires_grad and mt.is_grad_enabled()
    with mt.no_grad():
        assert g(x).requires_grad and not mt.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), mt.no_grad():
        mt.ones(1) * (1 / 0)
    assert mt.is_grad_enabled()


def test_set_grad_enabled() -> None:
    mt.set_grad_enabled(False)
    try:
        assert not (mt.ones(2, requires_grad=True) * 2).requires_grad
    finally:
        mt.set_grad_enabled(True)


@pytest.mark.parametrize("dtype", [mt.int64, mt.int32, mt.bool_, mt.uint8])
def test_requires_grad_on_an_integer_tensor_raises(dtype: Any) -> None:
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        mt.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        mt.zeros(2, dtype=dtype).requires_grad_()


def test_requires_grad_flag_of_a_non_leaf_cannot_be_cleared() -> None:
    y = mt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


# ---- in-place ops and version counters --------------------------------------------------------------------------
@pytest.mark.parametrize("op", [lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(), lambda t: t.fill_(3),
                                lambda t: t.copy_(mt.ones(3)), lambda t: t.__setitem__(0, 5.0)])
def test_in_place_on_a_leaf_that_requires_grad(op: Any) -> None:
    x = mt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place operation"):
        op(x)
    assert x._version == 0
    with mt.no_grad():
        op(x)
    assert x._version == 1 and x.requires_grad and x.is_leaf


def test_in_place_result_matches_torch() -> None:
    a = np.array([1.0, -2.0, 3.0])
    x, xt = mt.tensor(a), torch.tensor(a, dtype=torch.float32)
    for t in (x, xt):
        t.add_(2).mul_(3).sub_(1).div_(2).clamp_(-1, 5)
    assert x.tolist() == xt.tolist()


def _backward_after(modify: Any, make: Any = lambda x: x * x) -> None:
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = make(x)
    with mt.no_grad():
        modify(x, y)
    y.backward(mt.ones(3))


@pytest.mark.parametrize("modify", [
    lambda x, y: x.mul_(2),
    lambda x, y: x.__setitem__(0, 7.0),
    lambda x, y: x.view(3).add_(1),  # through a view: views share the version counter
    lambda x, y: x[1:].zero_(),  # through a basic-index view
    lambda x, y: x.detach().add_(1),  # through detach(): it shares the version counter too
], ids=["mul_", "setitem", "view", "slice", "detach"])
def test_modifying_a_saved_input_makes_backward_raise(modify: Any) -> None:
    with pytest.raises(RuntimeError, match="modified by an in-place operation: it is at version 1, expected version 0"):
        _backward_after(modify)


def test_modifying_a_saved_output_makes_backward_raise() -> None:
    with pytest.raises(RuntimeError, match="ExpBackward0, its output.*modified by an in-place operation"):
        _backward_after(lambda x, y: y.mul_(2), make=lambda x: x.exp())


def test_in_place_on_a_constant_saved_by_the_graph_raises() -> None:
    w, c = mt.ones(3, requires_grad=True), mt.ones(3)
    y = w * c
    c.add_(1)  # c does not require grad: in place is allowed even in grad mode
    with pytest.raises(RuntimeError, match="MulBackward0, input 1"):
        y.backward(mt.ones(3))


def test_in_place_after_backward_is_fine() -> None:
    w = mt.ones(3, requires_grad=True)
    (w * w).backward(mt.ones(3))
    with mt.no_grad():
        w.sub_(w.grad * 0.5)
    assert w.tolist() == [0.0, 0.0, 0.0] and w._version == 1
    (w * w).backward(mt.ones(3))


def test_writing_into_an_expanded_view_is_refused() -> None:
    e = mt.ones(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="read-only"):
        e.add_(1)
    with pytest.raises(RuntimeError, match=r"__setitem__: in-place write into a read-only tensor of shape \(2, 3\)"):
        e[0] = 2.0  # outside a graph too (NumPy's own ValueError came through before)
    assert e.tolist() == [[1.0] * 3] * 2 and e._version == 0


@pytest.mark.parametrize("shape", [(), (3,)])
def test_a_zero_dim_node_used_twice_gets_both_gradients(shape):
    """(x + x)² through a product whose 0-d gradients NumPy returns as scalars: the second use's gradient is
    added to the first's even though a scalar cannot be added into in place (found by the random-graph test)."""
    x = mt.tensor(np.full(shape, 0.7), requires_grad=True)
    n = x + x
    (n * n).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 8 * 0.7), rtol=1e-15)
