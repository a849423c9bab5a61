"""In-place writes into views inside a graph, as torch's CopySlices.

A view (a slice, a reshape that did not copy, a transpose, ``x[0]``) remembers its ``_base``: the tensor that
owns the storage. Writing into the view in place changes the base too, so both graphs are rewritten:

- the base's new grad_fn is ``CopySlices(old base, new values)``: forward puts the new values at the view's
  positions; backward gives the old base the gradient with those positions zeroed and the new values the
  gradient at those positions (the gradients of the written op itself then flow through the new values' graph);
- the view's new grad_fn reads its positions out of the new base (``AsStrided``).

Positions are flat indices into the base in C order (``positions``), computed from the arrays' addresses and
strides, so any view NumPy or CuPy makes is covered, and a boolean mask or integer index of a view is those
positions indexed (``x[mask] = v``). Another view of the same base made before the write would keep a stale
grad_fn: each view remembers its base's grad_fn when its own was made (``_base_fn``), and one whose base has
moved on is re-derived from the base before it enters a graph (``refresh``), as torch regenerates views.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from .function import VIEW_HOOKS, Function
from .grad_mode import _enabled
from .tensor import Tensor


def _address(arr: Any) -> int:
    return arr.__array_interface__["data"][0] if isinstance(arr, np.ndarray) else arr.data.ptr


def positions(view: Any, base: Any) -> Any:
    """For each element of the array ``view``, its flat C-order index in ``base``, whose memory it shares (an
    integer array of ``view``'s shape, on ``view``'s device)."""
    if base.size == 0 or view.size == 0:
        return backend.array_module(view).zeros(view.shape, dtype=np.int64)
    item, wide = base.itemsize, np.dtype(np.int64).itemsize
    extents = [(n - 1) * s for n, s in zip(base.shape, base.strides)]
    low = _address(base) + sum(min(0, e) for e in extents)
    # an int64 buffer laid out as base's memory (strides in elements kept), holding at each of base's elements
    # its C-order index; the view's addresses and strides then read its positions out of it
    buf = np.zeros(sum(abs(e) for e in extents) // item + 1, dtype=np.int64)
    as_strided = np.lib.stride_tricks.as_strided
    elements = (_address(base) - low) // item
    as_strided(buf[elements:], base.shape, tuple(s // item * wide for s in base.strides))[...] = np.arange(
        base.size).reshape(base.shape)
    elements = (_address(view) - low) // item
    out = as_strided(buf[elements:], view.shape, tuple(s // item * wide for s in view.strides)).copy()
    return out if isinstance(view, np.ndarray) else backend.move_to(out, backend.device_of(view))


class AsStrided(Function):
    """y = base at ``pos`` (y's shape is pos's): a view re-read from its base. dbase = g scattered to ``pos``."""

    torch_name = "AsStridedBackward0"
    fresh_grads = True

    def forward(self, base: Any, pos: Any) -> Any:
        self.pos, self.shape = pos, base.shape
        return backend.array_module(base).take(base, pos)

    def backward(self, g: Any) -> Any:
        out = backend.array_module(g).zeros(self.shape, dtype=g.dtype)
        out.reshape(-1)[self.pos] = g  # a view's positions are distinct
        return out

    def backward_graph(self, g: Tensor) -> Tensor:
        return CopySlices.apply(Tensor._wrap(backend.array_module(g._data).zeros(self.shape, g._data.dtype)), g,
                                self.pos)


class CopySlices(Function):
    """out = base with ``values`` put at ``pos``. dbase = g with ``pos`` zeroed, dvalues = g at ``pos``."""

    torch_name = "torch::autograd::CopySlices"
    fresh_grads = True

    def forward(self, base: Any, values: Any, pos: Any) -> Any:
        xp = backend.array_module(base)
        self.pos = pos
        out = xp.array(base, order="C", copy=True)
        out.reshape(-1)[pos] = values
        return out

    def backward(self, g: Any) -> tuple:
        xp = backend.array_module(g)
        need_base, need_values, _ = self.needs_input_grad
        gb = None
        if need_base:
            gb = xp.array(g, order="C", copy=True)
            gb.reshape(-1)[self.pos] = 0
        return gb, (xp.take(g, self.pos) if need_values else None), None

    def backward_graph(self, g: Tensor) -> tuple:
        need_base, need_values, _ = self.needs_input_grad
        xp = backend.array_module(g._data)
        gb = None
        if need_base:
            zeros = Tensor._wrap(xp.zeros(self.pos.shape, dtype=g._data.dtype))
            gb = CopySlices.apply(g, zeros, self.pos)
        return gb, (AsStrided.apply(g, self.pos) if need_values else None), None


def _point_at(node: Any, t: Tensor) -> None:
    """Make ``node`` the grad_fn of ``t`` (whose storage holds its output): the version check follows t."""
    node._out_vc, node._out_version = t._version_counter, t._version_counter[0]
    t.grad_fn, t._requires_grad, t._output_nr = node, True, 0


def refresh(view: Tensor) -> None:
    """``view``'s grad_fn re-derived from its base's current one (called when the base's graph changed since the
    view's was made, before the view enters a graph)."""
    base = view._base
    if base.requires_grad and _enabled[0]:
        _point_at(AsStrided.apply(base, positions(view._data, base._data)).grad_fn, view)
    view._base_fn = base.grad_fn


def write_region(x: Tensor, index: Any, compute: Callable[[Tensor], Tensor], name: str) -> None:
    """Write ``compute(current values)`` into ``x[index]`` (``index`` None: all of x) inside a graph, rewriting
    the graph of the tensor that owns x's storage (CopySlices) and re-deriving x when x is a view of it."""
    root = x if x._base is None else x._base
    if root.grad_fn is None and root.requires_grad:
        what = "a leaf Variable" if root is x else "a view of a leaf Variable"
        raise RuntimeError(f"{what} that requires grad is being used in an in-place operation.")
    x._check_writable(name)
    if x._base is not None and x._base_fn is not root.grad_fn:
        refresh(x)
    pos = positions(x._data, root._data)
    if index is not None:
        pos = pos[index]
    # the old base: the same storage under its own version counter (nothing writes it after this point)
    old = Tensor._wrap(root._data)
    old.grad_fn, old._requires_grad, old._output_nr = root.grad_fn, root.requires_grad, root._output_nr
    new = compute(AsStrided.apply(old, pos))  # the caller gives it pos's shape and root's dtype
    new_arr = new._data
    out = CopySlices.apply(old, new, pos)
    prev = root.grad_fn
    if index is None:
        x._data[...] = new_arr
    else:
        x._data[index] = new_arr
    root._version_counter[0] += 1
    if prev is not None and prev._out_vc is root._version_counter and not any(
            v is root._data for v in prev.__dict__.values()):
        # the old node checks its output's version only because it might have saved it; it did not: its output is
        # now ``old``, which nothing writes
        prev._out_vc, prev._out_version = old._version_counter, old._version_counter[0]
    if out.grad_fn is None:  # nothing requires grad after all
        return
    made = new.grad_fn
    if made is not None and any(v is new_arr for v in made.__dict__.values()):
        # the op saved its result (relu_, exp_): that result now lives in the storage, so a later write into it
        # must fail that op's backward, as torch's saved result shares the storage's version
        made._out_vc, made._out_version = root._version_counter, root._version_counter[0]
    _point_at(out.grad_fn, root)
    if x is not root:
        refresh(x)


VIEW_HOOKS.append(refresh)
