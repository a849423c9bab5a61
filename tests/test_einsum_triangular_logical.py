"""``einsum``, ``triu``/``tril`` and the logical / bitwise mask ops against torch: values, and for the
differentiable ones every gradient under random upstream gradients (float64 to 1e-10, float32 against the float64
truth) and the second derivative."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._attn_parity import parity
from tests._parity import assert_close

R = np.random.default_rng(0)

EINSUM = {
    "bhid,bhjd->bhij": [(2, 2, 3, 4), (2, 2, 5, 4)],  # attention scores
    "bhij,bhjd->bhid": [(2, 2, 3, 5), (2, 2, 5, 4)],  # weights times values
    "ij->ji": [(3, 4)],
    "bij,bjk": [(2, 3, 4), (2, 4, 5)],  # implicit output
    "...d,...d->...": [(2, 3, 4), (3, 4)],  # ellipsis with broadcasting
    "ij,j->i": [(3, 4), (4,)],
    "ijk->k": [(2, 3, 4)],  # summed-away letters: the gradient broadcasts back
    "ijk,j->i": [(2, 3, 4), (3,)],  # a letter of one operand summed away before the product
    "ij,kl->ijkl": [(2, 3), (2, 2)],  # outer product
    "ij,jk,kl->il": [(3, 4), (4, 5), (5, 2)],
    "bn,anm,bm->ba": [(2, 3), (4, 3, 5), (2, 5)],  # bilinear
    "i,i->": [(4,), (4,)],
    "ij,ij->i": [(3, 1), (3, 4)],  # a size-1 dim broadcasts, as torch
    "ii->": [(4, 4)],  # trace
    "ii->i": [(4, 4)],  # diagonal
    "bjj,bj->bj": [(2, 3, 3), (2, 3)],  # a batched diagonal times a vector
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("eq", list(EINSUM))
def test_einsum_matches_torch(eq: str, dtype: Any) -> None:
    inputs = {f"x{i}": R.standard_normal(s) for i, s in enumerate(EINSUM[eq])}
    parity(None, lambda lib, mod, **xs: lib.einsum(eq, *xs.values()), inputs, dtype)


def test_einsum_list_operands_and_second_order() -> None:
    a, b, u, w = (R.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 3, 5), (2, 3, 4)))
    res = {}
    for lib in (torch, mt):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.einsum("bid,bjd->bij", [x, y])
        (gx,) = lib.autograd.grad((out * lib.tensor(u)).sum(), x, create_graph=True)
        (gx * lib.tensor(w)).sum().backward()
        res[lib.__name__] = [out.detach().numpy(), gx.detach().numpy(), y.grad.numpy()]
    for ours, theirs in zip(res["minitorch_cnn"], res["torch"]):
        assert_close(ours, theirs, np.float64)


def test_einsum_bad_input_is_a_clear_error() -> None:
    a = mt.randn(3, 3)
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0 but the sizes don't match, 2 != 3"):
        mt.einsum("ii->", mt.randn(3, 2))
    with pytest.raises(RuntimeError, match="more operands were provided"):
        mt.einsum("ij->i", a, a)
    with pytest.raises(RuntimeError, match="does not match the number of dimensions"):
        mt.einsum("ijk->i", a)
    with pytest.raises(RuntimeError, match="subscript j has size 4 for operand 1 which does not broadcast with "
                                           "previously seen size 3"):
        mt.einsum("ij,jk->ik", a, mt.randn(4, 2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("diagonal", [-1, 0, 1, 3])
@pytest.mark.parametrize("op", ["triu", "tril"])
def test_triangles_match_torch(op: str, diagonal: int, dtype: Any) -> None:
    parity(None, lambda lib, mod, x: getattr(lib, op)(x, diagonal=diagonal), {"x": R.standard_normal((2, 3, 4))},
           dtype)
    parity(None, lambda lib, mod, x: getattr(x, op)(diagonal), {"x": R.standard_normal((4, 3))}, dtype)


def test_causal_mask_idioms_match_torch() -> None:
    """The ways scripts build a causal mask: triu of -inf (0 below, not nan), tril of ones == 0, triu of ones as
    bool, and the in-place methods."""
    outs = {}
    for lib in (torch, mt):
        full = lib.full((4, 4), float("-inf"))
        ones = lib.ones(4, 4)
        m = lib.zeros(4, 4)
        m.triu_(1)
        outs[lib.__name__] = [lib.triu(full, diagonal=1), lib.tril(ones) == 0, lib.triu(ones, 1).bool(),
                              ones.tril(-1), m]
    for ours, theirs in zip(outs["minitorch_cnn"], outs["torch"]):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        mt.triu(mt.ones(3))
    x = mt.ones(2, 2, requires_grad=True)
    assert (mt.triu(x).grad_fn.name(), mt.tril(x).grad_fn.name()) == ("TriuBackward0", "TrilBackward0")


def test_logical_and_bitwise_ops_match_torch() -> None:
    a, b = R.random((3, 4)) > 0.5, R.random((3, 4)) > 0.5
    i, j = R.integers(-5, 5, (3, 4)), R.integers(-5, 5, (3, 4))
    res = {}
    for lib in (torch, mt):
        x, y, p, q = (lib.tensor(v) for v in (a, b, i, j))
        res[lib.__name__] = [~x, x & y, x | y, x ^ y, x.logical_not(), lib.logical_and(x, y), lib.logical_or(x, y),
                             lib.logical_xor(x, y), ~p, p & q, p | q, p ^ q, lib.logical_not(p), x & True]
    for ours, theirs in zip(res["minitorch_cnn"], res["torch"]):
        assert ours.dtype == getattr(mt, str(theirs.dtype).replace("torch.", "").replace("bool", "bool_"))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(TypeError, match="only implemented on integer and Boolean-type tensors"):
        ~mt.ones(2)


@pytest.mark.parametrize("name", ["einsum_pair", "einsum_three", "einsum_sum_away", "triu", "sdpa_bool_mask",
                                  "sdpa_float_mask", "mha"])
def test_finite_differences_first_and_second_order(name: str) -> None:
    """Our gradcheck / gradgradcheck (central differences, no torch) on the new ops."""
    rng = np.random.default_rng(7)

    def t(*shape: int) -> mt.Tensor:
        return mt.tensor(rng.standard_normal(shape), requires_grad=True)

    mask = mt.tensor(rng.random((3, 4)) > 0.3)
    mha = mt.nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    cases = {
        "einsum_pair": (lambda a, b: mt.einsum("bid,bjd->bij", a, b), [t(2, 3, 4), t(2, 4, 4)]),
        "einsum_three": (lambda a, b, c: mt.einsum("ij,jk,kl->il", a, b, c), [t(2, 3), t(3, 2), t(2, 2)]),
        "einsum_sum_away": (lambda a, b: mt.einsum("ijk,j->i", a, b), [t(2, 3, 2), t(3)]),
        "triu": (lambda a: mt.triu(a, -1) * mt.tril(a, 1), [t(3, 4)]),
        "sdpa_bool_mask": (lambda q, k, v: mt.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                           [t(2, 3, 2), t(2, 4, 2), t(2, 4, 3)]),
        "sdpa_float_mask": (lambda q, k, v, m: mt.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
                            [t(2, 3, 2), t(2, 4, 2), t(2, 4, 3), t(3, 4)]),
        "mha": (lambda x, m: mha(x, m, m)[0], [t(3, 2, 4), t(4, 2, 4)]),
    }
    fn, inputs = cases[name]
    assert mt.autograd.gradcheck(fn, inputs)
    assert mt.autograd.gradgradcheck(fn, inputs)
