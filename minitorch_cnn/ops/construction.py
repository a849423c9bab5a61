"""Construction and type questions: range, logspace, frombuffer, numel, is_floating_point, is_complex, is_nonzero,
result_type, promote_types, can_cast.

    range(start, end, step)        = start + i * step for i = 0 .. floor((end - start) / step), end included
    logspace(start, end, steps, b) = b ** p_i, p_i evenly spaced from start to end (torch's two-sided stepping:
                                     the first half counts up from start, the second down from end)
Type promotion as torch: categories bool < integer < floating; among operands, dimensioned tensors outrank 0-d
tensors, which outrank Python numbers, and a lower-ranked operand counts only if its category is higher (then
a Python float gives the default dtype, a Python int int64).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from .factories import _finish, _float


def range(start: float, end: float, step: float = 1, *, dtype: Any = None, device: Any = None,  # noqa: A001
          requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to and including ``end`` (deprecated in torch for ``arange``)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = math.floor((end - start) / step) + 1
    return _finish((start + np.arange(n, dtype=np.float64) * step).astype(_float(dtype)), device, requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` powers ``base ** p`` with exponents evenly spaced from ``start`` to ``end``."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    i = np.arange(steps, dtype=np.float64)
    if steps == 1:
        exps = np.full(1, float(start))
    else:
        step = (end - start) / (steps - 1)
        exps = np.where(i < steps // 2, start + step * i, end - step * (steps - i - 1))
    return _finish(np.power(float(base), exps).astype(_float(dtype)), device, requires_grad)


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-d tensor sharing memory with a Python buffer (bytes, bytearray, array.array, memoryview)."""
    dt = backend.to_dtype(dtype)
    size = memoryview(buffer).nbytes
    if size <= 0 or not 0 <= offset < size:
        raise ValueError(f"both buffer length ({size}) and offset ({offset}) must be greater than 0 and smaller "
                         "than the buffer length")
    if count == -1 and (size - offset) % dt.itemsize:
        raise ValueError(f"buffer length ({size - offset} after offset) must be a multiple of element size "
                         f"({dt.itemsize})")
    if count > 0 and offset + count * dt.itemsize > size:
        raise ValueError(f"requested buffer length ({count} * {dt.itemsize} bytes) after offset ({offset} bytes) "
                         f"must not be greater than actual buffer length ({size} bytes)")
    if memoryview(buffer).readonly:
        warnings.warn("The given buffer is not writable, and PyTorch does not support non-writable tensors.",
                      UserWarning, stacklevel=2)
    return _finish(np.frombuffer(buffer, dtype=dt, count=count, offset=offset), None, requires_grad)


def numel(input: Tensor) -> int:  # noqa: A002 - torch's name
    """The number of elements."""
    return input.numel()


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    """True for float16/32/64 tensors."""
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:  # noqa: A002
    """True for complex tensors: never here (no complex dtypes)."""
    return input._data.dtype.kind == "c"


def is_nonzero(input: Tensor) -> bool:  # noqa: A002
    """Whether a one-element tensor is nonzero."""
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()))


def _rank(dt: np.dtype) -> int:
    return 0 if dt.kind == "b" else 1 if dt.kind in "iu" else 2


def _operand(x: Any) -> tuple[int, np.dtype]:
    """(priority, dtype): a dimensioned tensor 2, a 0-d tensor 1, a Python number 0 (with its own kind)."""
    if isinstance(x, Tensor):
        return (2 if x.ndim else 1), x._data.dtype
    if isinstance(x, bool):
        return 0, np.dtype(np.bool_)
    if isinstance(x, int):
        return 0, np.dtype(np.int64)
    if isinstance(x, float):
        return 0, np.dtype(backend.get_default_dtype())
    raise TypeError(f"result_type(): expected a Tensor or a Number, got {type(x).__name__}")


def result_type(tensor1: Any, tensor2: Any) -> Any:
    """The dtype torch's arithmetic gives for these two operands (tensors or numbers)."""
    (p1, d1), (p2, d2) = _operand(tensor1), _operand(tensor2)
    if p1 == p2:
        out = backend.promote_types(d1, d2)
    else:
        high, low = (d1, d2) if p1 > p2 else (d2, d1)
        out = high if _rank(low) <= _rank(high) else low
    return backend.public_dtype(out)


def promote_types(type1: Any, type2: Any) -> Any:
    """The smallest dtype both convert to without losing their category (bool < integer < floating)."""
    return backend.public_dtype(backend.promote_types(backend.to_dtype(type1), backend.to_dtype(type2)))


def can_cast(from_: Any, to: Any) -> bool:
    """Whether torch's type promotion allows casting ``from_`` to ``to``: never to a lower category."""
    return _rank(backend.to_dtype(from_)) <= _rank(backend.to_dtype(to))
