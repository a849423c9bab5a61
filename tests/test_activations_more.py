"""PReLU, RReLU, Softplus, LogSigmoid, Mish, SELU, CELU, Hardtanh, Threshold, Softshrink, Hardshrink, Tanhshrink,
GLU, Softmin, Softmax2d (functional and modules) against torch: float64 exact and float32 against the float64 truth,
values and gradients under a random upstream gradient, second order, the breakpoints where torch's kernels pick a
side, reprs, PReLU's learned weight and RReLU's random slopes (bounds and statistics), and bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _grad_parity import function_parity, layer_parity  # noqa: E402
from _parity import assert_close  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as F  # noqa: E402

TF = torch.nn.functional

# (name, extra positional args, input scale): scales spread the inputs over every piece (softplus past threshold)
ELEMENTWISE = [
    ("softplus", (), 30.0), ("softplus", (2.0, 5.0), 10.0), ("softplus", (-0.5, 3.0), 10.0),
    ("logsigmoid", (), 40.0), ("mish", (), 8.0), ("selu", (), 4.0), ("celu", (0.7,), 4.0),
    ("hardtanh", (), 2.0), ("hardtanh", (-0.5, 2.0), 3.0), ("threshold", (0.3, -2.0), 2.0),
    ("softshrink", (), 2.0), ("softshrink", (1.1,), 3.0), ("hardshrink", (), 2.0), ("hardshrink", (0.8,), 3.0),
    ("tanhshrink", (), 3.0), ("rrelu", (0.1, 0.3, False), 2.0),
]


@pytest.mark.parametrize("name,args,scale", ELEMENTWISE)
def test_elementwise_match_torch(name: str, args: tuple, scale: float) -> None:
    x = np.random.default_rng(0).uniform(-scale, scale, (3, 40))
    function_parity(lambda t: getattr(F, name)(t, *args), lambda t: getattr(TF, name)(t, *args), [x], [True],
                    what=f"{name}{args}")


@pytest.mark.parametrize("name,args,points", [
    ("hardtanh", (-1.0, 1.0), [-1.0, 1.0]), ("threshold", (0.5, 3.0), [0.5]), ("softshrink", (0.5,), [-0.5, 0.5]),
    ("hardshrink", (0.5,), [-0.5, 0.5]), ("selu", (), [0.0]), ("celu", (2.0,), [0.0]), ("mish", (), [0.0]),
    ("softplus", (1.0, 20.0), [20.0, 0.0]), ("logsigmoid", (), [0.0]),
])
def test_breakpoints_take_torchs_side(name: str, args: tuple, points: list) -> None:
    x = np.array(points + [p + d for p in points for d in (-1e-3, 1e-3)])
    g = np.random.default_rng(1).standard_normal(x.shape)
    tx, mx = torch.tensor(x, requires_grad=True), mt.tensor(x, requires_grad=True)
    ty, my = getattr(TF, name)(tx, *args), getattr(F, name)(mx, *args)
    ty.backward(torch.tensor(g))
    my.backward(mt.tensor(g))
    assert_close(my, ty.detach(), np.float64, what=f"{name} at {points}")
    assert_close(mx.grad, tx.grad, np.float64, what=f"{name} grad at {points}")


@pytest.mark.parametrize("name,args", [("softplus", (1.5, 4.0)), ("logsigmoid", ()), ("mish", ()), ("selu", ()),
                                       ("celu", (0.6,)), ("tanhshrink", ()), ("glu", (1,))])
def test_second_order_matches_torch(name: str, args: tuple) -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(-6, 6, (4, 6))
    v, w = rng.standard_normal(x.shape), rng.standard_normal((4, 3) if name == "glu" else x.shape)
    grads = []
    for lib, f in ((torch, TF), (mt, F)):
        tx = lib.tensor(x, requires_grad=True)
        y = getattr(f, name)(tx, *args)
        (gx,) = lib.autograd.grad((y * lib.tensor(w)).sum(), tx, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        grads.append(tx.grad)
    assert_close(grads[1], grads[0], np.float64, what=f"{name} second order")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_glu_matches_torch(dim: int) -> None:
    x = np.random.default_rng(3).standard_normal((4, 6, 2))
    function_parity(lambda t: F.glu(t, dim), lambda t: TF.glu(t, dim), [x], [True], what=f"glu dim={dim}")


def test_softmin_and_softmax2d_match_torch() -> None:
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5))
    function_parity(lambda t: F.softmin(t, 1), lambda t: TF.softmin(t, 1), [x], [True], what="softmin")
    function_parity(lambda t: mt.nn.Softmax2d()(t), lambda t: torch.nn.Softmax2d()(t), [x], [True], what="Softmax2d")
    function_parity(lambda t: mt.nn.Softmax2d()(t), lambda t: torch.nn.Softmax2d()(t), [x[0]], [True],
                    what="Softmax2d unbatched")
    function_parity(lambda t: F.softmin(t, 0, dtype=mt.float64), lambda t: TF.softmin(t, 0, dtype=torch.float64),
                    [x[0, 0]], [True], what="softmin dtype")


@pytest.mark.parametrize("num,shape", [(1, (2, 3, 4)), (3, (2, 3, 4)), (3, (2, 3)), (1, (5,))])
def test_prelu_layer_matches_torch_and_learns(num: int, shape: tuple) -> None:
    x = np.random.default_rng(5).standard_normal(shape)
    layer_parity(lambda nn: nn.PReLU(num, init=0.1), x, what=f"PReLU({num}) on {shape}")


def test_prelu_function_and_state() -> None:
    rng = np.random.default_rng(6)
    function_parity(F.prelu, TF.prelu, [rng.standard_normal((2, 4, 3, 3)), rng.uniform(0, 1, 4)], [True, True],
                    what="prelu per channel")
    ours, theirs = mt.nn.PReLU(4, 0.3), torch.nn.PReLU(4, 0.3)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert_close(ours.weight, theirs.weight.detach(), np.float32, what="PReLU init")
    assert repr(ours) == repr(theirs)


def test_rrelu_training_draws_slopes_in_bounds() -> None:
    """Training: y = r·x for x < 0 with r ~ U(lower, upper) per element, y = x otherwise; the gradient is r."""
    lower, upper = 0.1, 0.4
    x = -np.abs(np.random.default_rng(7).standard_normal(4000)) - 0.01
    x[::2] *= -1
    mt.manual_seed(0)
    mx = mt.tensor(x, requires_grad=True)
    y = mt.nn.RReLU(lower, upper).train()(mx)
    y.backward(mt.ones_like(y))
    slope = y.detach().numpy() / x
    neg = x < 0
    assert np.all(slope[~neg] == 1.0) and np.all(mx.grad.numpy()[~neg] == 1.0)
    assert slope[neg].min() >= lower and slope[neg].max() <= upper
    np.testing.assert_allclose(mx.grad.numpy()[neg], slope[neg], rtol=1e-12)
    # U(0.1, 0.4): mean 0.25, sd 0.0866; 2000 draws put the sample mean within 0.01 (5 standard errors) of it
    assert abs(slope[neg].mean() - (lower + upper) / 2) < 0.01
    assert abs(slope[neg].std() - (upper - lower) / np.sqrt(12)) < 0.01
    mt.manual_seed(0)
    again = mt.nn.RReLU(lower, upper).train()(mt.tensor(x))
    assert np.array_equal(again.numpy(), y.detach().numpy()), "mt.manual_seed must repeat the draw"
    evaluated = mt.nn.RReLU(lower, upper).eval()(mt.tensor(x)).numpy()
    np.testing.assert_array_equal(evaluated, TF.rrelu(torch.tensor(x), lower, upper, False).numpy())


def test_reprs_match_torch() -> None:
    for make in (lambda nn: nn.Softplus(2.0, 10.0), lambda nn: nn.Softshrink(0.3), lambda nn: nn.Hardshrink(),
                 lambda nn: nn.CELU(0.5, inplace=True), lambda nn: nn.SELU(), lambda nn: nn.GLU(1),
                 lambda nn: nn.Softmin(dim=0), lambda nn: nn.Mish(), lambda nn: nn.Threshold(0.1, 20),
                 lambda nn: nn.Hardtanh(-2.0, 3.0), lambda nn: nn.RReLU(), lambda nn: nn.PReLU(3),
                 lambda nn: nn.LogSigmoid(), lambda nn: nn.Softmax2d(), lambda nn: nn.Tanhshrink()):
        assert repr(make(mt.nn)) == repr(make(torch.nn))


def test_modules_match_functional() -> None:
    x = np.random.default_rng(8).uniform(-3, 3, (2, 4, 3))
    makers = [lambda nn: nn.Softplus(2.0, 4.0), lambda nn: nn.Mish(), lambda nn: nn.SELU(), lambda nn: nn.CELU(0.5),
              lambda nn: nn.Hardtanh(-2.0, 1.5), lambda nn: nn.Threshold(0.2, -1.0), lambda nn: nn.Softshrink(0.7),
              lambda nn: nn.Hardshrink(0.7), lambda nn: nn.Tanhshrink(), lambda nn: nn.LogSigmoid(),
              lambda nn: nn.GLU(1), lambda nn: nn.Softmin(2)]
    for make in makers:
        assert_close(make(mt.nn)(mt.tensor(x)), make(torch.nn)(torch.tensor(x)), np.float64, what=repr(make(mt.nn)))


def test_threshold_keeps_integer_input() -> None:
    x = np.array([1, 2, 3])
    assert F.threshold(mt.tensor(x), 2, 0).tolist() == TF.threshold(torch.tensor(x), 2, 0).tolist() == [0, 0, 3]


def test_bad_input() -> None:
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(mt.zeros(2, 3))
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(mt.tensor(1.0))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        mt.nn.Softmax2d()(mt.zeros(2, 2))
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(mt.zeros(3), 0.5, 0.1, True)
    with pytest.raises(RuntimeError, match="parameter numbers = 2 and channel size = 3"):
        F.prelu(mt.zeros(2, 3), mt.zeros(2))
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(mt.zeros(2), 1.0, -1.0)
    with pytest.raises(AssertionError, match="must be greater than min_val"):
        mt.nn.Hardtanh(1.0, -1.0)
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(mt.zeros(2), 0.0)
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        F.softshrink(mt.zeros(2), -1.0)
    with pytest.raises(RuntimeError, match="beta must be non-zero"):
        F.softplus(mt.zeros(2), 0.0)


def test_torch_level_names() -> None:
    """The names torch also offers at top level are the functional ones here (one function, two addresses)."""
    for name in ("celu", "selu", "prelu", "rrelu", "threshold", "hardshrink", "conv1d", "max_pool1d",
                 "adaptive_avg_pool1d", "adaptive_max_pool1d", "bilinear", "channel_shuffle", "poisson_nll_loss"):
        assert hasattr(torch, name), name
        assert getattr(mt, name) is getattr(F, name), name
    x = np.random.default_rng(9).uniform(-2, 2, (2, 3))
    assert_close(mt.threshold(mt.tensor(x), 0.5, -1.0), torch.threshold(torch.tensor(x), 0.5, -1.0), np.float64,
                 what="mt.threshold")
