"""LayerNorm, GroupNorm, InstanceNorm1d/2d and their F.* forms against torch: forward, input and parameter
gradients under a random upstream gradient, running statistics; float64 exact, float32 against the truth."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _grad_parity import function_parity, layer_parity  # noqa: E402

import minitorch_cnn as mt  # noqa: E402
import minitorch_cnn.nn.functional as F  # noqa: E402

TF = torch.nn.functional


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * 2 + 0.5


def test_layer_norm_functional():
    rng = np.random.default_rng(1)
    arrays = [_x(2, 3, 4, 5), rng.standard_normal((4, 5)), rng.standard_normal((4, 5))]
    function_parity(lambda x, w, b: F.layer_norm(x, (4, 5), w, b, 1e-4),
                    lambda x, w, b: TF.layer_norm(x, (4, 5), w, b, 1e-4), arrays, [True, True, True], "layer_norm")
    function_parity(lambda x: F.layer_norm(x, 5), lambda x: TF.layer_norm(x, (5,)), [_x(3, 5)], [True], "ln plain")


def test_group_norm_functional():
    rng = np.random.default_rng(2)
    arrays = [_x(2, 6, 3, 4), rng.standard_normal(6), rng.standard_normal(6)]
    function_parity(lambda x, w, b: F.group_norm(x, 3, w, b), lambda x, w, b: TF.group_norm(x, 3, w, b),
                    arrays, [True, True, True], "group_norm")
    function_parity(lambda x: F.group_norm(x, 2), lambda x: TF.group_norm(x, 2), [_x(3, 4, 5)], [True], "gn 1d")


@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
def test_instance_norm2d_module(affine, track):
    for train in (True, False):
        layer_parity(lambda nn: nn.InstanceNorm2d(3, affine=affine, track_running_stats=track, momentum=0.3),
                     _x(2, 3, 4, 5), train=train, what=f"InstanceNorm2d {affine=} {track=} {train=}")


def test_instance_norm_running_stats_update_like_torch():
    ours, theirs = mt.nn.InstanceNorm1d(3, track_running_stats=True).double(), \
        torch.nn.InstanceNorm1d(3, track_running_stats=True).double()
    for seed in range(3):
        x = _x(4, 3, 6, seed=seed)
        ours(mt.tensor(x))
        theirs(torch.tensor(x))
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    x = _x(3, 5, seed=9)  # unbatched (C, L)
    np.testing.assert_allclose(ours(mt.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-10)


def test_layer_and_group_norm_modules():
    layer_parity(lambda nn: nn.LayerNorm([4, 5]), _x(2, 3, 4, 5), what="LayerNorm")
    layer_parity(lambda nn: nn.LayerNorm(5, elementwise_affine=False), _x(2, 5), what="LayerNorm plain")
    layer_parity(lambda nn: nn.LayerNorm(5, bias=False), _x(2, 5), what="LayerNorm no bias")
    layer_parity(lambda nn: nn.GroupNorm(2, 4), _x(2, 4, 3, 3), what="GroupNorm")
    layer_parity(lambda nn: nn.GroupNorm(4, 4, affine=False), _x(2, 4, 3), what="GroupNorm plain")
    layer_parity(lambda nn: nn.GroupNorm(2, 4, bias=False), _x(2, 4, 3), what="GroupNorm no bias")
    layer_parity(lambda nn: nn.InstanceNorm2d(2, affine=True, bias=False), _x(2, 2, 3, 3), what="IN no bias")
    for name, args, kw in [("LayerNorm", (5,), {}), ("GroupNorm", (1, 5), {}), ("GroupNorm", (1, 5), {"bias": False}),
                           ("InstanceNorm2d", (3,), {"affine": True, "bias": False}), ("InstanceNorm1d", (3,), {})]:
        assert repr(getattr(mt.nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


def test_instance_norm_functional_with_running_stats():
    x = _x(2, 3, 4, 4)
    rm, rv = mt.zeros(3, dtype=np.float64), mt.ones(3, dtype=np.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    y = F.instance_norm(mt.tensor(x), rm, rv, momentum=0.2)
    ty = TF.instance_norm(torch.tensor(x), trm, trv, momentum=0.2)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    y = F.instance_norm(mt.tensor(x), rm, rv, use_input_stats=False)
    ty = TF.instance_norm(torch.tensor(x), trm, trv, use_input_stats=False)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-10)


def test_errors():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(mt.zeros(2, 3), (4,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(mt.zeros(2, 3, 4), 2)
    with pytest.raises(ValueError, match="divisible"):
        mt.nn.GroupNorm(2, 3)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        mt.nn.InstanceNorm2d(3)(mt.zeros(2, 3, 1, 1))
    with pytest.raises(ValueError, match="expected 3D or 4D input"):
        mt.nn.InstanceNorm2d(3)(mt.zeros(3, 4))
