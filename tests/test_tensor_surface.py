"""What scripts print and read of a tensor, as torch: repr, f-strings, Size, dtypes, grad_fn.next_functions,
torch's custom Function API, Variable, inference_mode, accelerator answers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._parity import assert_close

RNG = np.random.default_rng(7)
REPR_CASES = [
    [0.1006, -0.214, 5.1696], [1.0, 2.0], 3, 1.5, [1e-5, 1.0], [[1, 10], [3, 4]], [True, False], [1e9, 2.0],
    [float("nan"), 1.0, float("inf")], [1.5, float("nan")], [0.0, 10.5], [0.0, 0.0], [[-5]], [1e-20, 0.0],
    RNG.standard_normal((3, 30)).tolist(), RNG.standard_normal((2, 3, 4)).tolist(),
    (RNG.standard_normal(2000) * 100).tolist(), RNG.standard_normal((40, 40)).tolist(), list(range(100)),
]


WIDE = RNG.standard_normal((3, 700))


def _torch_spelling(s: str) -> str:
    return s.replace("torch.", "mt.")


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_reads_as_torch_prints(case: int) -> None:
    data = REPR_CASES[case]
    assert repr(mt.tensor(data)) == repr(torch.tensor(data))


def test_repr_suffixes_as_torch() -> None:
    pairs = [
        (mt.zeros(0, 3), torch.zeros(0, 3)), (mt.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)),
        (mt.ones(2, dtype=mt.float64), torch.ones(2, dtype=torch.float64)),
        (mt.ones(2, requires_grad=True) * 2, torch.ones(2, requires_grad=True) * 2),
        (mt.zeros(3, dtype=mt.int32), torch.zeros(3, dtype=torch.int32)),
        (mt.zeros(0, dtype=mt.int64), torch.zeros(0, dtype=torch.int64)),
        (mt.tensor(WIDE, requires_grad=True)[:2], torch.tensor(WIDE, requires_grad=True)[:2]),  # suffix wraps
        (mt.tensor(WIDE[0, :8], requires_grad=True) * 1, torch.tensor(WIDE[0, :8], requires_grad=True) * 1),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == _torch_spelling(repr(theirs)) == str(ours)


def test_format_as_torch() -> None:
    for lib in (mt, torch):
        loss, label = lib.tensor(0.123456), lib.tensor(7)
        assert f"{loss:.4f} {label} Label: {label} {label:3d}" == "0.1235 7 Label: 7   7"
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
            f"{lib.tensor([1.5]):.2f}"
        assert f"{lib.tensor([1.5])}" == str(lib.tensor([1.5]))
        v = lib.tensor([3])
        assert int(v) == 3 and float(v) == 3.0 and bool(v) and [10, 20, 30, 40][lib.tensor(2)] == 30


def test_size_and_dtypes() -> None:
    x, xt = mt.zeros(2, 3), torch.zeros(2, 3)
    assert isinstance(x.shape, mt.Size) and isinstance(x.size(), mt.Size) and isinstance(x.shape[1:], mt.Size)
    assert repr(x.shape) == _torch_spelling(repr(xt.shape)) == "mt.Size([2, 3])"
    assert x.shape == (2, 3) == xt.shape and x.shape.numel() == xt.shape.numel() == 6 and x.size(1) == 3
    for name in ("float32", "float64", "float16", "int64", "int32", "uint8", "bool"):
        ours, theirs = getattr(mt, name), getattr(torch, name)
        assert repr(ours) == _torch_spelling(repr(theirs)) == str(ours)
    assert mt.float == mt.float32 and mt.double == mt.float64 and mt.long == mt.int64 and mt.half == mt.float16
    assert x.dtype == mt.float32 and x.dtype == np.float32 and np.float32 == x.dtype and x.dtype != mt.float64
    assert x.dtype.is_floating_point and not mt.int64.is_floating_point and mt.float64.itemsize == 8
    assert np.zeros(2, dtype=mt.float64).dtype == np.float64 and x.numpy().astype(mt.int32).dtype == np.int32
    assert mt.get_default_dtype() == mt.float32 and repr(mt.get_default_dtype()) == "mt.float32"
    assert {mt.float32: 1}[np.dtype("float32")] == 1


def test_new_factories_take_the_tensors_dtype() -> None:
    for lib in (mt, torch):
        x = lib.zeros(2, dtype=lib.float64)
        assert x.new_ones(3, 2).dtype == lib.float64 and x.new_zeros((2,)).shape == (2,)
        assert x.new_full((2,), 4).tolist() == [4.0, 4.0] and x.new_ones(1, dtype=lib.int64).dtype == lib.int64
        assert x.new_tensor([1.5]).dtype == lib.float64 and x.new_empty(3).shape == (3,)


def test_tensor_of_a_tensor_is_a_copy() -> None:
    x = mt.ones(3, requires_grad=True)
    y = mt.tensor(x)
    assert y.tolist() == [1.0, 1.0, 1.0] and not y.requires_grad and y._data is not x._data


def test_next_functions_and_names_as_torch() -> None:
    graphs = []
    for lib in (mt, torch):
        w = lib.ones(3, 2, requires_grad=True)
        b = lib.zeros(2, requires_grad=True)
        x = lib.ones(4, 3)
        y = (x @ w + b).relu().sum()
        graphs.append((y, w, b))
    for (y, w, b), (yt, wt, bt) in [graphs]:
        def walk(fn: Any, leaves: dict) -> Any:
            if fn is None:
                return None
            if hasattr(fn, "variable"):
                return ("leaf", leaves[id(fn.variable)])
            return (fn.name(), [walk(f, leaves) for f, i in fn.next_functions])

        ours = walk(y.grad_fn, {id(w): "w", id(b): "b"})
        theirs = walk(yt.grad_fn, {id(wt): "w", id(bt): "b"})
        assert ours == theirs
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[1][0]
        assert acc.variable is b and acc.name() == "torch::autograd::AccumulateGrad"
        assert acc is y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[1][0]  # one per leaf


class _Rescale:
    """The same torch-style custom Function body for either library."""

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, scale: float) -> Any:
        ctx.save_for_backward(x, w)
        ctx.scale = scale
        idx = x.argmax(dim=-1)
        ctx.mark_non_differentiable(idx)
        return (x * w).tanh() * scale, idx

    @staticmethod
    def backward(ctx: Any, g: Any, g_idx: Any) -> Any:
        x, w = ctx.saved_tensors
        d = g * ctx.scale * (1 - (x * w).tanh() ** 2)
        return (d * w if ctx.needs_input_grad[0] else None), (d * x).sum(0), None


def _custom_function(lib: Any) -> type:
    return type("Rescale", (lib.autograd.Function,), {"forward": _Rescale.__dict__["forward"],
                                                      "backward": _Rescale.__dict__["backward"]})


def test_torch_style_custom_function_against_torch() -> None:
    a, wv, g = RNG.standard_normal((4, 3)), RNG.standard_normal(3), RNG.standard_normal((4, 3))
    res = []
    for lib in (mt, torch):
        fn = _custom_function(lib)
        x, w = lib.tensor(a, requires_grad=True), lib.tensor(wv, requires_grad=True)
        y, idx = fn.apply(x, w, 1.7)
        assert not idx.requires_grad and y.requires_grad
        y.backward(lib.tensor(g))
        res.append((y, idx, x.grad, w.grad, type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name()))
    for ours, theirs in zip(res[0][:4], res[1][:4]):
        assert_close(ours.detach(), theirs.detach(), np.float64)
    assert res[0][4] == res[1][4] == "RescaleBackward"


def test_custom_function_saved_tensors_freed_and_once_differentiable() -> None:
    class Square(mt.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: mt.Tensor) -> mt.Tensor:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @mt.autograd.function.once_differentiable
        def backward(ctx: Any, g: mt.Tensor) -> mt.Tensor:
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = mt.tensor([1.0, -2.0], requires_grad=True)
    y = Square.apply(x)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, -4.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_variable_inference_mode_accelerator_backends() -> None:
    x = mt.ones(2)
    v = mt.autograd.Variable(x, requires_grad=True)
    assert v.requires_grad and not x.requires_grad and v._data is x._data
    for lib in (mt, torch):
        w = lib.ones(2, requires_grad=True)
        with lib.inference_mode():
            assert not (w * 2).requires_grad

        @lib.inference_mode()
        def f(t: Any) -> Any:
            return t * 2

        assert not f(w).requires_grad and (w * 2).requires_grad
    assert mt.backends.mps.is_available() is False
    assert mt.accelerator.is_available() == mt.cuda.is_available()
    cur = mt.accelerator.current_accelerator()
    assert (cur is None) if not mt.cuda.is_available() else (cur.type == "cuda")


def test_data_is_a_tensor_on_the_same_storage_taking_init_and_in_place() -> None:
    lin = mt.nn.Linear(3, 2)
    lin.weight.data.normal_(0.0, 0.02)
    lin.bias.data.zero_()
    lin.weight.data.fill_(0.5)
    mt.nn.init.constant_(lin.bias.data, 0.25)
    assert lin.weight.tolist() == [[0.5] * 3] * 2 and lin.bias.tolist() == [0.25, 0.25]
    assert lin.weight.is_leaf and lin.weight.requires_grad


class _Cube:
    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        y = x**3
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y = ctx.saved_tensors
        return g * 3 * y / x  # through the saved output, so the second derivative must flow through it too


def test_custom_function_differentiates_twice_as_torch_and_once_differentiable_refuses() -> None:
    a, v = RNG.standard_normal(4) + 2.0, RNG.standard_normal(4)
    res = []
    for lib in (mt, torch):
        fn = type("Cube", (lib.autograd.Function,), {"forward": _Cube.__dict__["forward"],
                                                     "backward": _Cube.__dict__["backward"]})
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad(fn.apply(x), x, lib.tensor(v), create_graph=True)
        (g * g).sum().backward()
        res.append((g, x.grad))
        once = type("CubeOnce", (lib.autograd.Function,), {
            "forward": _Cube.__dict__["forward"],
            "backward": staticmethod(lib.autograd.function.once_differentiable(_Cube.backward))})
        x2 = lib.tensor(a, requires_grad=True)
        (g2,) = lib.autograd.grad(once.apply(x2).sum(), x2, create_graph=True)
        with pytest.raises(RuntimeError):
            g2.sum().backward()
    for ours, theirs in zip(res[0], res[1]):
        assert_close(ours.detach(), theirs.detach(), np.float64)
