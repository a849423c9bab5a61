"""``zeros``/``ones``/``empty``/``rand``/``randn`` take their shape as ``size=`` too (d2l writes
``torch.rand(size=(2, 4))``), as torch's: the same shape and dtype as the positional forms, and torch's TypeError when
both are given."""

from __future__ import annotations

import pytest
import torch

import minitorch_cnn as mt

NAMES = ["zeros", "ones", "empty", "rand", "randn"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [(2, 4), [3], (), (0, 2)])
def test_size_keyword(name: str, size: tuple) -> None:
    theirs = getattr(torch, name)(size=size)
    ours = getattr(mt, name)(size=size)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "mt.")
    assert tuple(getattr(mt, name)(size=mt.Size(size)).shape) == tuple(theirs.shape)


@pytest.mark.parametrize("name", NAMES)
def test_size_keyword_with_dtype_and_grad(name: str) -> None:
    theirs = getattr(torch, name)(size=(2,), dtype=torch.float64, requires_grad=True)
    ours = getattr(mt, name)(size=(2,), dtype=mt.float64, requires_grad=True)
    assert ours.dtype == mt.float64 and ours.requires_grad is theirs.requires_grad is True
    if name in ("zeros", "ones"):
        assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_size_twice_refused(name: str) -> None:
    for lib in (torch, mt):
        with pytest.raises(TypeError, match="got multiple values for argument 'size'"):
            getattr(lib, name)(2, size=(2, 3))


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_size_twice_refused_random(name: str) -> None:
    for lib in (torch, mt):
        with pytest.raises(TypeError, match=f"{name}\\(\\)"):
            getattr(lib, name)(2, size=(2, 3))
