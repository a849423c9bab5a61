"""``mt.backends.mha``: torch's switch for the fused inference path of ``MultiheadAttention`` and the transformer
encoder (eval mode, no grad). Here every call takes the one composed path, whose numbers are those of torch's fused
path too (tests/test_transformer.py compares them), so the flag is kept for scripts that set or read it; the one
place torch's fused path changes results (nested tensors zero padded positions of ``TransformerEncoder``) follows
it: with the fast path off, padded positions keep their values, as torch's."""

_enabled = [True]


def get_fastpath_enabled() -> bool:
    return _enabled[0]


def set_fastpath_enabled(value: bool) -> None:
    _enabled[0] = bool(value)
