"""torch's hooks on a graph node: ``grad_fn.register_prehook(hook)`` and ``grad_fn.register_hook(hook)``.

- a pre-hook ``hook(grad_outputs) -> tuple | None`` runs before the node's backward, on its output gradients (a
  tuple, one per output, None where an output got none); a returned tuple replaces them;
- a hook ``hook(grad_inputs, grad_outputs) -> tuple | None`` runs after it, on the gradients it computed for its
  inputs (one per input, None where none); a returned tuple replaces those.

Both see Tensors and return a ``RemovableHandle``. (A Tensor's own ``register_hook`` on a non-leaf, and
``retain_grad``, use the node's single-gradient list ``_hooks`` instead, run before these.)
"""

from __future__ import annotations

from typing import Any

from ..utils.hooks import RemovableHandle
from .tensor import Tensor

KEY = "_node_hooks"  # in the node's __dict__: ([pre-hooks], [hooks]), freed with the graph


def register(node: Any, hook: Any, pre: bool) -> RemovableHandle:
    """Add ``hook`` to ``node``'s pre-hooks (``pre``) or hooks; the handle removes it."""
    lists = node.__dict__.setdefault(KEY, ([], []))
    hooks = lists[0 if pre else 1]
    hooks.append(hook)
    return RemovableHandle(hooks, hook=hook)


def _tensors(grads: tuple, graph: bool) -> tuple:
    return tuple(g if g is None or graph else Tensor._wrap(g) for g in grads)


def _arrays(grads: tuple, graph: bool) -> tuple:
    return tuple(g if g is None or graph else g._data for g in grads)


def _slots(node: Any, g: dict) -> list:
    """Which output number each of the node's outputs has: a custom Function's returned items (``linked``
    numbers its differentiable ones), else the numbers themselves."""
    linked = node.__dict__.get("linked")
    if linked is None:
        return list(range(max(g) + 1))
    number = {i: nr for nr, i in enumerate(linked)}
    return [number.get(i) for i in range(len(node.others))]


def _outputs(node: Any, g: Any, multi: bool) -> tuple:
    return tuple(None if nr is None else g.get(nr) for nr in _slots(node, g)) if multi else (g,)


def run_pre(node: Any, hooks: list, g: Any, multi: bool, graph: bool) -> Any:
    """The output gradient ``g`` (an array or Tensor, or {output number: ...}) after every pre-hook."""
    outs = _tensors(_outputs(node, g, multi), graph)
    for hook in list(hooks):
        new = hook(outs)
        if new is not None:
            outs = tuple(new)
    arrs = _arrays(outs, graph)
    if not multi:
        return arrs[0]
    return {nr: a for nr, a in zip(_slots(node, g), arrs) if nr is not None and a is not None}


def run_post(node: Any, hooks: list, grads_in: tuple, g: Any, multi: bool, graph: bool) -> tuple:
    """The node's input gradients after every hook (``g``: its output gradient, as the hooks' second argument)."""
    ins, outs = _tensors(grads_in, graph), _tensors(_outputs(node, g, multi), graph)
    for hook in list(hooks):
        new = hook(ins, outs)
        if new is not None:
            ins = tuple(new)
    return _arrays(ins, graph)
