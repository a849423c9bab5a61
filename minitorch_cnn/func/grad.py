"""``torch.func.grad`` and ``grad_and_value``: the gradient of a scalar function as a function of its inputs.

``grad(f, argnums=0, has_aux=False)(*args)`` is d f(*args) / d args[argnums], in the structure of those arguments
(a dict of parameters gives a dict of gradients). Reverse mode on the tape (``autograd.grad``); nesting and
composition with the other transforms as ``_levels`` describes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import Tensor, enable_grad
from ..autograd.engine import grad as autograd_grad
from . import _levels
from ._pytree import flatten, unflatten


def track_args(args: tuple, nums: tuple[int, ...]) -> tuple[list, list, list]:
    """``args`` with this level's own node of every tensor in the differentiated positions, and those nodes and
    their structures (one per position)."""
    new = list(args)
    tracked: list = []
    specs = []
    for n in nums:
        leaves, spec = flatten(args[n])
        _levels.check_tensors(leaves)
        mine = [_levels.track(t) for t in leaves]
        new[n] = unflatten(mine, spec)
        tracked.append(mine)
        specs.append(spec)
    return new, tracked, specs


def split_aux(out: Any, has_aux: bool, api: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


def finish_tree(tree: Any, keep: bool) -> Any:
    leaves, spec = flatten(tree)
    return unflatten([_levels.finish(x, keep) for x in leaves], spec)


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)``, or ``(gradient, (value, aux))`` with ``has_aux``."""

    def wrapper(*args: Any, **kwargs: Any) -> tuple:
        api = "grad_and_value(f)(*args)"
        nums, is_tuple = _levels.argnums_tuple(argnums, len(args))
        keep = _levels.keep_graph(flatten(args)[0])
        with enable_grad(), _levels.level():
            new, tracked, specs = track_args(args, nums)
            out, aux = split_aux(func(*new, **kwargs), has_aux, api)
            if not isinstance(out, Tensor):
                raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(out)}")
            if out.ndim != 0:
                raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with {out.ndim} "
                                   "dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
            inputs = [t for mine in tracked for t in mine]
            keep = keep or _levels.reaches_outside([out], inputs)
            got = (autograd_grad(out, inputs, create_graph=keep, allow_unused=True) if out.requires_grad
                   else (None,) * len(inputs))
        grads = iter(_levels.finish(_levels.zeros_like(t) if g is None else g, keep) for g, t in zip(got, inputs))
        per_arg = tuple(unflatten([next(grads) for _ in mine], spec) for mine, spec in zip(tracked, specs))
        result = per_arg if is_tuple else per_arg[0]
        value = _levels.finish(out, keep)
        return (result, (value, finish_tree(aux, keep))) if has_aux else (result, value)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of scalar ``func`` with respect to ``args[argnums]`` (and ``aux`` with
    ``has_aux``: ``(gradient, aux)``)."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper
