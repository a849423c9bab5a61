"""``nn.TransformerEncoderLayer``/``TransformerEncoder``/``TransformerDecoderLayer``/``TransformerDecoder``/
``Transformer`` against torch with torch's weights: outputs and every gradient, float64 to 1e-10, float32 against
the float64 truth, for the options users set (small: seq 5, batch 2, d_model 8, 2 heads, feed-forward 16)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import minitorch_cnn as mt
from tests._attn_parity import parity

R = np.random.default_rng(0)
L, T, N, E, H, FF = 5, 4, 2, 8, 2, 16
SRC = R.standard_normal((L, N, E))
TGT = R.standard_normal((T, N, E))
KPM = np.zeros((N, L), bool)
KPM[1, 3:] = True  # left-aligned padding of the second sequence


def _quiet(make: Any) -> Any:
    """torch warns about enable_nested_tensor for layouts its fast path does not take; so do we."""
    def build(lib: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make(lib)
    return build


ENCODER_LAYER = {
    "post_norm_relu": {},
    "norm_first_gelu": {"norm_first": True, "activation": "gelu"},
    "batch_first": {"batch_first": True},
    "no_bias_eps": {"bias": False, "layer_norm_eps": 1e-3},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(ENCODER_LAYER))
def test_encoder_layer_matches_torch(case: str, dtype: Any) -> None:
    kw = ENCODER_LAYER[case]

    def fn(lib: Any, mod: Any, src: Any, src_key_padding_mask: Any) -> Any:
        if kw.get("batch_first"):
            return mod(src.transpose(0, 1), src_key_padding_mask=src_key_padding_mask)
        return mod(src, src_key_padding_mask=src_key_padding_mask)

    parity(lambda lib: lib.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, **kw), fn,
           {"src": SRC, "src_key_padding_mask": KPM}, dtype)


def test_encoder_layer_callable_activation() -> None:
    parity(lambda lib: lib.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation=lib.nn.functional.silu),
           lambda lib, mod, src: mod(src), {"src": SRC}, np.float64)


def test_encoder_layer_module_activation_prints_and_counts_as_torchs() -> None:
    """An activation module is a submodule (printed, in the repr) and ReLU/GELU modules or functions take torch's
    fast-path flag, so the encoder's nested-tensor decision (and warning) is torch's."""
    parity(lambda lib: lib.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation=lib.nn.GELU()),
           lambda lib, mod, src: mod(src), {"src": SRC}, np.float64)
    for act in ("relu", "gelu", "ReLU", "GELU", "silu"):
        flags = []
        for lib in (torch, mt):
            a = act if act in ("relu", "gelu") else getattr(lib.nn, act)() if act != "silu" else lib.nn.functional.silu
            layer = lib.nn.TransformerEncoderLayer(E, H, FF, activation=a, batch_first=True)
            flags.append((layer.activation_relu_or_gelu, repr(layer)))
        assert flags[0] == flags[1], act


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("causal", ["mask", "hint"])
def test_encoder_with_final_norm_and_causal_mask_matches_torch(causal: str, dtype: Any) -> None:
    def make(lib: Any) -> Any:
        layer = lib.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(E))

    def fn(lib: Any, mod: Any, src: Any) -> Any:
        mask = lib.nn.Transformer.generate_square_subsequent_mask(L, dtype=src.dtype)
        return mod(src, mask=mask, is_causal=True if causal == "hint" else None)

    parity(_quiet(make), fn, {"src": SRC}, dtype)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype stage")
def test_encoder_in_eval_with_padding_zeroes_padded_positions_as_torchs_nested_path() -> None:
    """batch_first, post-norm, eval, no grad, a padding mask: torch runs nested tensors, padded rows come out 0."""
    def make(lib: Any) -> Any:
        return lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(E, H, FF, batch_first=True), 2)

    torch.manual_seed(0)
    theirs = make(torch).double().eval()
    ours = make(mt).double().eval()
    ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    src = SRC.transpose(1, 0, 2)
    with torch.no_grad():
        t = theirs(torch.tensor(src), src_key_padding_mask=torch.tensor(KPM)).numpy()
    with mt.no_grad():
        o = ours(mt.tensor(src), src_key_padding_mask=mt.tensor(KPM)).numpy()
    assert (t[1, 3:] == 0).all()
    np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)
    # torch.backends.mha.set_fastpath_enabled(False): no nested tensors, padded positions keep their values
    for lib in (torch, mt):
        lib.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad():
            t = theirs(torch.tensor(src), src_key_padding_mask=torch.tensor(KPM)).numpy()
        with mt.no_grad():
            o = ours(mt.tensor(src), src_key_padding_mask=mt.tensor(KPM)).numpy()
    finally:
        for lib in (torch, mt):
            lib.backends.mha.set_fastpath_enabled(True)
    assert (t[1, 3:] != 0).all()
    np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12)


DECODER_LAYER = {
    "post_norm": {},
    "norm_first_batch_first": {"norm_first": True, "batch_first": True},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(DECODER_LAYER))
def test_decoder_matches_torch(case: str, dtype: Any) -> None:
    kw = DECODER_LAYER[case]

    def make(lib: Any) -> Any:
        return lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, **kw), 2,
                                         norm=lib.nn.LayerNorm(E))

    def fn(lib: Any, mod: Any, tgt: Any, memory: Any, memory_key_padding_mask: Any) -> Any:
        mask = lib.nn.Transformer.generate_square_subsequent_mask(T, dtype=tgt.dtype)
        if kw.get("batch_first"):
            tgt, memory = tgt.transpose(0, 1), memory.transpose(0, 1)
        return mod(tgt, memory, tgt_mask=mask, memory_key_padding_mask=memory_key_padding_mask)

    parity(make, fn, {"tgt": TGT, "memory": SRC, "memory_key_padding_mask": KPM}, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transformer_matches_torch(dtype: Any) -> None:
    def make(lib: Any) -> Any:
        return lib.nn.Transformer(E, H, 1, 1, FF, dropout=0.0)

    def fn(lib: Any, mod: Any, src: Any, tgt: Any, src_key_padding_mask: Any) -> Any:
        mask = mod.generate_square_subsequent_mask(T, dtype=tgt.dtype)
        return mod(src, tgt, tgt_mask=mask, src_key_padding_mask=src_key_padding_mask,
                   memory_key_padding_mask=src_key_padding_mask)

    parity(_quiet(make), fn, {"src": SRC, "tgt": TGT, "src_key_padding_mask": KPM}, dtype)


def test_transformer_keys_init_and_mask_are_torchs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = mt.nn.Transformer(E, H, 2, 1, FF), torch.nn.Transformer(E, H, 2, 1, FF)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    w = ours.encoder.layers[1].linear1.weight.detach().numpy()  # xavier_uniform_ re-initialises every matrix
    assert np.abs(w).max() <= np.sqrt(6 / (E + FF))
    np.testing.assert_array_equal(mt.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())


def test_nested_tensor_warning_and_bad_input_as_torch() -> None:
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         "encoder_layer.norm_first was True"):
        mt.nn.TransformerEncoder(mt.nn.TransformerEncoderLayer(E, H, norm_first=True, batch_first=True), 1)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        mt.nn.TransformerEncoderLayer(E, H, activation="tanh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mt.nn.Transformer(E, H, 1, 1, FF)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(mt.randn(L, 2, E), mt.randn(T, 3, E))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        model(mt.randn(L, 2, E), mt.randn(T, 2, 4))


def test_eval_no_grad_fast_paths_give_the_same_numbers() -> None:
    """torch's fused inference kernels (MultiheadAttention's and the encoder layer's, batch_first, eval, no grad)
    against our one composed path."""
    torch.manual_seed(0)
    x = SRC.transpose(1, 0, 2)
    runs = {
        "attention": (lambda lib: lib.nn.MultiheadAttention(E, H, batch_first=True),
                      lambda lib, m, x: m(x, x, x, key_padding_mask=lib.tensor(KPM))),
        "encoder_layer": (lambda lib: lib.nn.TransformerEncoderLayer(E, H, FF, batch_first=True),
                          lambda lib, m, x: (m(x, src_key_padding_mask=lib.tensor(KPM)), None)),
    }
    for make, call in runs.values():
        theirs = make(torch).double().eval()
        ours = make(mt).double().eval()
        ours.load_state_dict({k: mt.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        with torch.no_grad():
            t = call(torch, theirs, torch.tensor(x))
        with mt.no_grad():
            o = call(mt, ours, mt.tensor(x))
        for a, b in zip(o, t):
            if b is not None:
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
