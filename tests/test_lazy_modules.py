"""Lazy modules as torch's: placeholders an optimizer holds before the first forward, materialised in place
(same objects), shapes from the first input, the non-lazy module's init and class, state_dict behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from minitorch_cnn import nn


def _x(*shape, seed=0):
    return mt.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize("lazy, eager, x", [
    (lambda: nn.LazyLinear(4), lambda: nn.Linear(6, 4), _x(3, 6)),
    (lambda: nn.LazyLinear(4, bias=False), lambda: nn.Linear(6, 4, bias=False), _x(2, 3, 6)),
    (lambda: nn.LazyConv2d(4, 3, padding=1, groups=2), lambda: nn.Conv2d(6, 4, 3, padding=1, groups=2),
     _x(2, 6, 5, 5)),
    (lambda: nn.LazyConv2d(2, (1, 3), stride=2), lambda: nn.Conv2d(3, 2, (1, 3), stride=2), _x(3, 5, 7)),
])
def test_first_forward_materialises_with_the_eager_init(lazy, eager, x):
    mt.manual_seed(3)
    m = lazy()
    params = list(m.parameters())
    opt = mt.optim.SGD(m.parameters(), lr=0.1)
    assert all(isinstance(p, nn.UninitializedParameter) for p in params)
    y = m(x)
    mt.manual_seed(3)
    ref = eager()
    assert type(m) is type(ref) and repr(m) == repr(ref)
    assert [p is q for p, q in zip(m.parameters(), params)] == [True] * len(params)
    assert all(type(p) is nn.Parameter and p.requires_grad for p in params)
    for (k, a), (_, b) in zip(m.state_dict().items(), ref.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    np.testing.assert_array_equal(y.detach().numpy(), ref(x).detach().numpy())
    # the optimizer built before the first forward updates the materialised parameters
    (y * y).sum().backward()
    before = [p.detach().numpy().copy() for p in params]
    opt.step()
    for p, b in zip(params, before):
        np.testing.assert_allclose(p.detach().numpy(), b - 0.1 * p.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("lazy, eager, shape", [
    (nn.LazyBatchNorm1d, nn.BatchNorm1d, (4, 3)),
    (nn.LazyBatchNorm2d, nn.BatchNorm2d, (4, 3, 2, 2)),
])
def test_lazy_batchnorm_matches_batchnorm(lazy, eager, shape):
    m, ref = lazy(momentum=0.2), eager(3, momentum=0.2)
    assert set(m.state_dict()) == set(torch.nn.LazyBatchNorm1d().state_dict())
    x = _x(*shape)
    np.testing.assert_array_equal(m(x).detach().numpy(), ref(x).detach().numpy())
    assert type(m) is eager and repr(m) == repr(ref)
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy(), err_msg=k)


def test_state_dict_keys_and_loading_like_torch():
    for ours, theirs in [(nn.LazyLinear(3), torch.nn.LazyLinear(3)), (nn.LazyConv2d(2, 3), torch.nn.LazyConv2d(2, 3)),
                         (nn.LazyBatchNorm2d(affine=False), torch.nn.LazyBatchNorm2d(affine=False))]:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert all(isinstance(v, (nn.UninitializedParameter, nn.UninitializedBuffer)) or k.endswith("tracked")
                   for k, v in ours.state_dict().items())
    # a checkpoint of real tensors materialises a lazy module with its shapes (no forward needed)
    torch.manual_seed(0)
    src = torch.nn.Linear(5, 3).double()
    m = nn.LazyLinear(3).double()
    m.load_state_dict(src.state_dict())
    assert tuple(m.weight.shape) == (3, 5) and m.weight.dtype == np.float64
    x = np.random.default_rng(1).standard_normal((2, 5))
    np.testing.assert_allclose(m(mt.tensor(x)).detach().numpy(), src(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert type(m) is nn.Linear
    # a lazy module's own (uninitialised) state loads into another lazy module and leaves it lazy
    other = nn.LazyLinear(3)
    other.load_state_dict(nn.LazyLinear(3).state_dict())
    assert other.has_uninitialized_params()


def test_placeholders_have_no_shape_and_follow_dtype_moves():
    m = nn.LazyConv2d(4, 3).double()
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        _ = m.weight.shape
    assert repr(m.weight) == "<UninitializedParameter>"
    m(mt.zeros(1, 2, 5, 5, dtype=np.float64))
    assert m.weight.dtype == np.float64 and tuple(m.weight.shape) == (4, 2, 3, 3)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.LazyConv2d(4, 3, groups=3)(mt.zeros(1, 4, 5, 5))


def test_shapes_are_fixed_at_the_first_forward():
    m = nn.LazyLinear(2)
    m(_x(3, 4))
    with pytest.raises(RuntimeError, match=r"expected input \(\*, 4\)"):
        m(_x(3, 5))
    c = nn.LazyConv2d(2, 3)
    c(_x(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match="expected input"):
        c(_x(1, 4, 5, 5))
