"""Backward: an iterative topological sort, then one sweep in reverse order.

No recursion, so a chain of 100,000 ops backprops without RecursionError. Each node's
gradient is summed over all its uses before its backward runs (so hooks see the total), into the
first gradient's array when nothing else holds it; leaf gradients are summed likewise and
accumulated into ``.grad`` at the end.

Before a node's backward runs, the version counters of its inputs and output are checked
against the forward pass, so an in-place write in between raises instead of giving silently
wrong gradients; the gradients it returns are checked for shape and cast to each input's dtype.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from .edge import Edge
from .grad_mode import _enabled
from .tensor import Tensor


def _topological_order(root: Any) -> list:
    """Nodes reachable from ``root``, each after all nodes that feed gradients into it."""
    order: list = []
    seen = {root}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, it = stack[-1]
        for t in it:
            if t is not None:
                fn = t.grad_fn
                if fn is not None and fn not in seen:
                    seen.add(fn)
                    stack.append((fn, iter(fn.inputs)))
                    break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def _as_array(a: Any) -> Any:
    """NumPy hands 0-d results back as scalars; tensors always hold arrays."""
    return np.asarray(a) if isinstance(a, np.generic) else a


def _run_hooks(hooks: list, grad: Any) -> Any:
    for hook in list(hooks):
        out = hook(Tensor._wrap(_as_array(grad)))
        if out is not None:
            new = out._data if isinstance(out, Tensor) else out
            if new.shape != grad.shape:
                raise RuntimeError(f"a hook returned a gradient of shape {tuple(new.shape)}, expected "
                                   f"{tuple(grad.shape)}")
            grad = new
    return grad


def _baseline_refs() -> tuple[int, int]:
    """References a private gradient (and the base of a private view) has inside ``_accumulate_leaf``: the
    engine's entry, the loop variable, the argument, the local ``base``, getrefcount's own. Measured through the
    same call structure, so it holds on any CPython version."""
    seen = []

    def probe(leaf: Any, grad: Any) -> None:
        base = grad.base
        seen.append((sys.getrefcount(grad), sys.getrefcount(base)))

    for leaf, g in {0: [None, np.empty(4).reshape(2, 2)]}.values():
        probe(leaf, g)
    return seen[0]


_UNSHARED_REFS, _UNSHARED_BASE_REFS = _baseline_refs()


def _owned(grad: Any) -> bool:
    """Whether a node's pending gradient (an entry of ``run_backward``'s ``node_grads``) may be added to in place:
    it owns its memory, is writeable, and nothing but that entry, the caller's local and this call see it."""
    return (getattr(grad, "base", 0) is None and getattr(grad.flags, "writeable", True)  # CuPy has no read-only
            and sys.getrefcount(grad) <= _OWNED_REFS)


def _owned_refs() -> int:
    """References ``_owned`` sees for an array only ``node_grads`` holds, measured through the same call
    structure (as ``_baseline_refs``)."""
    seen = []

    def probe(grad: Any) -> bool:
        seen.append(sys.getrefcount(grad))
        return True

    node_grads = {0: np.empty(2)}
    prev = node_grads.get(0)
    probe(prev)
    return seen[0]


_OWNED_REFS = _owned_refs()


def _accumulate_leaf(leaf: Tensor, grad: Any) -> None:
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad)
    dtype = leaf._data.dtype
    if grad.dtype is not dtype and grad.dtype != dtype:
        grad = grad.astype(dtype)
    if leaf.grad is None:
        # Backward functions may hand the same array (or a read-only broadcast view) to several inputs, so the
        # gradient is copied unless nobody else can see it: not a view, and referenced only by the engine's own
        # entry, the caller's loop variable, this frame and getrefcount's argument (torch's AccumulateGrad steals
        # the same way). Saves a parameter-sized copy per leaf per step.
        base = grad.base
        private = sys.getrefcount(grad) <= _UNSHARED_REFS and (
            base is None
            # a contiguous view (a reshape) of an array that nothing else holds is private too
            or (base.base is None and grad.flags.c_contiguous and sys.getrefcount(base) <= _UNSHARED_BASE_REFS)
        )
        if not private:
            grad = grad.copy()
        leaf.grad = Tensor._wrap(_as_array(grad))
    else:
        leaf.grad._data += grad
    if leaf._post_hooks:
        for hook in list(leaf._post_hooks):
            hook(leaf)


def _modified_error(node: Any) -> RuntimeError:
    """Which saved tensor of ``node`` was written in place after the forward pass."""
    what, shape, now, then = "its output", node.out_meta[0], node._out_vc[0], node._out_version
    for i, (t, v) in enumerate(zip(node.inputs, node.versions)):
        if t is not None and t._vc[0] != v:
            what, shape, now, then = f"input {i}", tuple(t.shape), t._vc[0], v
            break
    return RuntimeError(
        f"one of the tensors needed for gradient computation ({node.name()}, {what} of shape {shape}) has been "
        f"modified by an in-place operation: it is at version {now}, expected version {then}. Don't modify "
        "tensors in place between the forward pass and backward (clone() them first)."
    )


def _check_grad_count(node: Any, n: int) -> None:
    """Trailing non-Tensor arguments may go without a gradient; a Tensor that requires grad may not."""
    inputs = node.inputs
    if n > len(inputs) or any(t is not None and t.requires_grad for t in inputs[n:]):
        raise RuntimeError(
            f"Function {node.name()} returned {n} gradients for {len(inputs)} positional inputs: expected one "
            "per input of forward (None where not needed)"
        )


def _bad_grad(node: Any, grads: tuple, grad: Any) -> RuntimeError:
    i = next(k for k, g in enumerate(grads) if g is grad)
    return RuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {i}: got shape {tuple(grad.shape)}, "
        f"expected the input's shape {tuple(node.inputs[i].shape)}"
    )


def _freed_error(node: Any) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time ({node.name()}): its saved arrays were freed "
        "after the first backward. Pass retain_graph=True to the first backward() if you need to backward twice."
    )


def run_backward(root: Tensor, grad: Any, retain_graph: bool) -> None:
    """Backpropagate ``grad`` (an array shaped like ``root``) through ``root``'s graph."""
    if root.grad_fn is None:
        _accumulate_leaf(root, grad)
        return
    node_grads = {root.grad_fn: grad}  # Functions hash by identity
    leaf_grads: dict[int, list] = {}
    prev_mode = _enabled[0]
    _enabled[0] = False  # backward functions record no graph
    try:
        for node in _topological_order(root.grad_fn):
            g = node_grads.pop(node, None)
            if g is None:
                continue
            if node._hooks:
                g = _run_hooks(node._hooks, g)
            if node._freed:
                raise _freed_error(node)
            inputs = node.inputs
            for t, v in zip(inputs, node.versions):
                if t is not None and t._vc[0] != v:
                    raise _modified_error(node)
            if node._out_vc[0] != node._out_version:
                raise _modified_error(node)
            grads = node.backward(g)
            if type(grads) is not tuple:
                grads = (grads,)
            if len(grads) != len(inputs):
                _check_grad_count(node, len(grads))
            for t, ig in zip(inputs, grads):
                if ig is None or t is None or not t.requires_grad:
                    continue
                shape, dtype = (t.shape, t.dtype) if type(t) is Edge else (t._data.shape, t._data.dtype)
                if ig.shape != shape:
                    raise _bad_grad(node, grads, ig)
                if ig.dtype is not dtype and ig.dtype != dtype:
                    ig = ig.astype(dtype)
                fn = t.grad_fn
                if fn is None:
                    entry = leaf_grads.get(id(t))
                    if entry is None:
                        leaf_grads[id(t)] = [t, ig]
                    else:
                        entry[1] = entry[1] + ig
                else:
                    prev = node_grads.get(fn)
                    if prev is None:
                        node_grads[fn] = ig
                    elif prev.dtype == ig.dtype and _owned(prev):
                        # a residual block's input gets two gradients of its size: adding into the first saves
                        # an allocation (small ResNet: 1.46 ms of a step for two such sums, measured)
                        prev += ig
                    else:
                        node_grads[fn] = prev + ig
            if not retain_graph:
                node.release()
        grads = ig = g = None  # drop the last node's references so its gradients count as private
        for leaf, g in leaf_grads.values():
            _accumulate_leaf(leaf, g)
    finally:
        _enabled[0] = prev_mode
