"""Tensor methods real scripts call that were missing, each one of torch's meanings on a real, dense, strided tensor:

- in-place forms of existing ops (``x.acos_()``, ``x.eq_(y)``, ``x.logical_and_(y)`` ...): the op's result written
  into x in x's dtype, as torch's (comparisons give 1/0 in a float x);
- method forms of existing functions: ``hardshrink``, ``prelu``, ``where(condition, other)`` (torch.where(condition,
  x, other)), ``orgqr`` (householder_product), ``unsafe_chunk`` / ``unsafe_split`` / ``unsafe_split_with_sizes``
  (chunk / split / split_with_sizes), ``narrow_copy`` (a copy of narrow), ``new_empty_strided`` (new_empty; the
  strides are the array's own);
- the complex and layout queries answered for a real strided tensor: ``angle`` (π below zero, else 0; zero
  gradient), ``conj`` / ``resolve_conj`` / ``resolve_neg``
  / ``to_dense`` / ``real`` return x itself, ``conj_physical`` a copy, ``adjoint`` and ``mH`` the transpose of the
  last two dimensions, ``is_conj`` / ``is_neg`` False, ``is_sparse`` / ``is_sparse_csr`` / ``is_quantized`` /
  ``is_nested`` / ``is_meta`` / ``is_mkldnn`` False, ``imag`` raises as torch's does for non-complex dtypes;
- ``dim_order()`` (dimensions from outermost to innermost stride), ``output_nr``, ``const_data_ptr``;
- ``resize_`` / ``resize_as_``: a new shape over the same leading elements (new ones uninitialised: zeros here);
  refused for a tensor that requires grad, as torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Function, Tensor
from ..autograd.grad_mode import is_grad_enabled
from . import inplace
from ._util import to_float
from .elementwise import where
from .householder import householder_product
from .prelu import prelu
from .shrink import hardshrink


def _method(name: str) -> Any:
    """The existing Tensor method ``name``, looked up when called (the table is built before it is installed)."""
    def call(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, name)(*args, **kwargs)
    call.__name__ = name
    return call


_INPLACE_OF = ("acos", "arccos", "asin", "arcsin", "atan", "arctan", "cosh", "sinh", "eq", "ne", "lt", "le", "gt",
               "ge", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and", "logical_or",
               "logical_xor", "logical_not")


def _where(self: Tensor, condition: Tensor, y: Any) -> Tensor:
    """x.where(condition, y): torch.where(condition, x, y)."""
    return where(condition, self, y)


def conj(input: Tensor) -> Tensor:  # noqa: A002 - torch's name
    """The conjugate of a real tensor: the tensor itself (torch's conj is a view; this one is the same tensor)."""
    return input


resolve_conj = resolve_neg = conj


def conj_physical(input: Tensor) -> Tensor:  # noqa: A002
    """A copy (the materialised conjugate of a real tensor)."""
    return input.clone()


def adjoint(input: Tensor) -> Tensor:  # noqa: A002
    """The conjugate transpose of the last two dimensions: the transpose, for a real tensor."""
    return input.transpose(-2, -1)


def is_conj(input: Tensor) -> bool:  # noqa: A002
    """False: a real tensor carries no lazy conjugation."""
    return False


is_neg = is_conj


def real(input: Tensor) -> Tensor:  # noqa: A002
    """The real part of a real tensor: itself."""
    return input


class Angle(Function):
    """angle(x) = π where x < 0, 0 where x ≥ 0 (NaN stays NaN) for a real x; its gradient is zero, as torch's."""

    torch_name = "AngleBackward0"

    def forward(self, x: Any) -> Any:
        xp = backend.array_module(x)
        out = xp.where(x < 0, np.pi, 0.0).astype(x.dtype)
        return xp.where(xp.isnan(x), x, out)

    def backward(self, g: Any) -> Any:
        return backend.array_module(g).zeros_like(g)

    def backward_graph(self, g: Tensor) -> Tensor:
        return g * 0


def angle(input: Tensor) -> Tensor:  # noqa: A002
    """The argument of each element of a real tensor: π for the negative ones, 0 for the others (integers give the
    default float dtype)."""
    return Angle.apply(to_float(input))


def imag(input: Tensor) -> Tensor:  # noqa: A002
    """Refused for a real tensor, with torch's error."""
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """A copy of ``input.narrow(dim, start, length)``."""
    return input.narrow(dim, start, length).clone()


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:  # noqa: A002
    """chunk (torch's variant that skips its view checks)."""
    return input.chunk(chunks, dim)


def unsafe_split(input: Tensor, split_size: Any, dim: int = 0) -> tuple:  # noqa: A002
    """split (torch's variant that skips its view checks)."""
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes: Any, dim: int = 0) -> tuple:  # noqa: A002
    """split_with_sizes (torch's variant that skips its view checks)."""
    return input.split_with_sizes(split_sizes, dim)


def _dim_order(self: Tensor, *, ambiguity_check: bool = False) -> tuple:
    """The dimensions from the outermost stride to the innermost (ties keep their order), as torch's."""
    strides = self._data.strides
    return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))


def _resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """x.resize_(*sizes): x takes the new shape over its leading elements in row-major order (new elements: 0)."""
    if self.requires_grad and is_grad_enabled():
        raise RuntimeError("cannot resize variables that require grad")
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    numel = int(np.prod(shape))
    flat = self._data.reshape(-1)
    data = backend.array_module(flat).zeros(numel, dtype=flat.dtype)
    data[:min(numel, flat.size)] = flat[:numel]
    data = data.reshape(shape)
    self._data = data
    self._version_counter[0] += 1
    return self


def _resize_as_(self: Tensor, other: Tensor, memory_format: Any = None) -> Tensor:
    return _resize_(self, tuple(other.shape))


def _new_empty_strided(self: Tensor, size: Any, stride: Any, **kwargs: Any) -> Tensor:
    return self.new_empty(tuple(size), **kwargs)


_FALSE = property(lambda self: False)

METHODS: dict = {
    **{f"{name}_": inplace.inplace(_method(name), f"{name}_") for name in _INPLACE_OF},
    "hardshrink": hardshrink, "prelu": prelu, "where": _where, "orgqr": householder_product,
    "unsafe_chunk": unsafe_chunk, "unsafe_split": unsafe_split, "unsafe_split_with_sizes": unsafe_split_with_sizes,
    "narrow_copy": narrow_copy, "new_empty_strided": _new_empty_strided,
    "conj": conj, "resolve_conj": resolve_conj, "resolve_neg": resolve_neg, "conj_physical": conj_physical,
    "to_dense": lambda self, dtype=None, *, masked_grad=None: self if dtype is None else self.to(dtype),
    "adjoint": adjoint, "is_conj": is_conj, "is_neg": is_neg, "angle": angle,
    "mH": property(adjoint), "real": property(real), "imag": property(imag),
    "is_sparse": _FALSE, "is_sparse_csr": _FALSE, "is_quantized": _FALSE, "is_nested": _FALSE, "is_meta": _FALSE,
    "is_mkldnn": _FALSE,
    "dim_order": _dim_order, "output_nr": property(lambda self: self._output_nr),
    "const_data_ptr": _method("data_ptr"),
    "resize_": _resize_, "resize_as_": _resize_as_,
}
