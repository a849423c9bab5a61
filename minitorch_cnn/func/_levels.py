"""How the transforms nest on one tape-based autograd, instead of torch's per-level wrapper tensors.

Every differentiating transform (grad, vjp, jvp, jacrev, jacfwd) computes with ``create_graph`` while another
transform encloses it, so the enclosing one can differentiate its results again (grad of grad, jacrev of jacrev).
Each transform differentiates with respect to its own fresh node of each input (:func:`track`): a leaf when nothing
outside needs the input's graph, an alias node of it when something does, so an inner gradient never mixes
with an outer one (no "perturbation confusion"). The outermost transform returns detached results unless one of
its inputs requires grad or its outputs' graph reaches a tensor that requires grad outside the transform (a module's
own parameter that ``functional_call`` was not given): then, as torch's, the results stay differentiable by
``backward()``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..autograd import Tensor

_depth = 0
_own_leaves: dict[int, weakref.ref] = {}  # id -> the leaves the transforms made (no user tensor is among them)


def own_leaf(t: Tensor) -> Tensor:
    """Record ``t``, a leaf a transform made to differentiate against, as not the user's; returns it."""
    key = id(t)
    _own_leaves[key] = weakref.ref(t, lambda _, key=key: _own_leaves.pop(key, None))
    return t


def _is_own_leaf(t: Any) -> bool:
    ref = _own_leaves.get(id(t))
    return ref is not None and ref() is t


@contextmanager
def level() -> Iterator[None]:
    """The extent of one transform's call: transforms called inside it keep their graphs."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


def keep_graph(leaves: list) -> bool:
    """Whether a transform called now must return differentiable results: inside another transform, or when an
    input requires grad."""
    return _depth > 0 or any(isinstance(t, Tensor) and t.requires_grad for t in leaves)


def reaches_outside(outputs: list, mine: list) -> bool:
    """Whether the graph of ``outputs`` leads to a leaf that requires grad other than the transforms' own nodes
    (this level's and those of the transforms inside it)."""
    own = {id(t) for t in mine}
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    if any(isinstance(o, Tensor) and o.requires_grad and o.grad_fn is None and id(o) not in own
           and not _is_own_leaf(o) for o in outputs):
        return True
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for t in getattr(node, "inputs", ()):
            if t is None or not t.requires_grad:
                continue
            if t.grad_fn is not None:
                stack.append(t.grad_fn)
            elif id(t) not in own and not _is_own_leaf(t):
                return True
    return False


def check_tensors(leaves: list) -> None:
    for t in leaves:
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")


def track(t: Tensor) -> Tensor:
    """This level's own node of ``t``: differentiating with respect to it gives this level's gradient only. When
    ``t`` requires grad it is an alias node, ``t[...]`` (``view_as`` would hand back ``t`` itself, and an inner
    gradient with respect to ``t`` would then take in the outer level's uses of it too)."""
    return t[...] if t.requires_grad else own_leaf(t.detach().requires_grad_())


def finish(x: Any, keep: bool) -> Any:
    """A result tensor as the caller gets it: detached unless its graph is needed (see the module docstring)."""
    return x.detach() if isinstance(x, Tensor) and not keep else x


def zeros_like(t: Tensor) -> Tensor:
    """A zero gradient for an input the output does not depend on (torch.func returns zeros, not None)."""
    return t.detach().new_zeros(t.shape)


def argnums_tuple(argnums: Any, nargs: int) -> tuple[tuple[int, ...], bool]:
    """``argnums`` as a tuple of non-negative positions and whether it was a tuple, with torch's errors."""
    is_tuple = isinstance(argnums, tuple)
    nums = argnums if is_tuple else (argnums,)
    if is_tuple and not nums:
        raise RuntimeError("argnums must be non-empty")
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums if not is_tuple else n)}")
        if not -nargs <= n < nargs:
            raise RuntimeError(f"Got argnum={n}, but only {nargs} positional inputs")
    return tuple(n % nargs for n in nums), is_tuple
