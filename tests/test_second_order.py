"""Second order: double backward of every op against torch, gradgradcheck, the engine's create_graph/grad API.

For each op f the test takes the first gradient with a graph, g = grad(f(x), x, grad_outputs=u, create_graph=True)
(random u), then differentiates s = Σ g·v (random second-order directions v) with respect to the inputs and to u:
torch does the same in the test itself; float64 must agree to 1e-10, float32 is judged against the float64 truth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn.autograd import Function, GradcheckError, gradgradcheck
from tests._parity import assert_close, assert_f32_close


def _arr(shape: tuple, domain: str, rng: np.random.Generator) -> np.ndarray:
    if domain == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "prob":
        return rng.uniform(0.1, 0.9, shape)
    if domain == "away":  # |x| ≥ 0.2: no kink of relu/abs/clamp, no tie of max/min nearby
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)
    return rng.standard_normal(shape)


def _F(lib: Any) -> Any:
    return lib.nn.functional


def _target(lib: Any, arr: np.ndarray) -> Any:
    return lib.tensor(arr, dtype=lib.int64)


_T4 = np.array([0, 2, 1, 2])  # class targets for (4, 3) logits
_T_IGN = np.array([0, -100, 1, 2])

# name -> (f(lib, *inputs), input shapes, domain)
CASES: dict[str, tuple[Callable, list, str]] = {
    "add_broadcast": (lambda lib, a, b: (a + b) * (a + b), [(3, 4), (4,)], "normal"),
    "sub_mul": (lambda lib, a, b: (a - b) * a * b, [(3, 4), (3, 1)], "normal"),
    "div": (lambda lib, a, b: a / b, [(3, 4), (4,)], "pos"),
    "pow_scalar": (lambda lib, a: a ** 2.5, [(3, 4)], "pos"),
    "pow_tensor": (lambda lib, a, b: a ** b, [(3, 4), (3, 4)], "pos"),
    "exp_log_sqrt": (lambda lib, a: a.exp() * a.log() + a.sqrt(), [(3, 4)], "pos"),
    "abs_neg": (lambda lib, a: (-a).abs() * a, [(3, 4)], "away"),
    "relu": (lambda lib, a: _F(lib).relu(a) * a, [(3, 4)], "away"),
    "leaky_relu": (lambda lib, a: _F(lib).leaky_relu(a, 0.1) * a, [(3, 4)], "away"),
    "sigmoid": (lambda lib, a: lib.sigmoid(a), [(3, 4)], "normal"),
    "tanh": (lambda lib, a: lib.tanh(a), [(3, 4)], "normal"),
    "gelu": (lambda lib, a: _F(lib).gelu(a), [(3, 4)], "normal"),
    "gelu_tanh": (lambda lib, a: _F(lib).gelu(a, approximate="tanh"), [(3, 4)], "normal"),
    "silu": (lambda lib, a: _F(lib).silu(a), [(3, 4)], "normal"),
    "clamp": (lambda lib, a: lib.clamp(a, -0.5, 0.7) * a, [(3, 4)], "away"),
    "where": (lambda lib, a, b: lib.where(a > 0, a * b, b * b), [(3, 4), (4,)], "away"),
    "maximum": (lambda lib, a, b: lib.maximum(a, b) * a, [(3, 4), (3, 4)], "normal"),
    "softmax": (lambda lib, a: _F(lib).softmax(a, dim=1), [(3, 5)], "normal"),
    "log_softmax": (lambda lib, a: _F(lib).log_softmax(a, dim=-1), [(3, 5)], "normal"),
    "sum_mean": (lambda lib, a: a.sum(dim=1, keepdim=True) * a.mean(dim=0), [(3, 4)], "normal"),
    "amax": (lambda lib, a: lib.amax(a * a, dim=1), [(3, 4)], "normal"),
    "max_dim": (lambda lib, a: (a * a).max(dim=0)[0] * a[0], [(3, 4)], "normal"),
    "var_std": (lambda lib, a: a.var(dim=1) * a.std(dim=0).sum(), [(3, 4)], "normal"),
    "shape_ops": (lambda lib, a: (a.reshape(4, 3).permute(1, 0).unsqueeze(0).expand(2, 3, 4) ** 2)[:, 1:, ::2],
                  [(3, 4)], "normal"),
    "cat_getitem": (lambda lib, a, b: lib.cat([a * b, b], dim=0)[lib.tensor([0, 2, 2])] ** 2, [(2, 4), (2, 4)],
                    "normal"),
    "pad": (lambda lib, a: _F(lib).pad(a * a, (1, -1, 2, 0)), [(2, 3, 4)], "normal"),
    "matmul": (lambda lib, a, b: lib.matmul(a, b) ** 2, [(2, 3, 4), (4, 5)], "normal"),
    "matmul_vec": (lambda lib, a, b: lib.matmul(a, b) * lib.matmul(b, b), [(3, 4), (4,)], "normal"),
    "linear": (lambda lib, x, w, b: lib.tanh(_F(lib).linear(x, w, b)), [(3, 4), (5, 4), (5,)], "normal"),
    "conv2d": (lambda lib, x, w, b: _F(lib).conv2d(x, w, b, stride=2, padding=1) ** 2,
               [(2, 2, 5, 4), (3, 2, 3, 3), (3,)], "normal"),
    "conv2d_groups_dilation": (lambda lib, x, w: _F(lib).conv2d(x, w, groups=2, dilation=2, padding=2) ** 2,
                               [(1, 4, 5, 5), (4, 2, 3, 3)], "normal"),
    "conv2d_same_even": (lambda lib, x, w: _F(lib).conv2d(x, w, padding="same") ** 2,
                         [(2, 2, 5, 5), (3, 2, 2, 4)], "normal"),
    "conv_transpose2d": (lambda lib, x, w, b: _F(lib).conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=1, groups=2) ** 2, [(2, 4, 3, 4), (4, 1, 3, 3), (2,)], "normal"),
    "conv_transpose2d_dilation": (lambda lib, x, w: _F(lib).conv_transpose2d(x, w, dilation=2) ** 2,
                                  [(1, 2, 3, 3), (2, 3, 2, 2)], "normal"),
    "max_pool2d": (lambda lib, x: _F(lib).max_pool2d(x * x, 2), [(2, 2, 4, 6)], "normal"),
    "max_pool2d_overlap": (lambda lib, x: _F(lib).max_pool2d(x * x, 3, stride=2, padding=1), [(2, 2, 5, 5)],
                           "normal"),
    "avg_pool2d": (lambda lib, x: _F(lib).avg_pool2d(x * x, 3, stride=2, padding=1, count_include_pad=False),
                   [(2, 2, 5, 6)], "normal"),
    "adaptive_avg_pool2d": (lambda lib, x: _F(lib).adaptive_avg_pool2d(x * x, (2, 3)), [(2, 2, 5, 7)], "normal"),
    "adaptive_max_pool2d": (lambda lib, x: _F(lib).adaptive_max_pool2d(x * x, (2, 3)), [(2, 2, 5, 7)], "normal"),
    "batch_norm_train": (lambda lib, x, w, b: _F(lib).batch_norm(x, None, None, w, b, training=True) ** 2,
                         [(3, 2, 2, 3), (2,), (2,)], "normal"),
    "batch_norm_eval": (lambda lib, x, w, b: _F(lib).batch_norm(
        x, lib.tensor([0.1, -0.2], dtype=x.dtype), lib.tensor([0.5, 1.5], dtype=x.dtype), w, b) ** 2,
        [(3, 2, 2, 3), (2,), (2,)], "normal"),
    "batch_norm_1d_no_affine": (lambda lib, x: _F(lib).batch_norm(x, None, None, training=True) ** 2, [(4, 3)],
                                "normal"),
    "layer_norm": (lambda lib, x, w, b: _F(lib).layer_norm(x, (3, 4), w, b) ** 2, [(2, 3, 4), (3, 4), (3, 4)],
                   "normal"),
    "group_norm": (lambda lib, x, w, b: _F(lib).group_norm(x, 2, w, b) ** 2, [(2, 4, 3, 2), (4,), (4,)], "normal"),
    "instance_norm": (lambda lib, x: _F(lib).instance_norm(x) ** 2, [(2, 2, 3, 3)], "normal"),
    "interpolate_bilinear": (lambda lib, x: _F(lib).interpolate(x * x, scale_factor=2, mode="bilinear"),
                             [(1, 2, 3, 3)], "normal"),
    "cross_entropy": (lambda lib, x: _F(lib).cross_entropy(x * x, _target(lib, _T4)), [(4, 3)], "normal"),
    "cross_entropy_weight_ignore_smooth": (lambda lib, x: _F(lib).cross_entropy(
        x * x, _target(lib, _T_IGN), weight=lib.tensor([0.5, 2.0, 1.0], dtype=x.dtype), label_smoothing=0.2),
        [(4, 3)], "normal"),
    "cross_entropy_none_2d": (lambda lib, x: _F(lib).cross_entropy(
        x * x, _target(lib, np.array([[0, 1], [2, 1]])), reduction="none", label_smoothing=0.1),
        [(2, 3, 2)], "normal"),
    "cross_entropy_probs": (lambda lib, x, q: _F(lib).cross_entropy(x * x, _F(lib).softmax(q, dim=1),
                                                                    label_smoothing=0.1), [(4, 3), (4, 3)], "normal"),
    "nll_loss": (lambda lib, x: _F(lib).nll_loss(_F(lib).log_softmax(x * x, dim=1), _target(lib, _T_IGN),
                                                 weight=lib.tensor([0.5, 2.0, 1.0], dtype=x.dtype), reduction="sum"),
                 [(4, 3)], "normal"),
    "mse_loss": (lambda lib, x, y: _F(lib).mse_loss(x * x, y), [(3, 4), (3, 4)], "normal"),
    "binary_cross_entropy": (lambda lib, x: _F(lib).binary_cross_entropy(
        lib.sigmoid(x), lib.tensor(np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 0.5]]), dtype=x.dtype),
        weight=lib.tensor(np.array([0.5, 2.0, 1.0]), dtype=x.dtype)), [(2, 3)], "normal"),
    "binary_cross_entropy_target": (lambda lib, x, t: _F(lib).binary_cross_entropy(
        x, t, reduction="sum"), [(2, 3), (2, 3)], "prob"),
    "binary_cross_entropy_with_logits": (lambda lib, x: _F(lib).binary_cross_entropy_with_logits(
        x * x, lib.tensor(np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 0.5]]), dtype=x.dtype)), [(2, 3)], "normal"),
}


def _second_order(lib: Any, fn: Callable, arrays: list, up: np.ndarray | None, dirs: list, dtype: Any) -> list:
    """[first gradients..., d(Σ g·v)/d inputs..., d(Σ g·v)/du] for f at ``arrays``."""
    xs = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    y = fn(lib, *xs)
    u = lib.tensor(up, dtype=dtype, requires_grad=True)
    gs = lib.autograd.grad(y, xs, grad_outputs=u, create_graph=True)
    s = sum((g * lib.tensor(v, dtype=dtype)).sum() for g, v in zip(gs, dirs))
    second = lib.autograd.grad(s, [*xs, u], allow_unused=True, materialize_grads=True)
    return [g.detach() for g in gs] + [t.detach() for t in second]


def _data(name: str) -> tuple[list, np.ndarray, list]:
    fn, shapes, domain = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    arrays = [_arr(s, domain, rng) for s in shapes]
    with torch.no_grad():
        out_shape = tuple(fn(torch, *[torch.tensor(a) for a in arrays]).shape)
    return arrays, rng.standard_normal(out_shape), [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("name", sorted(CASES))
def test_double_backward_matches_torch(name: str) -> None:
    fn = CASES[name][0]
    arrays, up, dirs = _data(name)
    ours = _second_order(mt, fn, arrays, up, dirs, mt.float64)
    truth = _second_order(torch, fn, arrays, up, dirs, torch.float64)
    for i, (a, b) in enumerate(zip(ours, truth)):
        assert_close(a.numpy(), b.numpy(), np.float64, what=f"{name} result {i}")
    ours32 = _second_order(mt, fn, arrays, up, dirs, mt.float32)
    torch32 = _second_order(torch, fn, arrays, up, dirs, torch.float32)
    for i, (a, b, t) in enumerate(zip(ours32, truth, torch32)):
        assert_f32_close(a.numpy(), b.numpy(), torch32=t.numpy(), what=f"{name} float32 result {i}")


GRADGRAD = ["div", "pow_tensor", "exp_log_sqrt", "sigmoid", "gelu", "gelu_tanh", "silu", "log_softmax", "var_std",
            "matmul", "linear", "conv2d", "conv2d_groups_dilation", "max_pool2d_overlap", "avg_pool2d",
            "adaptive_avg_pool2d", "batch_norm_train", "batch_norm_eval", "cross_entropy_weight_ignore_smooth",
            "cross_entropy_probs", "pad", "cat_getitem", "conv_transpose2d", "binary_cross_entropy_target"]


@pytest.mark.parametrize("name", GRADGRAD)
def test_gradgradcheck_passes_without_torch(name: str) -> None:
    fn = CASES[name][0]
    arrays, _, _ = _data(name)
    xs = [mt.tensor(a, requires_grad=True) for a in arrays]
    assert gradgradcheck(lambda *t: fn(mt, *t), xs)


def test_gradgradcheck_catches_a_wrong_double_backward() -> None:
    class Cube(Function):  # y = x³ with a backward_graph that forgets a factor: its second derivative is wrong
        def forward(self, x: Any) -> Any:
            self.x = x
            return x**3

        def backward(self, g: Any) -> Any:
            return 3 * g * self.x**2

        def backward_graph(self, g: mt.Tensor) -> mt.Tensor:
            x = self.input_tensor(0, self.x)
            return 3 * g * x * x.detach()

    x = mt.randn(3, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradcheck(Cube.apply, [x])
    with pytest.raises(GradcheckError, match="gradcheck failed for input 0"):
        gradgradcheck(Cube.apply, [x])


def test_function_without_backward_graph_raises_naming_it_when_differentiated_twice() -> None:
    class Square(Function):
        def forward(self, x: Any) -> Any:
            self.x = x
            return x * x

        def backward(self, g: Any) -> Any:
            return 2 * g * self.x

    x = mt.randn(3, dtype=mt.float64, requires_grad=True)
    (g,) = mt.autograd.grad(Square.apply(x).sum(), x, create_graph=True)  # first order still works
    np.testing.assert_allclose(g.detach().numpy(), 2 * x.detach().numpy())
    with pytest.raises(RuntimeError, match="SquareBackward0 is not differentiable twice"):
        g.sum().backward()


def test_grad_errors_match_torch() -> None:
    x = mt.randn(3, requires_grad=True)
    unused = mt.randn(2, requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph.*allow_unused=True"):
        mt.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = mt.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gu is None and np.allclose(gx.numpy(), 2 * x.detach().numpy())
    _, zeros = mt.autograd.grad(y, [x, unused], materialize_grads=True)
    assert zeros.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        mt.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        mt.autograd.grad((x * 2).sum(), mt.randn(3))
    assert x.grad is None  # grad() leaves .grad alone


def test_create_graph_keeps_the_graph_and_records_grad_accumulation() -> None:
    x = mt.tensor([1.0, -2.0, 0.5], dtype=mt.float64, requires_grad=True)
    (x**3).sum().backward(create_graph=True)  # .grad = 3x² with a graph
    assert x.grad.requires_grad
    (x**3).sum().backward(create_graph=True)  # accumulated out of place: 6x², still with a graph
    first = x.grad
    (first * mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64)).sum().backward(inputs=[x])
    xt = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    (xt**3).sum().backward(create_graph=True)
    (xt**3).sum().backward(create_graph=True)
    (xt.grad * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward(inputs=[xt])
    assert_close(x.grad.detach().numpy(), xt.grad.detach().numpy(), np.float64, what=".grad after second order")


def test_backward_inputs_accumulates_only_there() -> None:
    a = mt.randn(3, requires_grad=True)
    b = mt.randn(3, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None and np.allclose(a.grad.numpy(), b.detach().numpy())


def test_grad_of_a_non_leaf_input() -> None:
    x = torch.randn(4, dtype=torch.float64)
    ours, theirs = [], []
    for lib, out in ((mt, ours), (torch, theirs)):
        xx = lib.tensor(x.numpy(), requires_grad=True)
        h = xx.exp()
        out.extend(lib.autograd.grad((h * h).sum(), [h, xx]))
    for a, b in zip(ours, theirs):
        assert_close(a.numpy(), b.numpy(), np.float64)


def _fn_torch_and_ours(lib: Any, a: Any, b: Any) -> Any:
    return (lib.tanh(a @ b) * a.sum()).sum()


@pytest.mark.parametrize("what", ["vjp", "jvp", "hvp", "vhp", "jacobian", "hessian"])
def test_functional_matches_torch(what: str) -> None:
    rng = np.random.default_rng(3)
    a0, b0 = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    va, vb = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    vout = rng.standard_normal((2, 2))
    results = []
    for lib in (mt, torch):
        fun = getattr(lib.autograd.functional, what)
        ins = (lib.tensor(a0), lib.tensor(b0))
        vs = (lib.tensor(va), lib.tensor(vb))
        if what == "vjp":
            out = fun(lambda a, b, lib=lib: lib.tanh(a @ b) * a.sum(), ins, lib.tensor(vout))
        elif what == "jvp":
            out = fun(lambda a, b, lib=lib: lib.tanh(a @ b) * a.sum(), ins, vs)
        elif what in ("hvp", "vhp"):
            out = fun(lambda a, b, lib=lib: _fn_torch_and_ours(lib, a, b), ins, vs)
        elif what == "jacobian":
            out = fun(lambda a, b, lib=lib: lib.tanh(a @ b) * a.sum(), ins)
        else:
            out = fun(lambda a, b, lib=lib: _fn_torch_and_ours(lib, a, b), ins)
        results.append(out)

    def flat(o: Any) -> list:
        return [t for x in o for t in flat(x)] if isinstance(o, (tuple, list)) else [o]

    for a, b in zip(flat(results[0]), flat(results[1])):
        assert_close(a.numpy(), b.numpy(), np.float64, what=what)


def test_functional_strict_raises_for_an_independent_output() -> None:
    x = mt.randn(3, dtype=mt.float64)
    with pytest.raises(RuntimeError, match="strict=True"):
        mt.autograd.functional.vjp(lambda a: mt.ones(3, dtype=mt.float64), x, mt.ones(3, dtype=mt.float64),
                                   strict=True)
    _, g = mt.autograd.functional.vjp(lambda a: mt.ones(3, dtype=mt.float64), x, mt.ones(3, dtype=mt.float64))
    assert g.tolist() == [0.0, 0.0, 0.0]


# cubes, so that every third derivative is non-zero and runs through the adjoint nodes' own backward_graph
THIRD: dict[str, tuple[Callable, list]] = {
    "conv2d": (lambda lib, x, w: _F(lib).conv2d(x, w, stride=2, padding=1) ** 3, [(2, 3, 5, 5), (2, 3, 3, 3)]),
    "conv2d_groups": (lambda lib, x, w: _F(lib).conv2d(x, w, groups=2, dilation=2, padding=1) ** 3,
                      [(1, 4, 5, 5), (4, 2, 2, 2)]),
    # (no output_padding here: torch's own third derivative of conv_transpose2d rejects it)
    "conv_transpose2d": (lambda lib, x, w: _F(lib).conv_transpose2d(x, w, stride=2, padding=1) ** 3,
                         [(1, 2, 3, 3), (2, 3, 3, 3)]),
    "max_pool2d": (lambda lib, x: _F(lib).max_pool2d(x**3, 3, stride=2, padding=1), [(2, 2, 5, 5)]),
    "avg_pool2d": (lambda lib, x: _F(lib).avg_pool2d(x**3, 3, stride=2, padding=1), [(2, 2, 5, 5)]),
    "adaptive_avg_pool2d": (lambda lib, x: _F(lib).adaptive_avg_pool2d(x**3, (2, 3)), [(1, 2, 5, 7)]),
    "max_dim": (lambda lib, x: (x**3).max(dim=0)[0], [(3, 4)]),
    "getitem": (lambda lib, x: (x**3)[lib.tensor([0, 2, 2])], [(3, 4)]),
    "log_softmax": (lambda lib, x: _F(lib).log_softmax(x, dim=1), [(3, 4)]),
    "cross_entropy": (lambda lib, x: _F(lib).cross_entropy(x, _target(lib, _T_IGN), label_smoothing=0.2), [(4, 3)]),
}


def _third_order(lib: Any, fn: Callable, arrays: list, up: np.ndarray, dirs: list, dirs2: list) -> list:
    """d/dx of Σ (d/dx Σ (df/dx·u)·v)·z: the backward of the backward's backward (conv's adjoint nodes included)."""
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    gs = lib.autograd.grad(fn(lib, *xs), xs, grad_outputs=lib.tensor(up), create_graph=True)
    s = sum((g * lib.tensor(v)).sum() for g, v in zip(gs, dirs))
    hs = lib.autograd.grad(s, xs, create_graph=True, allow_unused=True, materialize_grads=True)
    t = sum((h * lib.tensor(z)).sum() for h, z in zip(hs, dirs2))
    return list(lib.autograd.grad(t, xs, allow_unused=True, materialize_grads=True))


@pytest.mark.parametrize("name", sorted(THIRD))
def test_third_derivatives_match_torch(name: str) -> None:
    fn, shapes = THIRD[name]
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(sh) for sh in shapes]
    with torch.no_grad():
        up = rng.standard_normal(tuple(fn(torch, *[torch.tensor(a) for a in arrays]).shape))
    dirs, dirs2 = [rng.standard_normal(sh) for sh in shapes], [rng.standard_normal(sh) for sh in shapes]
    for i, (a, b) in enumerate(zip(_third_order(mt, fn, arrays, up, dirs, dirs2),
                                   _third_order(torch, fn, arrays, up, dirs, dirs2))):
        assert_close(a.numpy(), b.numpy(), np.float64, what=f"{name} third order {i}")


def test_viz_shows_a_double_backward_graph() -> None:
    x = mt.randn(1, 2, 5, 5, dtype=mt.float64, requires_grad=True)
    w = mt.randn(3, 2, 3, 3, dtype=mt.float64, requires_grad=True)
    y = mt.nn.functional.max_pool2d(mt.nn.functional.conv2d(x, w, padding=1), 2)
    gx, gw = mt.autograd.grad((y * y).sum(), (x, w), create_graph=True)
    text = mt.viz.graph((gx * gx).sum() + (gw * gw).sum(), {"x": x, "W": w}).text()
    for node in ("ConvInputGradBackward0", "ConvWeightGradBackward0", "MaxPoolScatterBackward0",
                 "ConvolutionBackward0"):
        assert node in text, text


def test_functional_single_input_returns_tensors_as_torch() -> None:
    x0 = np.random.default_rng(4).standard_normal(4)
    ours_h = mt.autograd.functional.hessian(lambda a: (a.exp() * a.tanh()).sum(), mt.tensor(x0))
    torch_h = torch.autograd.functional.hessian(lambda a: (a.exp() * a.tanh()).sum(), torch.tensor(x0))
    ours_j = mt.autograd.functional.jacobian(lambda a: a.sigmoid() * a.sum(), mt.tensor(x0))
    torch_j = torch.autograd.functional.jacobian(lambda a: a.sigmoid() * a.sum(), torch.tensor(x0))
    assert isinstance(ours_h, mt.Tensor) and isinstance(ours_j, mt.Tensor)
    assert_close(ours_h.numpy(), torch_h.numpy(), np.float64, what="hessian")
    assert_close(ours_j.numpy(), torch_j.numpy(), np.float64, what="jacobian")
