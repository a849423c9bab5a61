"""Bit-level ops on numbers: ``bitwise_left_shift`` / ``bitwise_right_shift`` (and ``<<`` / ``>>`` in place forms)
and ``frexp``. Integers only for the shifts, wrapping as C's fixed-width types do; a shift by the type's width or
more gives 0 (left) or the sign fill (right: 0 or -1), as torch's. No gradients (integer results; frexp's exponent
is an integer and its mantissa is, as torch's, not differentiable).

    frexp(x) = (m, e) with x = m · 2^e, 0.5 ≤ |m| < 1 (m = x and e = 0 for 0, ±inf and NaN), e int32
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from . import inplace
from .pointwise_base import torch_type_name

Frexp = namedtuple("frexp", ["mantissa", "exponent"])


def _operands(x: Tensor, other: Any, name: str) -> tuple[Any, Any]:
    xp = backend.array_module(x._data)
    b = other._data if isinstance(other, Tensor) else xp.asarray(other)
    dtype = np.result_type(x._data, b) if isinstance(other, Tensor) else x._data.dtype
    if dtype.kind not in "iu" or (isinstance(other, Tensor) and b.dtype.kind not in "iu"):
        bad = dtype if dtype.kind not in "iu" else b.dtype
        raise RuntimeError(f'"{name}_cpu" not implemented for \'{torch_type_name(bad)}\'')
    return x._data.astype(dtype, copy=False), b.astype(dtype, copy=False)


def bitwise_left_shift(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """input << other elementwise (broadcast), wrapping; shifts of the bit width or more give 0."""
    a, b = _operands(input, other, "lshift")
    xp = backend.array_module(a)
    bits = a.dtype.itemsize * 8
    big = (b >= bits) | (b < 0)
    return Tensor._wrap(xp.where(big, a.dtype.type(0), xp.left_shift(a, xp.where(big, 0, b).astype(a.dtype))))


def bitwise_right_shift(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - torch's name
    """input >> other elementwise (arithmetic for signed types); shifts of the bit width or more fill the sign."""
    a, b = _operands(input, other, "rshift")
    xp = backend.array_module(a)
    bits = a.dtype.itemsize * 8
    big = (b >= bits) | (b < 0)
    fill = xp.where(a < 0, a.dtype.type(-1) if a.dtype.kind == "i" else 0, a.dtype.type(0)).astype(a.dtype)
    return Tensor._wrap(xp.where(big, fill, xp.right_shift(a, xp.where(big, 0, b).astype(a.dtype))))


def frexp(input: Tensor) -> Frexp:  # noqa: A002 - torch's name
    """(mantissa, exponent int32) with input = mantissa · 2^exponent."""
    if input.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = backend.array_module(input._data).frexp(input._data)
    return Frexp(Tensor._wrap(m), Tensor._wrap(e.astype(np.int32)))


METHODS: dict = {
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift, "frexp": frexp,
    "bitwise_left_shift_": inplace.inplace(bitwise_left_shift, "bitwise_left_shift_"),
    "bitwise_right_shift_": inplace.inplace(bitwise_right_shift, "bitwise_right_shift_"),
}
