"""torch's top-level function forms against torch: the in-place functions (torch.exp_(x) …), the *_copy functions
(values and gradients, float64 to 1e-10), scalar_tensor, fill, empty_strided, frobenius_norm / nuclear_norm,
detach, is_same_size / is_signed / is_inference / get_device, typename and the constants e, pi, inf, nan, newaxis."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(51)

INPLACE_CASES = [("exp_", ()), ("sqrt_", ()), ("clamp_", (-0.2, 0.3)), ("clamp_min_", (0.1,)), ("clip_", (None, 0.5)),
                 ("zero_", ()), ("fill_", (2.5,)), ("neg_", ()), ("round_", ()), ("sigmoid_", ()), ("tanh_", ()),
                 ("logit_", ()), ("rsqrt_", ()), ("frac_", ()), ("nan_to_num_", ()), ("square_", ()), ("sinc_", ()),
                 ("xlogy_", (2.0,)), ("erf_", ()), ("deg2rad_", ())]


@pytest.mark.parametrize("name,args", INPLACE_CASES)
def test_inplace_functions(name: str, args: tuple) -> None:
    x = RNG.uniform(0.05, 0.95, (3, 4))
    a, t = mt.tensor(x), torch.tensor(x)
    assert getattr(mt, name)(a, *args) is a
    getattr(torch, name)(t, *args)
    assert np.allclose(a.numpy(), t.numpy(), rtol=1e-13, atol=0)


@pytest.mark.parametrize("name,args", [("transpose_copy", (0, 2)), ("permute_copy", ((2, 0, 1),)),
                                       ("diagonal_copy", (0, 1, 2)), ("expand_copy", ((2, 2, 3, 4),)),
                                       ("select_copy", (1, 2)), ("squeeze_copy", ()), ("unsqueeze_copy", (1,)),
                                       ("view_copy", ((6, 4),)), ("unfold_copy", (2, 2, 1)), ("split_copy", (2, 2)),
                                       ("split_with_sizes_copy", ([1, 2], 1)), ("unbind_copy", (1,)),
                                       ("detach_copy", ()), ("as_strided_copy", ((2, 2), (1, 2)))])
def test_copy_functions(name: str, args: tuple) -> None:
    x = RNG.standard_normal((2, 3, 4))
    if name == "detach_copy":
        ours, theirs = getattr(mt, name)(mt.tensor(x, requires_grad=True)), getattr(torch, name)(torch.tensor(x))
        assert not ours.requires_grad and np.array_equal(ours.numpy(), theirs.numpy())
        return
    check(lambda a: getattr(mt, name)(a, *args), lambda a: getattr(torch, name)(a, *args), [x])
    a = mt.tensor(x)
    out = getattr(mt, name)(a, *args)
    first = out[0] if isinstance(out, tuple) else out
    first.zero_()
    assert np.array_equal(a.numpy(), x)  # a copy: writing it leaves x alone


def test_small_functions() -> None:
    check(mt.t_copy, torch.t_copy, [RNG.standard_normal((3, 4))])
    for v in (1, 2.5, True):
        ours, theirs = mt.scalar_tensor(v), torch.scalar_tensor(v)
        assert ours.shape == () and ours.item() == theirs.item() and ours.dtype == mt.float32
    assert mt.scalar_tensor(3, dtype=mt.float64).dtype == mt.float64
    check(lambda a: mt.fill(a, 3.0), lambda a: torch.fill(a, 3.0), [RNG.standard_normal((2, 3))])
    assert mt.empty_strided((2, 3), (3, 1), dtype=mt.float64).shape == (2, 3)
    x = RNG.standard_normal((3, 4, 5))
    check(lambda a: mt.frobenius_norm(a, (1, 2)), lambda a: torch.frobenius_norm(a, (1, 2)), [x])
    check(lambda a: mt.frobenius_norm(a, (0, 2), True), lambda a: torch.frobenius_norm(a, (0, 2), True), [x])
    check(lambda a: mt.nuclear_norm(a[0]), lambda a: torch.nuclear_norm(a[0]), [x])
    check(lambda a: mt.nuclear_norm(a, (0, 2), True), lambda a: torch.nuclear_norm(a, (0, 2), True), [x])
    a = mt.tensor(x, requires_grad=True)
    assert not mt.detach(a).requires_grad
    assert mt.is_same_size(a, mt.ones(3, 4, 5)) and not mt.is_same_size(a, mt.ones(3, 4))
    assert mt.is_signed(a) and not mt.is_signed(mt.ones(2, dtype=mt.uint8))
    assert mt.is_inference(a) == torch.is_inference(torch.tensor(x))
    assert mt.get_device(a) == torch.get_device(torch.tensor(x)) == -1
    assert mt.typename(mt.ones(2)) == torch.typename(torch.ones(2)) == "torch.FloatTensor"
    assert mt.typename(3) == torch.typename(3) == "int"


def test_constants() -> None:
    assert mt.pi == torch.pi == math.pi and mt.e == torch.e and mt.inf == torch.inf and math.isnan(mt.nan)
    assert mt.newaxis is torch.newaxis is None
    assert mt.ones(2, 3)[:, mt.newaxis].shape == (2, 1, 3)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient(edge_order: int) -> None:
    x = RNG.standard_normal((5, 6))
    coords = np.cumsum(RNG.uniform(0.2, 1.0, 5))
    check(lambda a: mt.gradient(a, edge_order=edge_order), lambda a: torch.gradient(a, edge_order=edge_order), [x])
    check(lambda a: mt.gradient(a, spacing=[2.0, 0.5], edge_order=edge_order),
          lambda a: torch.gradient(a, spacing=[2.0, 0.5], edge_order=edge_order), [x])
    check(lambda a, c: mt.gradient(a, spacing=(c,), dim=0, edge_order=edge_order),
          lambda a, c: torch.gradient(a, spacing=(c,), dim=0, edge_order=edge_order), [x, coords])
    assert mt.gradient(mt.arange(5))[0].dtype == mt.float32
    assert torch.gradient(torch.arange(5))[0].dtype == torch.float32
    with pytest.raises(RuntimeError, match="torch.gradient expected each dimension size to be at least edge_order\\+1"):
        mt.gradient(mt.ones(2), edge_order=2)
    with pytest.raises(RuntimeError, match="torch.gradient only supports edge_order=1 and edge_order=2"):
        mt.gradient(mt.ones(4), edge_order=3)


def test_angle() -> None:
    x = np.array([-1.5, 0.0, 2.0, -0.0, np.inf, -np.inf, np.nan])
    ours, theirs = mt.angle(mt.tensor(x)), torch.angle(torch.tensor(x))
    assert np.array_equal(ours.numpy(), theirs.numpy(), equal_nan=True)
    assert mt.tensor(np.array([-1, 2])).angle().dtype == mt.float32 and torch.tensor([-1, 2]).angle().dtype == \
        torch.float32
    check(mt.angle, torch.angle, [RNG.standard_normal((3, 4))], f32=False)


@pytest.mark.parametrize("spatial,transposed", [(1, False), (2, False), (3, False), (1, True), (2, True), (3, True)])
def test_convolution(spatial: int, transposed: bool) -> None:
    x = RNG.standard_normal((2, 4) + (5,) * spatial)
    w = RNG.standard_normal(((4, 3) if transposed else (6, 2)) + (3,) * spatial)
    b = RNG.standard_normal(6 if not transposed else 6)
    stride, padding, dilation, out_pad = [2] * spatial, [1] * spatial, [1] * spatial, [int(transposed)] * spatial
    check(lambda x_, w_, b_: mt.convolution(x_, w_, b_, stride, padding, dilation, transposed, out_pad, 2),
          lambda x_, w_, b_: torch.convolution(x_, w_, b_, stride, padding, dilation, transposed, out_pad, 2),
          [x, w, b])
    if not transposed:
        with pytest.raises(RuntimeError, match="output_padding is not supported for non-transposed convolutions; got: "
                                               + " ".join(["1"] * spatial)):
            mt.convolution(mt.tensor(x), mt.tensor(w), None, stride, padding, dilation, False, [1] * spatial, 2)
