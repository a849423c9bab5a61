"""``mt.backends.cuda.matmul`` flags and ``mt.cuda.empty_cache`` against torch's (on this CPU machine)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

import minitorch_cnn as mt

FLAGS = ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction")


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    saved = [(lib, lib.get_float32_matmul_precision(), {f: getattr(lib.backends.cuda.matmul, f) for f in FLAGS},
              {f: getattr(lib.backends.cuda.matmul, f + "_split_k") for f in FLAGS}) for lib in (torch, mt)]
    yield
    for lib, precision, flags, splitk in saved:
        lib.set_float32_matmul_precision(precision)
        for f in FLAGS:
            setattr(lib.backends.cuda.matmul, f, (flags[f], splitk[f]))


def test_allow_tf32_is_the_float32_matmul_precision() -> None:
    for lib in (torch, mt):
        lib.set_float32_matmul_precision("highest")
    assert mt.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32 is False
    for value in (True, False, True):
        torch.backends.cuda.matmul.allow_tf32 = value
        mt.backends.cuda.matmul.allow_tf32 = value
        assert mt.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
        assert mt.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32 is value
    for precision in ("medium", "high", "highest"):
        torch.set_float32_matmul_precision(precision)
        mt.set_float32_matmul_precision(precision)
        assert mt.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32


@pytest.mark.parametrize("value", [False, True, (False,), [False, False], (True,)])
def test_reduced_precision_reduction_flags_match_torch(value: object) -> None:
    for name in FLAGS:
        setattr(torch.backends.cuda.matmul, name, value)
        setattr(mt.backends.cuda.matmul, name, value)
        for attr in (name, name + "_split_k"):
            assert getattr(mt.backends.cuda.matmul, attr) is getattr(torch.backends.cuda.matmul, attr)


@pytest.mark.parametrize(("name", "value", "exc"), [
    ("allow_tf32", 1, RuntimeError), ("allow_fp16_reduced_precision_reduction", 1, TypeError),
    ("allow_bf16_reduced_precision_reduction", (), TypeError),
    ("allow_bf16_reduced_precision_reduction", (True, True, True), TypeError),
    ("allow_fp16_reduced_precision_reduction", (True, 0), TypeError), ("no_such_flag", True, AttributeError),
    ("allow_bf16_reduced_precision_reduction", (True, False), RuntimeError)])
def test_bad_settings_raise_as_torch(name: str, value: object, exc: type) -> None:
    with pytest.raises(exc) as theirs:
        setattr(torch.backends.cuda.matmul, name, value)
    with pytest.raises(exc, match=".") as ours:
        setattr(mt.backends.cuda.matmul, name, value)
    assert str(ours.value) == str(theirs.value)


def test_unknown_attribute_read_raises_as_torch() -> None:
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        _ = torch.backends.cuda.matmul.foo
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        _ = mt.backends.cuda.matmul.foo


def test_module_imports_as_scripts_write_it() -> None:
    import minitorch_cnn.backends.cuda as cuda_backend

    assert cuda_backend.matmul is mt.backends.cuda.matmul


def test_empty_cache_is_a_no_op_without_a_gpu() -> None:
    assert torch.cuda.empty_cache() is None
    x = mt.ones(3)
    assert mt.cuda.empty_cache() is None
    assert x.tolist() == [1.0, 1.0, 1.0]
