"""In-place ops as torch's: ``x.add_(y)``, ``x += y``, ``x.zero_()``, ``x.masked_fill_(m, v)`` ...

Every in-place op writes into the tensor's own storage (so aliases and views see it) and bumps its version
counter (so a backward that needs the old values raises instead of using the new ones).

Two paths, as torch:

- nothing to record (grad mode off, or neither the tensor nor the operands require grad): the result is
  computed out of place and copied into the storage;
- inside a graph: the op is recorded on a snapshot of the old values (``old``, which carries the tensor's
  grad_fn), and the tensor takes the new node as its grad_fn, as torch's ``x.mul_(2)`` gives ``x`` a
  ``MulBackward0``. A leaf that requires grad refuses with torch's error.

A view (a slice, ``x[0]``, a reshape or transpose that did not copy) written in place inside a graph rewrites
its base's graph too, as torch's CopySlices (``autograd/views.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor
from ..autograd.grad_mode import _enabled
from ..autograd.views import write_region


def _requires(args: tuple) -> bool:
    return any(isinstance(a, Tensor) and a.requires_grad for a in args)


def _check_result(self: Tensor, arr: Any, name: str) -> Any:
    """``arr`` cast to ``self``'s dtype when torch allows it (same or lower category), else torch's error."""
    if arr.shape != self._data.shape:
        raise RuntimeError(
            f"{name}: output with shape {list(self._data.shape)} doesn't match the broadcast shape {list(arr.shape)}"
        )
    have, want = arr.dtype, self._data.dtype
    if have != want:
        rank = {"b": 0, "i": 1, "u": 1, "f": 2}
        if rank[have.kind] > rank[want.kind]:
            raise RuntimeError(f"{name}: result type {have} can't be cast to the desired output type {want}")
        arr = arr.astype(want)
    return arr


def _is_view_in_graph(self: Tensor) -> bool:
    """Whether ``self`` shares storage with a tensor its graph node reads (a slice, reshape or transpose of it),
    or may share one with a tensor outside any graph (an array that is a view, with no node to tell)."""
    if self._data.base is None:
        return False
    fn = self.grad_fn
    if fn is None:
        return True
    return any(t is not None and t._version_counter is self._version_counter for t in getattr(fn, "inputs", ()))


def apply_inplace(self: Tensor, fn: Any, args: tuple, kwargs: dict, name: str) -> Tensor:
    """``self.<name>(*args)``: ``fn(self, *args, **kwargs)`` computed, then written into ``self``."""
    recording = _enabled[0] and (self.requires_grad or _requires(args) or _requires(tuple(kwargs.values())))
    if not recording:
        self._check_inplace()
        return self._store(_check_result(self, fn(self.detach(), *args, **kwargs)._data, name))
    if self._base is not None:
        write_region(self, None, lambda cur: _cast_result(self, fn(cur, *args, **kwargs), name), name)
        return self
    if self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if _is_view_in_graph(self):
        raise RuntimeError(
            f"{name}: in-place write into a view (a slice, reshape or transpose) inside an autograd graph is not "
            "offered (its base's gradient would need rewriting); use the out-of-place op or clone() first"
        )
    # The op may save its inputs for backward: it gets a snapshot of the old values, since the storage is
    # overwritten below.
    old = Tensor._wrap(self._data.copy())
    old.grad_fn, old._requires_grad, old._output_nr = self.grad_fn, self.requires_grad, self._output_nr
    out = fn(old, *args, **kwargs)
    arr = _check_result(self, out._data, name)
    prev = self.grad_fn
    self._store(arr)
    if prev is not None and prev._out_vc is self._version_counter and not _saved_output(prev, self._data):
        # the old node checks its output's version only because it might have saved it; it did not, so its
        # output is now the snapshot, which nothing writes (torch's `out = bn(x); out += identity` in every ResNet)
        prev._out_vc, prev._out_version = old._version_counter, old._version_counter[0]
    node = out.grad_fn
    if node is not None:
        node._out_vc, node._out_version = self._version_counter, self._version_counter[0]
        # what the node saved of its output is `out`'s own array, not `self`'s storage: point it there
        _rebind_output(node, out._data, self._data)
    self.grad_fn, self._requires_grad, self._output_nr = node, out.requires_grad, 0
    return self


def _cast_result(self: Tensor, out: Tensor, name: str) -> Tensor:
    """``out`` in ``self``'s dtype where torch allows the cast (differentiable), with ``_check_result``'s errors."""
    _check_result(self, out._data, name)  # torch's shape and dtype errors
    if out._data.dtype == self._data.dtype:
        return out
    from ._util import cast

    return cast(out, self._data.dtype)


def _saved_output(node: Any, arr: Any) -> bool:
    return any(v is arr for v in node.__dict__.values())


def _rebind_output(node: Any, old: Any, new: Any) -> None:
    """A node that saved its output array (exp, sigmoid, ...) now finds it in ``new``, the tensor's storage, so
    the version check on that storage covers it, as torch's saved result."""
    for k, v in node.__dict__.items():
        if v is old and old.dtype == new.dtype:
            node.__dict__[k] = new


def inplace(fn: Any, name: str) -> Any:
    """The ``x.<name>(...)`` method for the out-of-place op ``fn``."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return apply_inplace(self, fn, args, kwargs, name)

    method.__name__ = name
    method.__doc__ = f"In place: ``x.{name}(...)`` writes ``x.{name.rstrip('_')}(...)`` into x's storage."
    return method


def _const_like(self: Tensor, arr: Any) -> Tensor:
    return Tensor._wrap(backend.move_to(arr, self.device))


def _overwrite(self: Tensor, value: Any, mask: Any = None) -> Tensor:
    """``value`` (broadcast) where ``mask`` (everywhere when None), ``self`` elsewhere: the out-of-place form of
    fill_/copy_/masked_fill_, differentiable in both (``self`` gets zero where overwritten, ``value`` the rest)."""
    from .elementwise import where

    xp = backend.array_module(self._data)
    cond = xp.ones(self.shape, dtype=bool) if mask is None else (mask._data if isinstance(mask, Tensor) else mask)
    if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
        from ._util import cast

        value = cast(value, self._data.dtype)
    elif not isinstance(value, Tensor):
        value = self._data.dtype.type(value)
    return where(Tensor._wrap(xp.asarray(cond, dtype=bool)), value, self)


def zero_(self: Tensor) -> Tensor:
    return apply_inplace(self, lambda x: _overwrite(x, 0), (), {}, "zero_")


def fill_(self: Tensor, value: Any) -> Tensor:
    return apply_inplace(self, _overwrite, (value,), {}, "fill_")


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    if not isinstance(src, Tensor):
        src = Tensor._wrap(np.asarray(src))  # a number or array as it is (Tensor(...) would be torch's legacy one)
    if src.device != self.device:
        from ._util import ToDevice

        src = ToDevice.apply(src, self.device)
    return apply_inplace(self, _overwrite, (src,), {}, "copy_")


def masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` is True; ``mask`` broadcasts against ``self`` and must be bool, as torch."""
    m = mask._data if isinstance(mask, Tensor) else mask
    if getattr(m, "dtype", None) != np.bool_:
        kind = getattr(m, "dtype", type(m))
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype {kind}")
    xp = backend.array_module(self._data)
    return _overwrite(self, value, xp.broadcast_to(m, self.shape))


def masked_fill_(self: Tensor, mask: Any, value: Any) -> Tensor:
    return apply_inplace(self, masked_fill, (mask, value), {}, "masked_fill_")


def _random_(self: Tensor, draw: Any, name: str) -> Tensor:
    arr = draw(self.shape).astype(self._data.dtype, copy=False)
    return apply_inplace(self, _overwrite, (_const_like(self, arr),), {}, name)


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    return _random_(self, lambda s: backend.generator().uniform(a, b, size=s), "uniform_")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    return _random_(self, lambda s: backend.generator().normal(mean, std, size=s), "normal_")


def bernoulli_(self: Tensor, p: float = 0.5) -> Tensor:
    return _random_(self, lambda s: backend.generator().random(size=s) < p, "bernoulli_")


def exponential_(self: Tensor, lambd: float = 1.0) -> Tensor:
    return _random_(self, lambda s: backend.generator().exponential(1.0 / lambd, size=s), "exponential_")


def random_(self: Tensor, low: int = 0, high: int | None = None) -> Tensor:
    """Integers uniform on [low, high) (``random_(n)`` is [0, n)), as torch's."""
    if high is None:
        low, high = 0, low
    return _random_(self, lambda s: backend.generator().integers(low, high, size=s), "random_")
