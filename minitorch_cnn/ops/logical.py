"""Logical ops on masks: ``logical_not/and/or/xor`` and the operators ``~ & | ^`` (no gradient: the results are
bool, or the integers' bitwise values, as torch)."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd import Tensor


def _data(x: Any, like: Tensor) -> Any:
    if isinstance(x, Tensor):
        return x._data
    return backend.array_module(like._data).asarray(x)


def _wrap(arr: Any) -> Tensor:
    return Tensor._wrap(arr)


def logical_not(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """True where ``input`` is zero (False), as bool."""
    return _wrap(backend.array_module(input._data).logical_not(input._data))


def logical_and(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _wrap(backend.array_module(input._data).logical_and(input._data, _data(other, input)))


def logical_or(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _wrap(backend.array_module(input._data).logical_or(input._data, _data(other, input)))


def logical_xor(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _wrap(backend.array_module(input._data).logical_xor(input._data, _data(other, input)))


def _bitwise(name: str, op: str) -> Any:
    """``a <op> b`` on bool or integer tensors (torch refuses floating ones with this message)."""

    def fn(a: Tensor, b: Any) -> Tensor:
        other = _data(b, a)
        for arr in (a._data, other):
            if arr.dtype.kind == "f":
                raise RuntimeError(f"\"{name}_cpu\" not implemented for '{Tensor._wrap(arr).dtype}'")
        return _wrap(getattr(backend.array_module(a._data), name)(a._data, other))

    fn.__name__ = op
    return fn


bitwise_and = _bitwise("bitwise_and", "__and__")
bitwise_or = _bitwise("bitwise_or", "__or__")
bitwise_xor = _bitwise("bitwise_xor", "__xor__")


def bitwise_not(input: Tensor) -> Tensor:  # noqa: A002
    """``~x``: logical not for bool, two's complement for integers; torch refuses floating tensors."""
    if input._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return _wrap(backend.array_module(input._data).invert(input._data))  # on bool: logical not


METHODS: dict[str, Any] = {
    "logical_not": logical_not, "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "bitwise_not": bitwise_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "__invert__": bitwise_not, "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor,
}
