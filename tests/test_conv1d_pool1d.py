"""Conv1d / F.conv1d and the 1-d pooling layers (MaxPool1d, AvgPool1d, AdaptiveAvgPool1d, AdaptiveMaxPool1d and
their functional twins) against torch: float64 exact and float32 against the float64 truth, values and gradients
under a random upstream gradient; every padding option and padding_mode of Conv1d, state_dict keys, indices,
second order and bad input."""

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

# (N, C_in, C_out, L, k, stride, padding, dilation, groups)
CONV_CASES = [
    (2, 4, 6, 9, 3, 2, 1, 1, 2),
    (1, 3, 2, 8, 2, 1, 0, 2, 1),
    (2, 2, 4, 7, 3, 1, "same", 2, 2),
    (2, 3, 3, 6, 4, 1, "valid", 1, 3),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv1d_function_matches_torch(case) -> None:
    N, ci, co, L, k, s, p, d, G = case
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((N, ci, L)), rng.standard_normal((co, ci // G, k)), rng.standard_normal(co)]
    function_parity(lambda x, w, b: F.conv1d(x, w, b, s, p, d, G),
                    lambda x, w, b: torch.nn.functional.conv1d(x, w, b, s, p, d, G),
                    arrays, [True, True, True], what=f"conv1d {case}")


def test_conv1d_unbatched_and_no_bias() -> None:
    rng = np.random.default_rng(1)
    function_parity(lambda x, w: F.conv1d(x, w, None, (2,), (1,)),
                    lambda x, w: torch.nn.functional.conv1d(x, w, None, (2,), (1,)),
                    [rng.standard_normal((3, 7)), rng.standard_normal((5, 3, 3))], [True, True], what="unbatched")


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # torch's, about its own copy
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [2, "same"])
def test_conv1d_layer_matches_torch(mode: str, padding) -> None:
    x = np.random.default_rng(2).standard_normal((2, 4, 8))
    layer_parity(lambda nn: nn.Conv1d(4, 6, 4, padding=padding, dilation=1, groups=2, padding_mode=mode), x,
                 what=f"Conv1d {mode} {padding}")


def test_conv1d_state_dict_repr_and_init() -> None:
    torch.manual_seed(0)
    theirs = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=False, padding_mode="reflect")
    ours = mt.nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=False, padding_mode="reflect")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape) == (6, 2, 3)
    assert repr(ours) == repr(theirs)
    bound = 1 / np.sqrt(2 * 3)  # kaiming_uniform_(a=√5): U(±1/√fan_in)
    assert np.abs(ours.weight.detach().numpy()).max() <= bound
    assert list(mt.nn.Conv1d(2, 2, 1).state_dict()) == ["weight", "bias"]


def test_conv1d_second_order() -> None:
    """d/dw of (dL/dx · v): the 2-d convolution's derivative nodes carry through the unit height."""
    rng = np.random.default_rng(3)
    x, w, v = rng.standard_normal((2, 3, 6)), rng.standard_normal((4, 3, 3)), rng.standard_normal((2, 3, 6))
    grads = []
    for lib in (torch, mt):
        f = torch.nn.functional if lib is torch else F
        tx, tw = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = f.conv1d(tx, tw, padding=1)
        (gx,) = lib.autograd.grad((y * y).sum(), tx, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        grads.append(tw.grad)
    assert_close(grads[1], grads[0], np.float64, what="conv1d second order")


def test_conv1d_bad_input() -> None:
    w = mt.zeros(4, 3, 3)
    with pytest.raises(RuntimeError, match="Expected 2D \\(unbatched\\) or 3D \\(batched\\) input to conv1d"):
        F.conv1d(mt.zeros(1, 3, 4, 4), w)
    with pytest.raises(RuntimeError, match="weight must be 3-d"):
        F.conv1d(mt.zeros(1, 3, 4), mt.zeros(4, 3))
    with pytest.raises(RuntimeError, match="expects 3 input channels"):
        F.conv1d(mt.zeros(1, 2, 5), w)
    with pytest.raises(RuntimeError, match="expected input \\(N, 3, L\\)"):
        mt.nn.Conv1d(3, 4, 3)(mt.zeros(1, 2, 5))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        mt.nn.Conv1d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        mt.nn.Conv1d(3, 4, 3, padding_mode="mirror")


POOLS = [
    ("max_pool1d", (3, 2, 1, 1, False), [(2, 3, 9)]),
    ("max_pool1d", (3, 1, 1, 2, True), [(3, 10)]),
    ("avg_pool1d", (3, 2, 1, True, False), [(2, 3, 9)]),
    ("adaptive_avg_pool1d", (4,), [(2, 3, 10)]),
    ("adaptive_max_pool1d", (3,), [(3, 7)]),
]


@pytest.mark.parametrize("name,args,shapes", POOLS)
def test_pool1d_functions_match_torch(name: str, args: tuple, shapes: list) -> None:
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in shapes]
    function_parity(lambda x: getattr(F, name)(x, *args), lambda x: getattr(torch.nn.functional, name)(x, *args),
                    arrays, [True], what=f"{name} {args}")


@pytest.mark.parametrize("make", [
    lambda nn: nn.MaxPool1d(3, 2, 1, ceil_mode=True),
    lambda nn: nn.AvgPool1d(4, 2, 2, count_include_pad=False),
    lambda nn: nn.AdaptiveAvgPool1d(3),
    lambda nn: nn.AdaptiveMaxPool1d(4),
])
def test_pool1d_layers_match_torch(make) -> None:
    x = np.random.default_rng(5).standard_normal((2, 3, 11))
    layer_parity(make, x, what=repr(make(torch.nn)))
    assert repr(make(mt.nn)) == repr(make(torch.nn))


def test_pool1d_indices_match_torch() -> None:
    x = np.random.default_rng(6).standard_normal((2, 3, 11))
    for name, layer in (("max", lambda nn: nn.MaxPool1d(3, 2, 1, return_indices=True)),
                        ("adaptive", lambda nn: nn.AdaptiveMaxPool1d(4, return_indices=True))):
        y, i = layer(mt.nn)(mt.tensor(x))
        ty, ti = layer(torch.nn)(torch.tensor(x))
        assert_close(y, ty, np.float64, what=name)
        assert i.dtype == mt.int64 and np.array_equal(i.numpy(), ti.numpy()), name


def test_pool1d_bad_input() -> None:
    with pytest.raises(RuntimeError, match="max_pool1d: expected a 2-d \\(C, L\\) or 3-d \\(N, C, L\\) input"):
        F.max_pool1d(mt.zeros(1, 2, 3, 4), 2)
    with pytest.raises(RuntimeError, match="adaptive_avg_pool1d: expected a 2-d"):
        mt.nn.AdaptiveAvgPool1d(2)(mt.zeros(4))
    with pytest.raises(RuntimeError, match="should contain one int"):
        F.max_pool1d(mt.zeros(1, 2, 6), (2, 2))
