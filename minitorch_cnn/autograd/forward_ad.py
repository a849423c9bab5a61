"""``torch.autograd.forward_ad``: dual tensors, with tangents computed by the double-vjp trick (no dual numbers).

There is no forward-mode engine here. ``make_dual(primal, tangent)`` returns a tensor that records the reverse
graph: an alias node of the level's own input node of ``primal`` (a fresh leaf requiring grad, or an alias node of
``primal`` when it requires grad, so ``backward()`` still reaches it), and the level remembers that input with its
tangent. ``unpack_dual(y)`` then computes y's tangent ``Σ_i J_i t_i`` over the level's dual inputs with
``func.jvp``'s machinery: one reverse pass with a graph gives ``uᵀ J`` for a zero cotangent ``u``, a second one
differentiates ``Σ_i (uᵀ J_i) · t_i`` with respect to ``u``. The result is cached per output, so unpacking twice
gives the same tensor, and a dual unpacked before any in-place change hands back its tangent as given (copied to a
contiguous one when its layout differs from the primal's, as torch).

What differs from torch, honestly: every tensor computed from a dual requires grad (it is on the recorded graph),
a dual itself too; each ``unpack_dual`` costs two reverse passes rather than nothing; a custom ``Function`` is
differentiated through its ``backward`` (its ``jvp`` is not called), and one with only a ``jvp`` is refused; an
in-place op works on a dual where reverse mode allows it, but overwriting a tensor that an op saved for backward
makes ``unpack_dual`` raise reverse mode's error (torch's eager tangents do not mind). As
torch 2.14, only one level exists at a time (entering another raises), and leaving it forgets every tangent.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from ..func import _levels
from ..func.jvp import Linearized
from .ctx_function import _no_backward
from .function import Function
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the primal and its tangent (None for a tensor without one)."""

    primal: Tensor
    tangent: Tensor | None


class _Dual:
    """One dual input of the level: the node that gradients are taken against, the tensor handed to the user
    (with its version when made) and the tangent."""

    def __init__(self, node: Tensor, dual: Tensor, tangent: Tensor) -> None:
        self.node = node
        self.dual = weakref.ref(dual)
        self.grad_fn = dual.grad_fn
        self.version = dual._version
        self.tangent = tangent

    def unchanged(self, t: Tensor) -> bool:
        return self.dual() is t and t.grad_fn is self.grad_fn and t._version == self.version


class _Alias(Function):
    """The dual of a primal that does not require grad: its own array again (an alias that is not a view, so in-place
    ops on the dual are recorded, as torch allows them); the gradient passes through unchanged."""

    def forward(self, a: Any) -> Any:
        return a

    def backward(self, g: Any) -> Any:
        return g

    def backward_graph(self, g: Tensor) -> Tensor:
        return g


_current_level = -1
_duals: list[_Dual] = []
_cache: dict[int, tuple[weakref.ref, int, Tensor | None]] = {}  # id(output) -> (output, its version, tangent)


def enter_dual_level() -> int:
    """Enter the forward-AD level (0) and return it; only one may exist at a time, as in torch 2.14."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level = 0
    return _current_level


def exit_dual_level(*, level: int | None = None) -> None:
    """Leave the current level and forget every tangent made in it."""
    global _current_level
    level = _current_level if level is None else level
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != _current_level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is not "
                           "supported.")
    _duals.clear()
    _cache.clear()
    _current_level = level - 1


@contextmanager
def dual_level() -> Iterator[int]:
    """``with dual_level():`` enters the level and leaves it (discarding its tangents) on the way out."""
    level = enter_dual_level()
    try:
        yield level
    finally:
        exit_dual_level(level=level)


def _check_level(level: int | None, what: str) -> int:
    """The level asked for (the current one when None), with torch's errors for one that is not the current."""
    level = _current_level if level is None else level
    if level >= 0 and level != _current_level:
        if _current_level < 0:
            raise RuntimeError("Trying to access a forward AD level with an invalid index. This index was either not "
                               "created or is already deleted.")
        raise RuntimeError(f"Invalid level given to {what}")
    return level


def _layout_of(primal: Tensor, tangent: Tensor) -> Tensor:
    """The tangent as given when its strides match the primal's, else a contiguous copy (torch copies it)."""
    return tangent if tangent.stride() == primal.stride() else tangent.contiguous()


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A tensor equal to ``tensor`` whose tangent in the current level is ``tangent`` (same size)."""
    level = _check_level(level, "_make_dual")
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tensor.shape) != tuple(tangent.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if tensor.requires_grad and _reaches_duals(tensor):
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {level} is not supported.")
    with enable_grad():
        node = _levels.track(tensor)
        # of a primal that requires grad the dual is a view, so in-place ops on it are refused as torch refuses them
        dual = node[...] if tensor.requires_grad else _Alias.apply(node)
    _duals.append(_Dual(node, dual, _layout_of(tensor, tangent)))
    return dual


def _reaches_duals(y: Tensor) -> bool:
    """Whether ``y``'s graph leads to one of the level's dual inputs; refuses a custom Function with no backward.
    A node keeps a non-leaf input as an ``Edge``, so an input node that is an alias is known by its ``grad_fn``."""
    leaves = {id(d.node) for d in _duals if d.node.grad_fn is None}
    fns = {id(d.node.grad_fn) for d in _duals if d.node.grad_fn is not None}
    stack, seen = [y], set()
    while stack:
        t = stack.pop()
        node = t.grad_fn
        if id(t) in leaves or id(node) in fns:
            return True
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if getattr(type(node), "_user_backward", None) is _no_backward:
            fn = getattr(type(node), "_forward_cls", type(node))  # the user's Function, not its Backward node class
            raise NotImplementedError(f"forward_ad: custom Function {fn.__name__} defines no backward; "
                                      "forward-mode AD here computes tangents through backward (double-vjp), so "
                                      "implement backward for it (its jvp is not used).")
        stack.extend(x for x in getattr(node, "inputs", ()) if x is not None and x.requires_grad)
    return False


def _tangent(y: Tensor) -> Tensor | None:
    """``Σ_i J_i t_i`` for output ``y`` over the level's dual inputs, or None when it depends on none of them."""
    if not y.requires_grad or not _reaches_duals(y):
        return None
    nodes = [d.node for d in _duals]
    tangents = [d.tangent.to(d.node.dtype) for d in _duals]
    keep = _levels.reaches_outside([y], nodes) or any(t.requires_grad for t in tangents)
    with enable_grad(), _levels.level():
        (jv,) = Linearized([y], nodes).push(tangents, keep)
    return _levels.finish(jv, keep)


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` in the current level; tangent None outside a level or without one."""
    if _current_level < 0 or (level is not None and level < 0):  # torch: nothing is dual outside a level
        return UnpackedDualTensor(tensor, None)
    _check_level(level, "_fw_primal")
    given = next((d for d in _duals if d.unchanged(tensor)), None)
    if given is not None:
        tangent = given.tangent
    else:
        hit = _cache.get(id(tensor))
        if hit is not None and hit[0]() is tensor and hit[1] == tensor._version:
            tangent = hit[2]
        else:
            tangent = _tangent(tensor)
            key = id(tensor)
            _cache[key] = (weakref.ref(tensor, lambda _, key=key: _cache.pop(key, None)), tensor._version, tangent)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    outside = _levels.reaches_outside([tensor], [d.node for d in _duals])
    return UnpackedDualTensor(tensor if outside else tensor.detach(), tangent)
