"""``mt.Tensor(...)`` is torch's legacy constructor: new tensors in the default dtype whatever the data's dtype,
the sized and empty forms, torch's errors, and ``Tensor(t)`` an alias of ``t`` in the graph; ``mt.tensor`` and
``mt.from_numpy`` keep the data's dtype. Every case is run in both libraries and compared."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_close

import minitorch_cnn as mt

CASES = {
    "empty": lambda L: L.Tensor(),
    "sized": lambda L: L.Tensor(2, 3),
    "sized from Size": lambda L: L.Tensor(L.Size([2, 3])),
    "zero size": lambda L: L.Tensor(0),
    "list of ints": lambda L: L.Tensor([1, 2]),
    "nested list": lambda L: L.Tensor([[1, 2], [3, 4.5]]),
    "tuple": lambda L: L.Tensor((1.25, 2)),
    "empty list": lambda L: L.Tensor([]),
    "float64 array": lambda L: L.Tensor(np.array([1.5, 2.0 + 2**-40])),
    "float32 array": lambda L: L.Tensor(np.array([1.5, 2], dtype=np.float32)),
    "int array": lambda L: L.Tensor(np.array([1, 2])),
    "bool array": lambda L: L.Tensor(np.array([True, False])),
    "strided array": lambda L: L.Tensor(np.arange(6.0).reshape(2, 3)[:, ::2]),
    "list of 0-d tensors": lambda L: L.Tensor([L.tensor(1.0), L.tensor(2.0)]),
    "long tensor (alias)": lambda L: L.Tensor(L.tensor([1, 2])),
    "float64 tensor (alias)": lambda L: L.Tensor(L.tensor([1.0, 2.0], dtype=L.float64)),
    "device": lambda L: L.Tensor([1, 2], device="cpu"),
}
ERRORS = {
    "float": (lambda L: L.Tensor(3.5), TypeError),
    "numpy scalar": (lambda L: L.Tensor(np.float64(3)), TypeError),
    "bool": (lambda L: L.Tensor(True), TypeError),
    "str": (lambda L: L.Tensor("a"), TypeError),
    "float size": (lambda L: L.Tensor(2, 3.0), TypeError),
    "negative size": (lambda L: L.Tensor(2, -1), RuntimeError),
    "requires_grad keyword": (lambda L: L.Tensor([1.0], requires_grad=True), TypeError),
    "dtype keyword": (lambda L: L.Tensor(2, dtype=L.float64), TypeError),
}


@pytest.fixture(params=["float32", "float64"])
def default_dtype(request: pytest.FixtureRequest) -> Any:
    """Each case under both default dtypes, set in both libraries."""
    prev = torch.get_default_dtype(), mt.get_default_dtype()
    torch.set_default_dtype(getattr(torch, request.param))
    mt.set_default_dtype(getattr(mt, request.param))
    yield request.param
    torch.set_default_dtype(prev[0])
    mt.set_default_dtype(prev[1])


@pytest.mark.parametrize("case", sorted(CASES))
def test_legacy_constructor_as_torch(case: str, default_dtype: str) -> None:
    theirs, ours = CASES[case](torch), CASES[case](mt)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "mt.") and ours.shape == theirs.shape
    assert str(mt.get_default_dtype()) == f"mt.{default_dtype}"
    if case not in ("sized", "sized from Size", "zero size"):  # torch leaves those uninitialised (zeros here)
        assert_close(ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64), np.float64, tol=0.0)


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_legacy_constructor_refuses_as_torch(case: str) -> None:
    make, kind = ERRORS[case]
    for lib in (torch, mt):
        with pytest.raises(kind):
            make(lib)


def test_tensor_and_from_numpy_keep_the_dtype() -> None:
    a = np.array([1.5, 2.0])
    for lib in (torch, mt):
        assert lib.tensor(a).dtype == lib.float64 and lib.from_numpy(a).dtype == lib.float64
        assert lib.Tensor(a).dtype == lib.float32


def test_tensor_of_a_tensor_is_an_alias_in_the_graph() -> None:
    """Same storage and version counter; gradients reach the original (torch's AliasBackward0)."""
    x0, g0 = np.array([1.0, -2.0, 3.0]), np.array([0.5, 0.25, -1.0])
    grads = []
    for lib in (torch, mt):
        x = lib.tensor(x0, requires_grad=True)
        h = x * 2
        y = lib.Tensor(h)
        assert y.grad_fn.name() == "AliasBackward0" and y.requires_grad
        (y * y).backward(lib.tensor(g0))
        grads.append(x.grad.numpy())
        plain = lib.ones(2)
        alias = lib.Tensor(plain)
        alias.add_(1)
        assert plain.tolist() == [2.0, 2.0] and plain._version == alias._version == 1
    assert_close(grads[1], grads[0], np.float64)


def test_copy_of_a_number_keeps_its_precision() -> None:
    """copy_ takes a number as a float64 value, not through the legacy constructor's float32."""
    x = mt.zeros(2, dtype=mt.float64).copy_(0.1)
    assert x.tolist() == [0.1, 0.1]
