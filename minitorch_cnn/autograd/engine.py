"""Backward: an iterative topological sort, then one sweep in reverse order.

No recursion, so a chain of 100,000 ops backprops without RecursionError. Each node's
gradient is summed over all its uses before its backward runs (so hooks see the total);
leaf gradients are summed likewise and accumulated into ``.grad`` at the end.
"""

from __future__ import annotations

from typing import Any

from .grad_mode import no_grad
from .tensor import Tensor


def _topological_order(root: Any) -> list:
    """Nodes reachable from ``root``, each after all nodes that feed gradients into it."""
    order: list = []
    seen = {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, it = stack[-1]
        for t in it:
            if t is not None and t.grad_fn is not None and id(t.grad_fn) not in seen:
                seen.add(id(t.grad_fn))
                stack.append((t.grad_fn, iter(t.grad_fn.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def _run_hooks(hooks: list, grad: Any) -> Any:
    for hook in hooks:
        out = hook(Tensor._wrap(grad))
        if out is not None:
            grad = out.data if isinstance(out, Tensor) else out
    return grad


def _accumulate_leaf(leaf: Tensor, grad: Any) -> None:
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
    if grad.dtype != leaf.data.dtype:
        grad = grad.astype(leaf.data.dtype)
    if leaf.grad is None:
        # a copy: backward functions may hand the same array to several inputs
        leaf.grad = Tensor._wrap(grad.copy())
    else:
        leaf.grad.data += grad


def run_backward(root: Tensor, grad: Any, retain_graph: bool) -> None:
    """Backpropagate ``grad`` (an array shaped like ``root``) through ``root``'s graph."""
    if root.grad_fn is None:
        _accumulate_leaf(root, grad)
        return
    node_grads = {id(root.grad_fn): grad}
    leaf_grads: dict[int, list] = {}
    with no_grad():
        for node in _topological_order(root.grad_fn):
            g = node_grads.pop(id(node), None)
            if g is None:
                continue
            if node._hooks:
                g = _run_hooks(node._hooks, g)
            if node._freed:
                raise RuntimeError(
                    f"Trying to backward through the graph a second time ({node.name()}): its saved "
                    "arrays were freed after the first backward. Pass retain_graph=True to the first "
                    "backward() if you need to backward twice."
                )
            for t, v in zip(node.inputs, node.versions):
                if t is not None and t._version != v:
                    raise RuntimeError(
                        f"one of the tensors needed for gradient computation ({node.name()}, shape "
                        f"{tuple(t.shape)}) has been modified by an in-place operation: version {t._version}, "
                        f"expected {v}"
                    )
            grads = node.backward(g)
            if type(grads) is not tuple:
                grads = (grads,)
            for t, ig in zip(node.inputs, grads):
                if ig is None or t is None or not t.requires_grad:
                    continue
                fn = t.grad_fn
                if fn is None:
                    entry = leaf_grads.get(id(t))
                    if entry is None:
                        leaf_grads[id(t)] = [t, ig]
                    else:
                        entry[1] = entry[1] + ig
                else:
                    key = id(fn)
                    prev = node_grads.get(key)
                    node_grads[key] = ig if prev is None else prev + ig
            if not retain_graph:
                node.release()
        for leaf, g in leaf_grads.values():
            _accumulate_leaf(leaf, g)
