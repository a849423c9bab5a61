"""``F.scaled_dot_product_attention``, ``nn.MultiheadAttention`` and ``F.multi_head_attention_forward`` against
torch: outputs, attention weights and every gradient, float64 to 1e-10 and float32 against the float64 truth, for
the masks and options users write (small: seq 5, batch 2, embed 8, heads 2)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._attn_parity import parity
from tests._parity import assert_close

R = np.random.default_rng(0)
Q, K, V = R.standard_normal((2, 2, 5, 4)), R.standard_normal((2, 2, 6, 4)), R.standard_normal((2, 2, 6, 3))
BOOL = R.random((5, 6)) > 0.4
BOOL[:, 0] = True  # every query sees a key
DEAD = BOOL.copy()
DEAD[2] = False  # a query that sees no key: torch returns 0 there (no nan)
FLOAT = R.standard_normal((2, 1, 5, 6))


SDPA_CASES = {
    "plain": {},
    "causal": {"is_causal": True},
    "bool_mask": {"attn_mask": BOOL},
    "dead_row": {"attn_mask": DEAD},
    "float_mask_broadcast": {"attn_mask": FLOAT},
    "scale": {"scale": 0.37},
    "negative_scale": {"scale": -0.6},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_matches_torch(case: str, dtype: Any) -> None:
    opts = dict(SDPA_CASES[case])
    mask = opts.pop("attn_mask", None)
    inputs = {"q": Q, "k": K, "v": V} | ({} if mask is None else {"attn_mask": mask})

    def fn(lib: Any, mod: Any, q: Any, k: Any, v: Any, attn_mask: Any = None) -> Any:
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, **opts)

    parity(None, fn, inputs, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sdpa_float_mask_gets_its_gradient(dtype: Any) -> None:
    """A float attn_mask that requires grad gets dA summed to its broadcast shape, as torch's."""

    def fn(lib: Any, mod: Any, q: Any, k: Any, v: Any, bias: Any) -> Any:
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)

    parity(None, fn, {"q": Q, "k": K, "v": V, "bias": FLOAT}, dtype)


def test_sdpa_grouped_query_attention() -> None:
    q = R.standard_normal((2, 4, 5, 4))

    def fn(lib: Any, mod: Any, q: Any, k: Any, v: Any) -> Any:
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    parity(None, fn, {"q": q, "k": K, "v": V}, np.float64)


def test_sdpa_second_order_matches_torch() -> None:
    """d/d(q, k, v) of Σ (∂L/∂q)·w: the composed op is differentiable twice, as torch's math path."""
    rng = np.random.default_rng(3)
    u, w = rng.standard_normal((2, 2, 5, 3)), rng.standard_normal((2, 2, 5, 4))
    res = {}
    for lib in (torch, mt):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in (Q, K, V))
        y = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=lib.tensor(BOOL))
        (gq,) = lib.autograd.grad((y * lib.tensor(u)).sum(), q, create_graph=True)
        (gq * lib.tensor(w)).sum().backward()
        res[lib.__name__] = [gq.detach().numpy(), q.grad.numpy(), k.grad.numpy(), v.grad.numpy()]
    for a, b in zip(res["minitorch_cnn"], res["torch"]):
        assert_close(a, b, np.float64)


def test_sdpa_dropout_zeroes_weights_at_rate_p_and_scales_the_rest() -> None:
    """Our RNG differs from torch's: with v = I the output rows are the dropped-out weights themselves, so the
    fraction of zeros is p and the survivors are softmax · 1/(1-p)."""
    mt.manual_seed(0)
    q, k = mt.zeros(1, 1, 400, 4), mt.zeros(1, 1, 50, 4)
    v = mt.eye(50).reshape(1, 1, 50, 50)
    out = mt.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.25).numpy()
    zero = out == 0
    assert abs(zero.mean() - 0.25) < 0.012  # 20,000 draws: 4 standard deviations
    np.testing.assert_allclose(out[~zero], (1 / 50) / 0.75, rtol=1e-6)


def test_sdpa_refuses_mask_with_is_causal_and_mixed_dtypes() -> None:
    q, k, v = (mt.tensor(a) for a in (Q, K, V))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        mt.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mt.tensor(BOOL), is_causal=True)
    with pytest.raises(RuntimeError, match="same dtype"):
        mt.nn.functional.scaled_dot_product_attention(q, k.float(), v)
    with pytest.raises(RuntimeError, match="do not fit"):
        mt.nn.functional.scaled_dot_product_attention(q, k[..., :3], v)


# MultiheadAttention: (constructor options, forward options)
L, S, N, E, H = 5, 6, 2, 8, 2
X = R.standard_normal((L, N, E))
MEM = R.standard_normal((S, N, E))
KPM = np.zeros((N, S), bool)
KPM[0, 4:] = True
KPM_SELF = np.zeros((N, L), bool)
KPM_SELF[1, 3:] = True
CAUSAL = np.triu(np.ones((L, L), bool), 1)
MASK3 = R.standard_normal((N * H, L, S))

MHA_CASES = {
    "self_weights": ({}, {"self": True}),
    "self_no_weights": ({}, {"self": True, "need_weights": False}),
    "per_head_weights": ({}, {"self": True, "average_attn_weights": False}),
    "cross_kpm": ({}, {"key_padding_mask": KPM}),
    "cross_kpm_no_weights": ({}, {"key_padding_mask": KPM, "need_weights": False}),
    "causal_bool_mask": ({}, {"self": True, "attn_mask": CAUSAL}),
    "causal_hint_no_weights": ({}, {"self": True, "attn_mask": CAUSAL, "is_causal": True, "need_weights": False}),
    "causal_hint_kpm": ({}, {"self": True, "attn_mask": CAUSAL, "is_causal": True, "key_padding_mask": KPM_SELF,
                             "need_weights": False}),
    "float_mask_3d": ({}, {"attn_mask": MASK3}),
    "batch_first": ({"batch_first": True}, {"self": True}),
    "batch_first_cross": ({"batch_first": True}, {"key_padding_mask": KPM, "need_weights": False}),
    "no_bias": ({"bias": False}, {}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {"key_padding_mask": KPM}),
    "kdim_vdim": ({"kdim": 3, "vdim": 5}, {"key_padding_mask": KPM}),
}


def _mha_fn(opts: dict, batch_first: bool, unbatched: bool = False) -> Any:
    opts = dict(opts)
    self_attn = opts.pop("self", False)

    def fn(lib: Any, mod: Any, x: Any, mem: Any, memv: Any, **masks: Any) -> Any:
        if batch_first:
            x, mem, memv = (t.transpose(0, 1) for t in (x, mem, memv))
        if unbatched:
            x, mem, memv = x[:, 0], mem[:, 0], memv[:, 0]
            masks = {k: (m[0] if k == "key_padding_mask" else m) for k, m in masks.items()}
        if self_attn:
            return mod(x, x, x, **masks, **opts)
        return mod(x, mem, memv, **masks, **opts)

    return fn


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch(case: str, dtype: Any) -> None:
    ctor, fwd = MHA_CASES[case]
    fwd = dict(fwd)
    masks = {k: fwd.pop(k) for k in ("key_padding_mask", "attn_mask") if k in fwd}
    kdim, vdim = ctor.get("kdim", E), ctor.get("vdim", E)
    inputs = {"x": X, "mem": MEM[..., :kdim], "memv": R.standard_normal((S, N, vdim)), **masks}
    if "self" in fwd and "key_padding_mask" in masks:
        inputs["key_padding_mask"] = KPM_SELF
    parity(lambda lib: lib.nn.MultiheadAttention(E, H, **ctor), _mha_fn(fwd, ctor.get("batch_first", False)),
           inputs, dtype)


def test_multihead_attention_unbatched_input() -> None:
    kpm = KPM[:1].repeat(N, 0)
    parity(lambda lib: lib.nn.MultiheadAttention(E, H), _mha_fn({}, False, unbatched=True),
           {"x": X, "mem": MEM, "memv": MEM, "key_padding_mask": kpm}, np.float64)


def test_multihead_attention_dropout_in_training_only() -> None:
    """p = 0.5: eval mode is deterministic and equals torch; training mode drops (our RNG: compare by statistics,
    the fraction of exactly-zero attention weights per head is p)."""
    parity(lambda lib: lib.nn.MultiheadAttention(E, H, dropout=0.5), _mha_fn({"self": True}, False),
           {"x": X, "mem": MEM, "memv": MEM}, np.float64, train=False)
    mt.manual_seed(0)
    m = mt.nn.MultiheadAttention(E, H, dropout=0.5)
    x = mt.randn(40, 4, E)
    _, w = m(x, x, x, average_attn_weights=False)
    assert abs((w.detach().numpy() == 0).mean() - 0.5) < 0.02  # 12,800 draws: 4 standard deviations is 0.018


def test_functional_multi_head_attention_forward_matches_torch() -> None:
    """The functional form as scripts call it, with the module's tensors passed in by hand."""

    def fn(lib: Any, mod: Any, x: Any, mem: Any, memv: Any, key_padding_mask: Any) -> Any:
        return lib.nn.functional.multi_head_attention_forward(
            x, mem, memv, E, H, mod.in_proj_weight, mod.in_proj_bias, None, None, False, 0.0, mod.out_proj.weight,
            mod.out_proj.bias, training=False, key_padding_mask=key_padding_mask)

    parity(lambda lib: lib.nn.MultiheadAttention(E, H), fn,
           {"x": X, "mem": MEM, "memv": MEM, "key_padding_mask": KPM}, np.float64)


def test_functional_static_keys_values_match_torch() -> None:
    """static_k / static_v (N·H, S, E/H): precomputed keys and values skip their projections."""
    sk, sv = R.standard_normal((N * H, S, E // H)), R.standard_normal((N * H, S, E // H))

    def fn(lib: Any, mod: Any, x: Any, static_k: Any, static_v: Any) -> Any:
        return lib.nn.functional.multi_head_attention_forward(
            x, x, x, E, H, mod.in_proj_weight, mod.in_proj_bias, None, None, False, 0.0, mod.out_proj.weight,
            mod.out_proj.bias, static_k=static_k, static_v=static_v, average_attn_weights=False)

    parity(lambda lib: lib.nn.MultiheadAttention(E, H), fn, {"x": X, "static_k": sk, "static_v": sv}, np.float64)


def test_multihead_attention_keys_and_init_are_torchs() -> None:
    for kw in ({}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False}):
        ours, theirs = mt.nn.MultiheadAttention(E, H, **kw), torch.nn.MultiheadAttention(E, H, **kw)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [tuple(v.shape) for v in ours.state_dict().values()] == \
            [tuple(v.shape) for v in theirs.state_dict().values()]
    m = mt.nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ over the packed (3E, E) weight
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()


def test_multihead_attention_bad_input_is_torchs_error() -> None:
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        mt.nn.MultiheadAttention(8, 3)
    m, x = mt.nn.MultiheadAttention(E, H), mt.tensor(X)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 4"):
        m(x[..., :4], x[..., :4], x[..., :4])
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(5, 4\), but should be \(5, 5\)"):
        m(x, x, x, attn_mask=mt.zeros(5, 4))
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask are supported"):
        m(x, x, x, key_padding_mask=mt.zeros(2, 5, dtype=mt.int64))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=mt.zeros(2, 5, dtype=mt.bool), attn_mask=mt.zeros(5, 5))
