"""Factories and dtype rules, held against torch: which dtype each constructor gives, type promotion of
tensor ⊕ tensor and tensor ⊕ Python scalar, ``set_default_dtype``, and clear errors for unsupported dtypes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from _parity import assert_f32_close, rel_err

import minitorch_cnn as mt

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _torch_dtype(name: str) -> torch.dtype:
    return getattr(torch, name)


def _np_of(t: torch.Tensor) -> np.dtype:
    return np.dtype(str(t.dtype).removeprefix("torch."))


# max|a-b| / max|b| allowed per float dtype: linspace/arange may round the last bit differently from torch's
# vectorised (FMA) kernels, e.g. linspace(-1, 1, 7)[3] is 0 here and 5.6e-17 in torch
_FLOAT_TOL = {np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-14}


def _same(ours: mt.Tensor, theirs: torch.Tensor, truth: torch.Tensor | None = None) -> None:
    """Same dtype, shape and values. ``truth``: the float64 result of the same computation, which a float32 or
    float16 result is judged against (torch's own error allowed for) instead of torch's."""
    assert ours.dtype == _np_of(theirs), f"dtype {ours.dtype}, torch {theirs.dtype}"
    a, b = ours.numpy(), theirs.numpy()
    assert a.shape == b.shape
    if b.dtype.kind == "f" and b.dtype != np.float64 and truth is not None:
        assert_f32_close(a, truth, torch32=b, rtol=_FLOAT_TOL[b.dtype], what=f"{a} vs torch {b}")
    elif b.dtype.kind == "f":
        finite = np.isfinite(b)
        np.testing.assert_array_equal(np.where(finite, 0, a), np.where(finite, 0, b))  # same inf/NaN (0/0, 1/0)
        err = rel_err(np.where(finite, a, 0), np.where(finite, b, 0))
        assert err <= _FLOAT_TOL[b.dtype], f"relative error {err:.3g}: {a} vs torch {b}"
    else:
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def default_float64() -> Iterator[None]:
    mt.set_default_dtype(mt.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        mt.set_default_dtype(mt.float32)
        torch.set_default_dtype(torch.float32)


# ---- mt.tensor: the dtype of what comes in ---------------------------------------------------------------------------
TENSOR_DATA = {
    "float_list": [1.5, -2.0], "int_list": [[1, 2], [3, 4]], "bool_list": [True, False], "mixed_list": [1, 2.5],
    "float_scalar": 1.5, "int_scalar": 3, "bool_scalar": True, "empty_list": [],
    "np_float64": np.array([1.5, 2.5]), "np_float32": np.array([1.5], np.float32), "np_int32": np.array([1], np.int32),
    "np_int64": np.arange(3), "np_uint8": np.array([7], np.uint8), "np_bool": np.array([True]),
    "np_float64_scalar": np.float64(2.5), "np_float16": np.array([1.0], np.float16),
}


@pytest.mark.parametrize("name", list(TENSOR_DATA))
def test_tensor_dtype_follows_torch(name: str) -> None:
    data = TENSOR_DATA[name]
    _same(mt.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("name", ["float_list", "int_list", "mixed_list", "float_scalar", "np_float32", "np_int64"])
def test_tensor_dtype_under_default_float64(name: str, default_float64: None) -> None:
    data = TENSOR_DATA[name]
    _same(mt.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "uint8", "bool"])
def test_tensor_with_an_explicit_dtype(dtype: str) -> None:
    _same(mt.tensor([0, 1.0, 2], dtype=getattr(mt, dtype.replace("bool", "bool_"))),
          torch.tensor([0, 1.0, 2], dtype=_torch_dtype(dtype)))


def test_tensor_copies_but_from_numpy_and_as_tensor_share() -> None:
    arr = np.zeros(3)
    t, f, a = mt.tensor(arr), mt.from_numpy(arr), mt.as_tensor(arr)
    arr[0] = 5.0
    assert t.tolist()[0] == 0.0 and f.tolist()[0] == 5.0 and a.tolist()[0] == 5.0


def test_set_default_dtype_only_takes_floats() -> None:
    with pytest.raises(TypeError, match="only supports float32 and float64, got int64"):
        mt.set_default_dtype(mt.int64)
    assert mt.get_default_dtype() == mt.float32


# ---- factories -------------------------------------------------------------------------------------------------------
FACTORIES = {
    "zeros": lambda L: L.zeros(2, 3), "zeros_tuple": lambda L: L.zeros((2, 3)), "zeros_list": lambda L: L.zeros([4]),
    "zeros_0d": lambda L: L.zeros(()), "zeros_int": lambda L: L.zeros(2, dtype=L.int64),
    "ones": lambda L: L.ones(3, 1), "ones_f64": lambda L: L.ones(2, dtype=L.float64),
    "full_float": lambda L: L.full((2, 2), 1.5), "full_int": lambda L: L.full((3,), 7),
    "full_bool": lambda L: L.full((2,), True), "full_dtype": lambda L: L.full((2,), 3, dtype=L.float64),
    "arange_int": lambda L: L.arange(5), "arange_start_step": lambda L: L.arange(1, 10, 3),
    "arange_float_step": lambda L: L.arange(0, 1, 0.1), "arange_float_end": lambda L: L.arange(0, 5.0, 2),
    "arange_negative": lambda L: L.arange(10, 0, -3), "arange_dtype": lambda L: L.arange(4, dtype=L.float64),
    "arange_empty": lambda L: L.arange(3, 3),
    "linspace": lambda L: L.linspace(0, 1, 5), "linspace_f64": lambda L: L.linspace(-1, 1, 7, dtype=L.float64),
    "linspace_one": lambda L: L.linspace(2, 3, 1), "eye": lambda L: L.eye(3), "eye_rect": lambda L: L.eye(2, 4),
    "eye_int": lambda L: L.eye(2, dtype=L.int64),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_factory_matches_torch(name: str) -> None:
    torch.set_default_dtype(torch.float64)  # the float64 truth of a float32 factory
    try:
        truth = FACTORIES[name](torch)
    finally:
        torch.set_default_dtype(torch.float32)
    _same(FACTORIES[name](mt), FACTORIES[name](torch), truth)


@pytest.mark.parametrize("name", ["zeros", "ones", "full_float", "arange_float_step", "linspace", "eye"])
def test_factory_under_default_float64(name: str, default_float64: None) -> None:
    _same(FACTORIES[name](mt), FACTORIES[name](torch))


def test_empty_has_the_shape_and_dtype() -> None:
    e = mt.empty(2, 3, dtype=mt.float64)
    assert e.shape == (2, 3) and e.dtype == np.float64


@pytest.mark.parametrize("fn", ["randn", "rand"])
def test_random_factories_are_seeded_and_shaped(fn: str) -> None:
    mt.manual_seed(3)
    a = getattr(mt, fn)(4, 5)
    mt.manual_seed(3)
    b = getattr(mt, fn)((4, 5))
    assert a.dtype == np.float32 and a.shape == (4, 5) and np.array_equal(a.numpy(), b.numpy())
    c = getattr(mt, fn)(2, dtype=mt.float64, requires_grad=True)
    assert c.dtype == np.float64 and c.requires_grad and c.is_leaf
    if fn == "rand":
        big = mt.rand(10_000).numpy()
        assert big.min() >= 0.0 and big.max() < 1.0


def test_rng_state_round_trips() -> None:
    state = mt.get_rng_state()
    a = mt.randn(3)
    mt.set_rng_state(state)
    assert np.array_equal(mt.randn(3).numpy(), a.numpy())


@pytest.mark.parametrize("args", [(10, (3,)), (2, 5, (100,)), (-3, 3, (2, 2))])
def test_randint_overloads(args: tuple) -> None:
    ours = mt.randint(*args)
    theirs = torch.randint(*args)
    assert ours.dtype == _np_of(theirs) and ours.shape == tuple(theirs.shape)
    low, high = (0, args[0]) if len(args) == 2 else args[:2]
    assert ours.numpy().min() >= low and ours.numpy().max() < high


def test_randint_with_dtype_and_bad_range() -> None:
    assert mt.randint(0, 3, (2,), dtype=mt.int32).dtype == np.int32
    with pytest.raises(RuntimeError, match="low < high"):
        mt.randint(5, 5, (2,))


LIKE = {
    "zeros_like": lambda L, x: L.zeros_like(x), "ones_like": lambda L, x: L.ones_like(x),
    "full_like": lambda L, x: L.full_like(x, 2.5), "ones_like_dtype": lambda L, x: L.ones_like(x, dtype=L.float64),
    "empty_like": lambda L, x: L.zeros_like(L.empty_like(x)),
}


@pytest.mark.parametrize("src", [np.array([[1.0, 2.0]], np.float32), np.array([1, 2, 3]), np.array(True)],
                         ids=["float32", "int64", "bool0d"])
@pytest.mark.parametrize("name", list(LIKE))
def test_like_factories_keep_the_source_dtype(name: str, src: np.ndarray) -> None:
    _same(LIKE[name](mt, mt.tensor(src)), LIKE[name](torch, torch.tensor(src)))


def test_random_like_factories() -> None:
    x = mt.zeros(2, 3, dtype=mt.float64)
    for fn in (mt.randn_like, mt.rand_like):
        r = fn(x)
        assert r.shape == (2, 3) and r.dtype == np.float64
        assert fn(x, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating dtype"):
        mt.randn_like(mt.tensor([1, 2]))


# ---- type promotion -----------------------------------------------------------------------------------------------
def _sample(name: str, shape: tuple) -> np.ndarray:
    rng = np.random.default_rng(0)
    if name == "bool":
        return rng.random(shape) < 0.5
    return rng.integers(1, 5, shape).astype(name)


@pytest.mark.filterwarnings("ignore:.*encountered in divide:RuntimeWarning")  # bool / bool divides by False
@pytest.mark.parametrize("dims", [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())], ids=["nd-nd", "nd-0d", "0d-nd",
                                                                                          "0d-0d"])
@pytest.mark.parametrize("da,db", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_tensor_tensor_promotion_matches_torch(da: str, db: str, dims: tuple) -> None:
    a, b = _sample(da, dims[0]), _sample(db, dims[1])
    ours_a, ours_b, ta, tb = mt.tensor(a), mt.tensor(b), torch.tensor(a), torch.tensor(b)
    ops = [lambda x, y: x * y, lambda x, y: x / y, lambda x, y: mt.maximum(x, y) if isinstance(x, mt.Tensor)
           else torch.maximum(x, y), lambda x, y: x == y]
    if "bool" not in (da, db):
        ops += [lambda x, y: x + y, lambda x, y: y - x]
    for op in ops:
        _same(op(ours_a, ours_b), op(ta, tb), op(ta.double(), tb.double()))


@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=["int", "float", "bool"])
@pytest.mark.parametrize("dt", DTYPES)
def test_tensor_scalar_promotion_matches_torch(dt: str, scalar: Any) -> None:
    x = _sample(dt, (3,))
    ours, theirs = mt.tensor(x), torch.tensor(x)
    ops = [lambda t: t * scalar, lambda t: scalar * t, lambda t: t / scalar, lambda t: t > scalar]
    if dt != "bool" or isinstance(scalar, float):
        ops += [lambda t: t + scalar, lambda t: scalar + t]
    if dt != "bool" and not isinstance(scalar, bool):
        ops += [lambda t: t - scalar, lambda t: scalar - t]
    for op in ops:
        _same(op(ours), op(theirs), op(theirs.double()))


def test_division_of_integers_gives_the_default_float(default_float64: None) -> None:
    _same(mt.tensor([1, 2]) / mt.tensor([4, 8]), torch.tensor([1, 2]) / torch.tensor([4, 8]))
    _same(mt.tensor([3]) / 2, torch.tensor([3]) / 2)
    _same(mt.tensor([3]) * 0.5, torch.tensor([3]) * 0.5)


def test_gradient_flows_through_promotion() -> None:
    a = mt.tensor([1.0, 2.0], requires_grad=True)  # float32
    b = mt.tensor([3.0, 4.0], dtype=mt.float64, requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.backward(mt.ones(2, dtype=mt.float64))
    assert a.grad.dtype == np.float32 and a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]


# ---- unsupported dtypes: the error says which ---------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: mt.tensor(np.array(["a", "b"])), lambda: mt.tensor(np.array([1 + 2j])),
                                  lambda: mt.zeros(2, dtype="complex64"), lambda: mt.ones(2).to("complex128"),
                                  lambda: mt.tensor([1.0], dtype=object), lambda: mt.arange(3, dtype="datetime64[s]")],
                         ids=["str", "complex_array", "complex_zeros", "complex_to", "object", "datetime"])
def test_unsupported_dtype_is_named(make: Any) -> None:
    with pytest.raises(TypeError, match="unsupported dtype (<U1|complex128|complex64|object|datetime64)"):
        make()


def test_operand_of_an_unsupported_type_is_named() -> None:
    with pytest.raises(TypeError, match="got str"):
        mt.ones(2) + "a"
    with pytest.raises(TypeError, match="got dict"):
        mt.maximum(mt.ones(2), {})
