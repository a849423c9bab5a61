"""mt.nn.init against torch.nn.init: gains and fans exactly, each initialiser's distribution (bounds and moments
over large tensors, beside torch's own draws), every layer's default init, and reproducibility under
mt.manual_seed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn import nn
from minitorch_cnn.nn import init

SHAPE = (256, 128, 3, 3)  # 294,912 draws: sample moments within ~0.5 % (5 sigma)


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
    ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("leaky_relu", math.sqrt(5)),
    ("selu", None),
])
def test_calculate_gain_is_torchs(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors_are_torchs():
    with pytest.raises(ValueError, match="Unsupported nonlinearity softplus"):
        init.calculate_gain("softplus")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(5, 3), (16, 3, 3, 3), (4, 2, 5), (7, 1, 2, 2, 2)])
def test_fans_are_torchs(shape):
    assert init._calculate_fan_in_and_fan_out(mt.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(mt.empty(5))


def _moments_agree(ours: np.ndarray, theirs: np.ndarray, bound: float | None = None) -> None:
    """Same distribution: mean ≈ 0 (or equal), equal standard deviation within sampling error, same bounds."""
    n = ours.size
    std_t = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 5 * std_t * math.sqrt(2 / n)
    assert abs(ours.std() / std_t - 1) < 5 * math.sqrt(2 / n)
    if bound is not None:
        assert np.abs(ours).max() <= bound and np.abs(ours).max() > 0.999 * bound
        assert np.abs(theirs).max() <= bound


INITS = {
    "kaiming_uniform_": ({}, True),
    "kaiming_uniform_relu_fan_out": ({"mode": "fan_out", "nonlinearity": "relu"}, True),
    "kaiming_uniform_a_sqrt5": ({"a": math.sqrt(5)}, True),
    "kaiming_normal_": ({}, False),
    "kaiming_normal_fan_out": ({"mode": "fan_out", "nonlinearity": "relu"}, False),
    "xavier_uniform_": ({}, True),
    "xavier_uniform_gain": ({"gain": 5 / 3}, True),
    "xavier_normal_": ({"gain": 2.0}, False),
    "uniform_": ({"a": -0.3, "b": 0.7}, False),
    "normal_": ({"mean": 1.5, "std": 0.2}, False),
}


@pytest.mark.parametrize("name", sorted(INITS))
def test_initialiser_draws_torchs_distribution(name):
    kwargs, uniform = INITS[name]
    fn_name = next(f for f in ("kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_",
                               "uniform_", "normal_") if name.startswith(f))
    mt.manual_seed(0)
    torch.manual_seed(0)
    ours = getattr(init, fn_name)(mt.empty(*SHAPE), **kwargs).numpy()
    theirs = getattr(torch.nn.init, fn_name)(torch.empty(*SHAPE), **kwargs).numpy()
    bound = None
    if uniform:  # the bound from the formula: gain·√(3/fan) (kaiming) or gain·√(6/(fan_in+fan_out)) (xavier)
        fan_in, fan_out = SHAPE[1] * 9, SHAPE[0] * 9
        if fn_name == "kaiming_uniform_":
            fan = fan_out if kwargs.get("mode") == "fan_out" else fan_in
            gain = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
            bound = gain * math.sqrt(3 / fan)
        else:
            bound = kwargs.get("gain", 1.0) * math.sqrt(6 / (fan_in + fan_out))
    _moments_agree(ours, theirs, bound)


def test_constant_ones_zeros_keep_dtype_and_record_no_graph():
    p = nn.Parameter(mt.empty(3, 4, dtype=mt.float64))
    assert init.constant_(p, 0.25) is p and np.all(p.detach().numpy() == 0.25) and p.dtype == np.float64
    assert np.all(init.ones_(p).detach().numpy() == 1) and np.all(init.zeros_(p).detach().numpy() == 0)
    init.kaiming_uniform_(p)
    assert p.grad_fn is None and p.requires_grad


def test_zero_element_tensor_warns_and_is_left_alone():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(mt.empty(0, 3))


def test_manual_seed_and_generator_make_inits_reproducible():
    mt.manual_seed(3)
    a = nn.Linear(20, 10).weight.detach().numpy().copy()
    mt.manual_seed(3)
    b = nn.Linear(20, 10).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)
    c = init.normal_(mt.empty(5), generator=np.random.default_rng(9)).numpy()
    d = init.normal_(mt.empty(5), generator=np.random.default_rng(9)).numpy()
    np.testing.assert_array_equal(c, d)


LAYERS = {
    "Linear": (lambda L: L.Linear(1024, 300), 1 / math.sqrt(1024)),
    "Conv2d": (lambda L: L.Conv2d(64, 128, 3), 1 / math.sqrt(64 * 9)),
    "Conv2d_groups": (lambda L: L.Conv2d(64, 128, 5, groups=4), 1 / math.sqrt(16 * 25)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_default_layer_init_is_torchs(name):
    make, bound = LAYERS[name]
    mt.manual_seed(1)
    torch.manual_seed(1)
    ours, theirs = make(nn), make(torch.nn)
    # weight: kaiming_uniform_(a=√5) = U(±1/√fan_in); bias: U(±1/√fan_in)
    _moments_agree(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), bound)
    b = ours.bias.detach().numpy()
    assert np.abs(b).max() <= bound and abs(b.std() / (bound / math.sqrt(3)) - 1) < 0.25
    assert ours.weight.dtype == np.float32


def test_batchnorm_default_init_is_torchs():
    ours, theirs = nn.BatchNorm2d(7), torch.nn.BatchNorm2d(7)
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


@pytest.mark.parametrize("fill, draw", [
    (lambda t: nn.init.uniform_(t, -0.3, 0.7), lambda g, n: g.uniform(-0.3, 0.7, n)),
    (lambda t: nn.init.normal_(t, 0.5, 2.0), lambda g, n: g.normal(0.5, 2.0, n)),
])
def test_big_tensors_are_drawn_in_pieces_with_the_numbers_of_one_draw(fill, draw) -> None:
    """Past one piece (``init._DRAW_CHUNK``) the draws go into the tensor piece by piece: the same numbers as one
    float64 draw of the whole shape rounded to the tensor's dtype, the version bumped once."""
    shape = (3, init._DRAW_CHUNK // 2 + 5)
    for dtype in (mt.float32, mt.float64):
        t = mt.empty(*shape, dtype=dtype, requires_grad=True)
        version = t._version
        mt.manual_seed(11)
        fill(t)
        mt.manual_seed(11)
        expected = draw(mt.backend.generator(), shape[0] * shape[1]).reshape(shape).astype(t.detach().numpy().dtype)
        assert np.array_equal(t.detach().numpy(), expected)
        assert t._version == version + 1 and t.requires_grad and t.grad_fn is None
