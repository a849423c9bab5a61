"""autograd.forward_ad against torch's forward_ad: tangents in float64 to 1e-10 (ops, conv, a CNN, modules with dual
parameters), the level's life cycle, torch's errors, in-place ops on duals, and the forward-AD tutorial run twice."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tAD
from _parity import assert_close, to_np

import minitorch_cnn as mt

fwAD = mt.autograd.forward_ad
RNG = np.random.default_rng(11)


def arr(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def both(a: np.ndarray, grad: bool = False) -> tuple[torch.Tensor, mt.Tensor]:
    return torch.tensor(a, requires_grad=grad), mt.tensor(a.copy(), requires_grad=grad)


def tangents_of(fn_t: Callable, fn_m: Callable, primals: list, tangents: list) -> tuple:
    """Each library's output tangent of ``fn`` at dual inputs made of ``primals`` (arrays) and ``tangents``."""
    got = []
    for lib, fwd, fn in ((torch, tAD, fn_t), (mt, fwAD, fn_m)):
        with fwd.dual_level():
            duals = [fwd.make_dual(lib.tensor(p.copy()), lib.tensor(t.copy())) for p, t in zip(primals, tangents)]
            out = fn(*duals)
            got.append((fwd.unpack_dual(out).primal, fwd.unpack_dual(out).tangent))
    return got[0], got[1]


ELEMENTWISE = {
    "mul_add": lambda lib, x, y: x * y + 3 * x,
    "div_pow": lambda lib, x, y: x / (y * y + 1) + x ** 3,
    "sin_exp": lambda lib, x, y: lib.sin(x) * lib.exp(y),
    "tanh_sigmoid": lambda lib, x, y: lib.tanh(x) - lib.sigmoid(x * y),
    "sqrt_log": lambda lib, x, y: lib.sqrt(x * x + 1) + lib.log(y * y + 2),
    "broadcast": lambda lib, x, y: x * y[:1] - y.sum(0, keepdim=True),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_tangent(name: str) -> None:
    f = ELEMENTWISE[name]
    primals, tangents = [arr(4, 5), arr(4, 5)], [arr(4, 5), arr(4, 5)]
    (tp, tt), (mp, mtan) = tangents_of(lambda x, y: f(torch, x, y), lambda x, y: f(mt, x, y), primals, tangents)
    assert_close(to_np(mp), to_np(tp.detach()), np.float64, what=name)
    assert_close(to_np(mtan), to_np(tt), np.float64, what=name)
    assert mtan.dtype == mt.float64 and not mtan.requires_grad


def test_matmul_tangent() -> None:
    primals, tangents = [arr(3, 4), arr(4, 6)], [arr(3, 4), arr(4, 6)]
    (_, tt), (_, mtan) = tangents_of(torch.matmul, mt.matmul, primals, tangents)
    assert_close(to_np(mtan), to_np(tt), np.float64)


def test_conv2d_tangent() -> None:
    primals, tangents = [arr(2, 3, 7, 7), arr(4, 3, 3, 3), arr(4)], [arr(2, 3, 7, 7), arr(4, 3, 3, 3), arr(4)]
    (_, tt), (_, mtan) = tangents_of(lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=1, stride=2),
                                     lambda x, w, b: mt.nn.functional.conv2d(x, w, b, padding=1, stride=2),
                                     primals, tangents)
    assert_close(to_np(mtan), to_np(tt), np.float64)


def cnn(lib) -> object:
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 3, 3), nn.Tanh(),
                         nn.Flatten(), nn.Linear(12, 5)).double()


def test_small_cnn_tangent_wrt_input() -> None:
    tnet, mnet = cnn(torch), cnn(mt)
    for (_, tp), (_, mp) in zip(tnet.named_parameters(), mnet.named_parameters()):
        with mt.no_grad():
            mp.copy_(mt.tensor(tp.detach().numpy().copy()))
    (tp, tt), (mp, mtan) = tangents_of(tnet, mnet, [arr(3, 2, 8, 8)], [arr(3, 2, 8, 8)])
    assert_close(to_np(mp), to_np(tp.detach()), np.float64)
    assert_close(to_np(mtan), to_np(tt), np.float64)


def linear_pair() -> tuple:
    tlin = torch.nn.Linear(5, 4).double()
    mlin = mt.nn.Linear(5, 4).double()
    with mt.no_grad():
        for (_, tp), (_, mp) in zip(tlin.named_parameters(), mlin.named_parameters()):
            mp.copy_(mt.tensor(tp.detach().numpy().copy()))
    return tlin, mlin


def test_functional_call_with_dual_parameters() -> None:
    tlin, mlin = linear_pair()
    x = arr(6, 5)
    tang = {"weight": arr(4, 5), "bias": arr(4)}
    got = []
    for lib, fwd, model, fcall in ((torch, tAD, tlin, torch.func.functional_call),
                                   (mt, fwAD, mlin, mt.func.functional_call)):
        params = dict(model.named_parameters())
        with fwd.dual_level():
            duals = {n: fwd.make_dual(p, lib.tensor(tang[n].copy())) for n, p in params.items()}
            out = fcall(model, duals, (lib.tensor(x.copy()),))
            got.append(fwd.unpack_dual(out).tangent)
    assert_close(to_np(got[1]), to_np(got[0].detach()), np.float64)
    # nn.utils.stateless.functional_call, the older spelling, gives the same
    params = dict(mlin.named_parameters())
    with fwAD.dual_level():
        duals = {n: fwAD.make_dual(p, mt.tensor(tang[n].copy())) for n, p in params.items()}
        with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
            out = mt.nn.utils.stateless.functional_call(mlin, duals, (mt.tensor(x.copy()),))
        assert_close(to_np(fwAD.unpack_dual(out).tangent), to_np(got[0].detach()), np.float64)


def test_reverse_mode_through_duals_and_of_the_tangent() -> None:
    """A dual of a tensor that requires grad passes gradients back to it, and its tangent is differentiable."""
    a, t, g = arr(3, 3), arr(3, 3), arr(3, 3)
    grads = []
    for lib, fwd in ((torch, tAD), (mt, fwAD)):
        p = lib.tensor(a.copy(), requires_grad=True)
        with fwd.dual_level():
            d = fwd.make_dual(p, lib.tensor(t.copy()))
            y = lib.sin(d) * d
            primal, tangent = fwd.unpack_dual(y)
            assert primal.requires_grad and tangent.requires_grad
            (g_primal,) = lib.autograd.grad(primal, p, lib.tensor(g.copy()), retain_graph=True)
            (g_tangent,) = lib.autograd.grad(tangent, p, lib.tensor(g.copy()))
        grads.append((g_primal, g_tangent))
    for ours, theirs in zip(grads[1], grads[0]):
        assert_close(to_np(ours), to_np(theirs), np.float64)


def test_level_life_cycle() -> None:
    p, t = mt.randn(3, dtype=mt.float64), mt.randn(3, dtype=mt.float64)
    assert fwAD.unpack_dual(p) == (p, None)
    with fwAD.dual_level() as level:
        assert level == 0
        d = fwAD.make_dual(p, t)
        y = d * 2
        unpacked = fwAD.unpack_dual(y)
        assert unpacked._fields == ("primal", "tangent") and type(unpacked).__name__ == "UnpackedDualTensor"
        assert fwAD.unpack_dual(y).tangent is unpacked.tangent  # cached per output
        assert fwAD.unpack_dual(d).tangent is t
        assert fwAD.unpack_dual(mt.ones(3) * 2).tangent is None  # touches no dual
    assert fwAD.unpack_dual(y).tangent is None and fwAD.unpack_dual(d).tangent is None
    assert fwAD.enter_dual_level() == 0
    fwAD.exit_dual_level()


def test_tangent_with_another_layout_is_copied() -> None:
    for lib, fwd in ((torch, tAD), (mt, fwAD)):
        t = lib.randn(4, 4, dtype=lib.float64)
        with fwd.dual_level():
            got = fwd.unpack_dual(fwd.make_dual(lib.randn(4, 4, dtype=lib.float64), t.T)).tangent
            assert got is not t and got.is_contiguous() and bool((got == t.T).all())


def test_in_place_ops_on_duals() -> None:
    """In-place ops that reverse mode supports keep the tangents right (the dual itself, an intermediate)."""
    a, t, b = arr(3, 4), arr(3, 4), arr(3, 4)
    got = []
    for lib, fwd in ((torch, tAD), (mt, fwAD)):
        with fwd.dual_level():
            d = fwd.make_dual(lib.tensor(a.copy()), lib.tensor(t.copy()))
            d.mul_(lib.tensor(b.copy()))
            first = fwd.unpack_dual(d).tangent.clone()
            y = d * 3
            y.add_(d * d)
            y.sin_()
            got.append((first, fwd.unpack_dual(y).tangent))
    for ours, theirs in zip(got[1], got[0]):
        assert_close(to_np(ours), to_np(theirs), np.float64)


class ExpJvpOnly(mt.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205 - torch's custom Function form
        ctx.result = x.exp()
        return ctx.result

    @staticmethod
    def jvp(ctx, g):  # noqa: ANN001, ANN205
        return g * ctx.result


class ExpBoth(ExpJvpOnly):
    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        result = x.exp()
        ctx.save_for_backward(result)
        ctx.result = result
        return result

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (result,) = ctx.saved_tensors
        return g * result


def test_custom_function_jvp_only_is_refused_and_with_backward_works() -> None:
    p, t = mt.randn(3, dtype=mt.float64), mt.randn(3, dtype=mt.float64)
    with fwAD.dual_level():
        d = fwAD.make_dual(p, t)
        with pytest.raises(NotImplementedError, match="ExpJvpOnly defines no backward"):
            fwAD.unpack_dual(ExpJvpOnly.apply(d))
        got = fwAD.unpack_dual(ExpBoth.apply(d)).tangent
    assert_close(to_np(got), to_np(t) * np.exp(to_np(p)), np.float64)


def test_errors_as_torch() -> None:
    p = mt.randn(3, dtype=mt.float64)
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(p, p)
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwAD.exit_dual_level()
    with pytest.raises(RuntimeError, match="forward AD level with an invalid index"):
        fwAD.make_dual(p, p, level=0)
    assert fwAD.unpack_dual(p, level=0) == (p, None)
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"), fwAD.dual_level():
            pass
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[3\] while the given forward gradient is of "
                                               r"size \[4\]"):
            fwAD.make_dual(p, mt.randn(4, dtype=mt.float64))
        with pytest.raises(ValueError, match="Expected primal to be floating point or complex, but got: mt.int64"):
            fwAD.make_dual(mt.arange(3), p)
        with pytest.raises(ValueError, match="Expected tangent to be floating point or complex, but got: mt.int64"):
            fwAD.make_dual(p, mt.arange(3))
        d = fwAD.make_dual(p, p)
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0"):
            fwAD.make_dual(d, p)
        with pytest.raises(RuntimeError, match="Trying to exit a forward AD level that was not the last one"):
            fwAD.exit_dual_level(level=1)
        with pytest.raises(RuntimeError, match="Invalid level given to _make_dual"):
            fwAD.make_dual(p, p, level=5)
        with pytest.raises(RuntimeError, match="Invalid level given to _fw_primal"):
            fwAD.unpack_dual(d, level=5)


def test_in_place_change_of_a_saved_tensor_is_reverse_modes_error() -> None:
    """Tangents come from backward passes, so overwriting what an op saved for backward fails at unpack_dual."""
    with fwAD.dual_level():
        y = fwAD.make_dual(mt.randn(3, dtype=mt.float64), mt.randn(3, dtype=mt.float64)).exp()
        y.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            fwAD.unpack_dual(y)


def tutorial(lib, fwd, a: dict) -> dict:
    """The forward-mode AD tutorial's code (float64, given inputs), written once for either library."""
    got = {}
    primal, tangent = lib.tensor(a["primal"]), lib.tensor(a["tangent"])

    def fn(x, y):  # noqa: ANN001, ANN202 - the tutorial's
        return x ** 2 + y ** 2

    with fwd.dual_level():
        dual_input = fwd.make_dual(primal, tangent)
        assert fwd.unpack_dual(dual_input).tangent is tangent
        dual_input_alt = fwd.make_dual(primal, tangent.T)
        assert fwd.unpack_dual(dual_input_alt).tangent is not tangent
        plain_tensor = lib.tensor(a["plain"])
        dual_output = fn(dual_input, plain_tensor)
        got["basic"] = fwd.unpack_dual(dual_output).tangent
    assert fwd.unpack_dual(dual_output).tangent is None

    nn = lib.nn
    model = nn.Linear(5, 5).double()
    with lib.no_grad():
        model.weight.copy_(lib.tensor(a["weight"]))
        model.bias.copy_(lib.tensor(a["bias"]))
    inp = lib.tensor(a["input"])
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: lib.tensor(a["t_" + name]) for name in params}
    with fwd.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwd.make_dual(p, tangents[name]))
        out = model(inp)
        got["module"] = fwd.unpack_dual(out).tangent

    model = nn.Linear(5, 5).double()  # a fresh module: functional_call needs registered parameters
    dual_params = {}
    with fwd.dual_level():
        for name, p in params.items():
            dual_params[name] = fwd.make_dual(p, tangents[name])
        out = lib.func.functional_call(model, dual_params, inp)
        got["functional_call"] = fwd.unpack_dual(out).tangent
    assert lib.allclose(got["functional_call"], got["module"])

    def func(params: dict):  # noqa: ANN202 - the tutorial's functional Module API with torch.func.jvp
        return lib.func.functional_call(model, params, inp)

    _, got["func_jvp"] = lib.func.jvp(func, (params,), (tangents,))
    return got


def test_tutorial_dual_run() -> None:
    names = {"primal": (10, 10), "tangent": (10, 10), "plain": (10, 10), "weight": (5, 5), "bias": (5,),
             "input": (16, 5), "t_weight": (5, 5), "t_bias": (5,)}
    a = {k: arr(*shape) for k, shape in names.items()}
    theirs = tutorial(torch, tAD, {k: v.copy() for k, v in a.items()})
    ours = tutorial(mt, fwAD, {k: v.copy() for k, v in a.items()})
    assert list(ours) == list(theirs)
    for k in theirs:
        assert_close(to_np(ours[k]), to_np(theirs[k].detach()), np.float64, what=k)


class TutorialFn(mt.autograd.Function):
    """The tutorial's custom Function: forward and jvp only (no backward), which only real forward mode can run."""

    @staticmethod
    def forward(ctx, foo):  # noqa: ANN001, ANN205
        result = mt.exp(foo)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):  # noqa: ANN001, ANN205, N803
        gO = gI * ctx.result  # noqa: N806
        del ctx.result
        return gO


def test_tutorial_custom_function_with_jvp_only_is_refused() -> None:
    primal = mt.randn(10, 10, dtype=mt.float64, requires_grad=True)
    tangent = mt.randn(10, 10)
    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        dual_output = TutorialFn.apply(dual_input)
        with pytest.raises(NotImplementedError, match="TutorialFn defines no backward"):
            fwAD.unpack_dual(dual_output)
