"""Tensor methods (and their top-level twins) that real scripts call, against torch: in-place trig / comparison /
bitwise / logical forms, hardshrink / prelu / where / orgqr / geqrf methods, bit shifts and frexp, index_reduce
(values and gradients, float64 to 1e-10, float32 against the truth), nonzero_static, the real-tensor
answers of the complex and layout queries, dim_order, resize_, the unsafe_* splits, and the new in-place samplers'
distributions; torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _linalg_check import check

import minitorch_cnn as mt

RNG = np.random.default_rng(41)


@pytest.mark.parametrize("name", ["acos_", "arccos_", "asin_", "arcsin_", "atan_", "arctan_", "cosh_", "sinh_"])
def test_inplace_unary(name: str) -> None:
    x = RNG.uniform(-0.9, 0.9, (3, 4))
    a, t = mt.tensor(x), torch.tensor(x)
    assert getattr(a, name)() is a
    getattr(t, name)()
    assert np.allclose(a.numpy(), t.numpy(), rtol=1e-14, atol=0)
    leaf = mt.tensor(x, requires_grad=True)
    leaf_t = torch.tensor(x, requires_grad=True)
    y, y_t = leaf * 1.0, leaf_t * 1.0
    getattr(y, name)()
    getattr(y_t, name)()
    g = RNG.standard_normal(x.shape)
    y.backward(mt.tensor(g))
    y_t.backward(torch.tensor(g))
    assert np.allclose(leaf.grad.numpy(), leaf_t.grad.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "logical_and_", "logical_or_",
                                  "logical_xor_", "bitwise_and_", "bitwise_or_", "bitwise_xor_"])
def test_inplace_binary(name: str) -> None:
    x, y = RNG.integers(0, 3, (3, 4)), RNG.integers(0, 3, (3, 4))
    dtypes = [np.int64] if name.startswith("bitwise") else [np.float32, np.int64]
    for dt in dtypes:
        a, t = mt.tensor(x.astype(dt)), torch.tensor(x.astype(dt))
        getattr(a, name)(mt.tensor(y.astype(dt)))
        getattr(t, name)(torch.tensor(y.astype(dt)))
        assert a.dtype == {np.float32: mt.float32, np.int64: mt.int64}[dt]
        assert a.numpy().tolist() == t.numpy().tolist()
    for name1 in ("logical_not_", "bitwise_not_"):
        a, t = mt.tensor(x), torch.tensor(x)
        getattr(a, name1)()
        getattr(t, name1)()
        assert a.numpy().tolist() == t.numpy().tolist()


def test_method_forms() -> None:
    x = RNG.standard_normal((2, 3, 4))
    check(lambda a: a.hardshrink(0.3), lambda a: a.hardshrink(0.3), [x])
    check(lambda a, w: a.prelu(w), lambda a, w: a.prelu(w), [x, RNG.random(3)])
    cond = x > 0
    check(lambda a, b: a.where(mt.tensor(cond), b), lambda a, b: a.where(torch.tensor(cond), b), [x, x * 2])
    m = RNG.standard_normal((5, 3))
    a, tau = mt.geqrf(mt.tensor(m))
    a_t, tau_t = torch.geqrf(torch.tensor(m))
    assert np.allclose(a.numpy(), a_t.numpy(), rtol=1e-12, atol=1e-14)
    assert np.allclose(tau.numpy(), tau_t.numpy(), rtol=1e-12, atol=1e-14)
    check(lambda h, t: h.orgqr(t), lambda h, t: h.orgqr(t), [a_t.numpy(), tau_t.numpy()])
    check(lambda h, t: mt.orgqr(h, t), lambda h, t: torch.orgqr(h, t), [a_t.numpy(), tau_t.numpy()])
    check(lambda v: v.narrow_copy(1, 1, 2), lambda v: v.narrow_copy(1, 1, 2), [x])
    check(lambda v: mt.narrow_copy(v, 2, 0, 3), lambda v: torch.narrow_copy(v, 2, 0, 3), [x])
    check(lambda v: v.unsafe_chunk(2, 2), lambda v: v.unsafe_chunk(2, 2), [x])
    check(lambda v: v.unsafe_split(2, 1), lambda v: v.unsafe_split(2, 1), [x])
    check(lambda v: mt.unsafe_split_with_sizes(v, [1, 3], 2), lambda v: torch.unsafe_split_with_sizes(v, [1, 3], 2),
          [x])
    check(lambda v: v.adjoint(), lambda v: v.adjoint(), [x])
    check(lambda v: v.mH, lambda v: v.mH, [x])
    assert mt.tensor(x).new_empty_strided((3, 2), (2, 1)).shape == (3, 2)


def test_bit_shifts_and_frexp() -> None:
    a, s = np.array([1, 2, -8, 5]), np.array([1, 63, 70, 2])
    for fn in ("bitwise_left_shift", "bitwise_right_shift"):
        assert getattr(mt, fn)(mt.tensor(a), mt.tensor(s)).numpy().tolist() == \
            getattr(torch, fn)(torch.tensor(a), torch.tensor(s)).numpy().tolist()
        small = np.array([1, 2, 3, 200], dtype=np.uint8)
        assert getattr(mt.tensor(small), fn)(7).numpy().tolist() == getattr(torch.tensor(small), fn)(7).tolist()
        signed = np.array([-8, 100], dtype=np.int8)
        assert getattr(mt.tensor(signed), fn)(9).numpy().tolist() == getattr(torch.tensor(signed), fn)(9).tolist()
    z = mt.tensor(a)
    z.bitwise_left_shift_(2)
    assert z.numpy().tolist() == (a << 2).tolist()
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        mt.bitwise_left_shift(mt.ones(2), 1)
    v = np.array([0.0, 1.5, -8, np.inf, np.nan, 3e-310], dtype=np.float64)
    m, e = mt.tensor(v).frexp()
    m_t, e_t = torch.frexp(torch.tensor(v))
    assert e.dtype == mt.int32 and e.numpy().tolist() == e_t.numpy().tolist()
    assert np.array_equal(m.numpy(), m_t.numpy(), equal_nan=True)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce: str, include_self: bool) -> None:
    x, src = RNG.standard_normal((5, 3)), RNG.standard_normal((4, 3))
    idx = np.array([0, 4, 2, 0])
    check(lambda a, b: a.index_reduce(0, mt.tensor(idx), b, reduce, include_self=include_self),
          lambda a, b: a.index_reduce(0, torch.tensor(idx), b, reduce, include_self=include_self), [x, src])
    check(lambda a, b: mt.index_reduce(a, 1, mt.tensor(np.array([2, 0])), b, reduce, include_self=include_self),
          lambda a, b: torch.index_reduce(a, 1, torch.tensor(np.array([2, 0])), b, reduce, include_self=include_self),
          [x, RNG.standard_normal((5, 2))])
    with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin but got sum"):
        mt.tensor(x).index_reduce(0, mt.tensor(idx), mt.tensor(src), "sum")


def test_nonzero_static() -> None:
    x = np.array([[0, 1], [1, 1]])
    for size, fill in ((5, -1), (1, 9), (3, 0)):
        assert mt.nonzero_static(mt.tensor(x), size=size, fill_value=fill).numpy().tolist() == \
            torch.nonzero_static(torch.tensor(x), size=size, fill_value=fill).tolist()
    assert mt.tensor(np.array([0, 3, 0, 4])).nonzero_static(size=3).numpy().tolist() == \
        torch.tensor([0, 3, 0, 4]).nonzero_static(size=3).tolist()


def test_real_tensor_queries() -> None:
    x = mt.tensor(RNG.standard_normal((2, 3)))
    for name in ("conj", "resolve_conj", "resolve_neg", "to_dense"):
        assert getattr(x, name)() is x
    assert mt.real(x) is x and x.real is x and mt.conj(x) is x
    assert not x.is_conj() and not x.is_neg() and not mt.is_conj(x)
    assert not (x.is_sparse or x.is_sparse_csr or x.is_quantized or x.is_nested or x.is_meta or x.is_mkldnn)
    assert np.array_equal(x.conj_physical().numpy(), x.numpy()) and x.conj_physical() is not x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        _ = x.imag
    e = mt.empty(2, 3, 4)
    for v, vt in ((e, torch.empty(2, 3, 4)), (e.permute(2, 0, 1), torch.empty(2, 3, 4).permute(2, 0, 1)),
                  (e.transpose(0, 1), torch.empty(2, 3, 4).transpose(0, 1))):
        assert v.dim_order() == vt.dim_order()
    y = mt.tensor(RNG.standard_normal(6), requires_grad=True)
    assert (y * 2).output_nr == 0 and x.const_data_ptr() == x.data_ptr()


def test_resize() -> None:
    r, r_t = mt.arange(5.0), torch.arange(5.0)
    assert r.resize_(2, 3) is r
    r_t.resize_(2, 3)
    assert r.shape == (2, 3) and r.numpy().reshape(-1)[:5].tolist() == r_t.flatten()[:5].tolist()
    s = mt.arange(6.0)
    s.resize_as_(mt.ones(2, 2))
    assert s.numpy().tolist() == torch.arange(6.0).resize_(2, 2).tolist()
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        mt.ones(2, requires_grad=True).resize_(3)


def test_samplers() -> None:
    mt.manual_seed(0)
    c = mt.empty(200000, dtype=mt.float64).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1.0) < 0.05 and abs(np.percentile(c, 75) - np.percentile(c, 25) - 4.0) < 0.1
    ln = mt.empty(200000, dtype=mt.float64).log_normal_(0.5, 0.25).numpy()
    assert abs(np.log(ln).mean() - 0.5) < 0.01 and abs(np.log(ln).std() - 0.25) < 0.01
    g = mt.empty(200000).geometric_(0.25).numpy()
    assert g.min() == 1 and abs(g.mean() - 4.0) < 0.05
    mt.manual_seed(1)
    first = mt.empty(5).cauchy_().numpy()
    mt.manual_seed(1)
    assert np.array_equal(first, mt.empty(5).cauchy_().numpy())
    with pytest.raises(RuntimeError, match="geometric_ expects p to be in \\(0, 1\\)"):
        mt.empty(3).geometric_(1.5)


def test_poisson_binomial() -> None:
    mt.manual_seed(2)
    rates = mt.tensor(np.array([0.0, 1.5, 30.0] * 20000), requires_grad=True)
    counts = mt.poisson(rates)
    assert counts.dtype == mt.float64 and counts.grad_fn.name() == "PoissonBackward0"
    c = counts.detach().numpy().reshape(-1, 3)
    assert (c[:, 0] == 0).all() and abs(c[:, 1].mean() - 1.5) < 0.03 and abs(c[:, 2].var() - 30.0) < 1.0
    counts.backward(mt.ones(60000, dtype=mt.float64))
    assert not rates.grad.numpy().any()  # torch's PoissonBackward0 gives zeros
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
        mt.poisson(mt.tensor([-1.0]))
    draws = mt.binomial(mt.full((50000,), 10.0), mt.full((50000,), 0.3)).numpy()
    assert draws.dtype == np.float32 and draws.min() >= 0 and draws.max() <= 10 and abs(draws.mean() - 3.0) < 0.03
