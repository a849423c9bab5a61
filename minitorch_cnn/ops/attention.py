"""``scaled_dot_product_attention``: softmax(q kᵀ · scale + bias) v, as torch's math path.

    q (*, L, E), k (*, S, E), v (*, S, Ev) -> (*, L, Ev);  s = scale or 1/√E
    A = (q √s)(k √s)ᵀ + bias          bias: a float attn_mask added; a bool one (True = attend) as 0 / -inf;
                                      is_causal as a bool mask tril(ones(L, S)) (query i sees keys 0..i)
    W = softmax(A) along S            a row masked everywhere gives W = 0, not nan (torch's _safe_softmax)
    W = dropout(W, p)                 always applied when p > 0: the caller passes p = 0 in eval, as torch
    out = W v

    backward (what the composed ops record):  dW = g vᵀ,  dv = Wᵀ g,  dA = W ⊙ (dW - Σ_S dW ⊙ W),
    dq = dA k s,  dk = dAᵀ q s,  d(float attn_mask) = dA summed to the mask's shape.

The op is composed of the differentiable matmul, softmax, where and dropout, so it is differentiable twice; torch
scales q and k by √s each before the product, and so do we (the same rounding). Timings of this composition
against torch's fused CPU kernel: benchmarks/results/port_census_attn.md.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd import Tensor
from . import elementwise as ew
from . import shape
from .dropout import dropout
from .matmul import matmul
from .repeat_interleave import repeat_interleave
from .softmax import softmax


def _check(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None, is_causal: bool) -> None:
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"scaled_dot_product_attention: query, key and value need (*, L, E), (*, S, E), (*, S, Ev);"
                           f" got {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query (*, L, E) {tuple(query.shape)}, key (*, S, E) "
                           f"{tuple(key.shape)} and value (*, S, Ev) {tuple(value.shape)} do not fit")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if attn_mask is not None and attn_mask.dtype != backend.bool_ and attn_mask.dtype != query.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {attn_mask.dtype} and query.dtype: {query.dtype} instead.")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of ``query`` (*, L, E) over ``key`` (*, S, E) / ``value`` (*, S, Ev) -> (*, L, Ev).

    ``attn_mask`` broadcasts to (*, L, S): bool (True takes part) or float (added to the scores).
    ``enable_gqa``: query (*, Hq, L, E) with key/value (*, Hk, S, E), Hq a multiple of Hk (grouped-query attention).
    """
    _check(query, key, value, attn_mask, is_causal)
    if enable_gqa and query.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
        key, value = repeat_interleave(key, hq // hk, -3), repeat_interleave(value, hq // hv, -3)
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    root = math.sqrt(abs(s))  # a negative scale goes on q's side only, as torch's
    scores = matmul(query * (root if s >= 0 else -root), shape.transpose(key * root, -2, -1))  # (*, L, S)
    L, S = scores.shape[-2], scores.shape[-1]
    xp = backend.array_module(scores._data)
    blocked = dead = None  # bool: True where a query may not see a key; True for a query that sees none
    if is_causal:  # query i sees keys 0..i: key 0 always, so no row is dead
        blocked = xp.arange(S)[None, :] > xp.arange(L)[:, None]
    elif attn_mask is not None and attn_mask.dtype == backend.bool_:
        blocked = ~attn_mask._data
        dead = xp.all(blocked, axis=-1, keepdims=True)
    elif attn_mask is not None:
        scores = scores + attn_mask
        dead = xp.all(xp.isneginf(attn_mask._data), axis=-1, keepdims=True)
    if blocked is not None:
        scores = ew.where(Tensor._wrap(blocked), scores.new_full((), float("-inf")), scores)
    if dead is not None and dead.any():  # rows that see no key: softmax of zeros, then zeroed (no nan anywhere)
        dead_t = Tensor._wrap(dead)
        weights = ew.where(dead_t, 0.0, softmax(ew.where(dead_t, 0.0, scores), -1))
    else:
        weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return matmul(weights, value)

