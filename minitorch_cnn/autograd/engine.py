"""Backward: an iterative topological sort, then one sweep in reverse order.

No recursion, so a chain of 100,000 ops backprops without RecursionError. Each node's
gradient is summed over all its uses before its backward runs (so hooks see the total); leaf gradients are
summed likewise and accumulated into ``.grad`` at the end.

Ownership is explicit: the engine adds in place only into arrays it allocated itself (a sum, a dtype cast) or
that a Function declares fresh (``Function.fresh_grads``), and hands such an array to a leaf's ``.grad`` without
a copy; anything else (a pass-through gradient, a view, the caller's array) is copied before it is written.

Before a node's backward runs, the version counters of its inputs and output are checked
against the forward pass, so an in-place write in between raises instead of giving silently
wrong gradients; the gradients it returns are checked for shape and cast to each input's dtype.

A node with several outputs (``Function.multi_output``, a custom Function returning a tuple) collects its
gradients per output number (each Tensor's ``_output_nr``) in a dict, and its backward receives that dict.

Two paths, one sweep: first order (the default) runs each ``Function.backward`` on raw arrays under no_grad;
with ``create_graph`` gradients are Tensors, each node runs ``backward_graph`` with grad mode on, sums and
``.grad`` accumulation are recorded out of place, and nothing is released.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from ..backend import as_array
from .anomaly_mode import _anomaly, check_grads
from .edge import Edge
from .function import VIEW_HOOKS
from .grad_mode import _enabled
from .graph import PACKED as _PACKED
from .graph import repack_node, unpack_node
from .node_hooks import KEY as _NODE_HOOKS
from .node_hooks import run_post, run_pre
from .profiling import recorder as _recorder
from .tensor import Tensor


def _topological_order(roots: Sequence) -> list:
    """Nodes reachable from the tensors ``roots``, each after all nodes that feed gradients into it."""
    order: list = []
    seen: set = set()
    stack: list = [(None, iter(roots))]
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
            if node is not None:
                order.append(node)
    order.reverse()
    return order



def _add_to_output(node_grads: dict, fn: Any, nr: int, g: Any) -> None:
    """Sum ``g`` into output ``nr``'s gradient of the several-output node ``fn`` (never in place: the engine owns
    none of these)."""
    slots = node_grads.get(fn)
    if slots is None:
        node_grads[fn] = {nr: g}
    else:
        prev = slots.get(nr)
        slots[nr] = g if prev is None else prev + g


def _run_hooks(hooks: list, grad: Any, graph: bool) -> Any:
    """Each hook sees the gradient as a Tensor; a returned Tensor replaces it (an array on the first-order path)."""
    for hook in list(hooks):
        out = hook(grad if graph else Tensor._wrap(as_array(grad)))
        if out is not None:
            new = out if graph else (out._data if isinstance(out, Tensor) else out)
            if new.shape != grad.shape:
                raise RuntimeError(f"a hook returned a gradient of shape {tuple(new.shape)}, expected "
                                   f"{tuple(grad.shape)}")
            grad = new
    return grad


def _accumulate_leaf(leaf: Tensor, grad: Any, owned: bool, graph: bool) -> None:
    """Add ``grad`` into ``leaf.grad``: in place on the first-order path (copying ``grad`` first unless the engine
    owns it), out of place and recorded with ``create_graph``."""
    if leaf._hooks:
        grad = _run_hooks(leaf._hooks, grad, graph)
        owned = False  # a hook may have kept the array it saw
    dtype = leaf._data.dtype
    if grad.dtype is not dtype and grad.dtype != dtype:
        grad = grad.to(dtype) if graph else grad.astype(dtype)
        owned = True
    if graph:
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
    elif leaf.grad is None:
        leaf.grad = Tensor._wrap(as_array(grad if owned else grad.copy()))
    else:
        leaf.grad._data += grad
    if leaf._post_hooks:
        for hook in list(leaf._post_hooks):
            hook(leaf)


def _modified_error(node: Any) -> RuntimeError:
    """Which saved tensor of ``node`` was written in place after the forward pass."""
    what, shape, now, then = "its output", node.out_meta[0], node._out_vc[0], node._out_version
    for i, (t, v) in enumerate(zip(node.inputs, node.versions)):
        if t is not None and t._version_counter[0] != v:
            what, shape, now, then = f"input {i}", tuple(t.shape), t._version_counter[0], v
            break
    return RuntimeError(
        f"one of the tensors needed for gradient computation ({node.name()}, {what} of shape {shape}) has been "
        f"modified by an in-place operation: it is at version {now}, expected version {then}. Don't modify "
        "tensors in place between the forward pass and backward (clone() them first)."
    )


def _check_grad_count(node: Any, grads: tuple) -> None:
    """Trailing non-Tensor arguments may go without a gradient; a Tensor that requires grad may not. Gradients past
    the last input must be None: torch drops them (a backward written for more arguments than were passed)."""
    inputs, n = node.inputs, len(grads)
    if any(g is not None for g in grads[len(inputs):]) or any(t is not None and t.requires_grad for t in inputs[n:]):
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


def _reaching(order: list, target_nodes: set, target_leaves: set) -> set:
    """The nodes whose backward leads to a target (``order`` is the topological order)."""
    reach: set = set()
    for node in reversed(order):
        for t in node.inputs:
            if t is not None and t.requires_grad and (
                (t.grad_fn is None and id(t) in target_leaves)
                or (t.grad_fn is not None and (t.grad_fn in target_nodes or t.grad_fn in reach))
            ):
                reach.add(node)
                break
    return reach


def run_backward(
    roots: Sequence[Tensor], grads: Sequence[Any], retain_graph: bool, create_graph: bool = False,
    targets: Sequence[Tensor] | None = None, accumulate: bool = True,
) -> dict:
    """Backpropagate ``grads`` (arrays, or Tensors with ``create_graph``, shaped like ``roots``) through the graph.

    With ``targets`` only the nodes leading to them run and the result maps each target's ``id`` to its gradient
    (the node's or leaf's summed gradient); with ``accumulate`` leaves (all of them, or the targets) get ``.grad``.
    """
    graph = create_graph
    for t in (*roots, *(targets or ())):
        if t._base is not None and t._base_fn is not t._base.grad_fn:
            VIEW_HOOKS[0](t)  # a view whose base was written since: its grad_fn re-derived first
    node_grads: dict = {}  # Functions hash by identity
    owned_nodes: set = set()
    leaf_grads: dict[int, list] = {}
    captured: dict = {}
    target_nodes: dict = {}
    for t in targets if targets is not None else ():
        if t.grad_fn is not None:
            target_nodes.setdefault(t.grad_fn, []).append(t)
    target_leaves = {id(t) for t in targets if t.grad_fn is None} if targets is not None else set()
    for r, g in zip(roots, grads):
        fn = r.grad_fn
        if fn is None:
            entry = leaf_grads.get(id(r))
            if entry is None:
                leaf_grads[id(r)] = [r, g, False]
            else:
                entry[1], entry[2] = entry[1] + g, True
        elif fn.multi_output:
            _add_to_output(node_grads, fn, r._output_nr, g)
        else:
            prev = node_grads.get(fn)
            node_grads[fn] = g if prev is None else prev + g
    order = _topological_order(roots)
    reach = _reaching(order, set(target_nodes), target_leaves) if targets is not None else None
    prev_mode = _enabled[0]
    _enabled[0] = graph  # first-order backward functions record no graph; create_graph records
    try:
        for node in order:
            g = node_grads.pop(node, None)
            if g is None:
                continue
            owned = node in owned_nodes
            if owned:
                owned_nodes.discard(node)
            multi = node.multi_output
            if node._hooks:
                # a hook sees each output's gradient of a several-output node
                g = {k: _run_hooks(node._hooks, v, graph) for k, v in g.items()} if multi else _run_hooks(
                    node._hooks, g, graph)
                owned = False  # a hook may have kept the array it saw, or returned one of its own
            node_hooks = node.__dict__.get(_NODE_HOOKS) if node.__dict__ else None
            if node_hooks and node_hooks[0]:
                g, owned = run_pre(node, node_hooks[0], g, multi, graph), False
            if node in target_nodes:
                for t in target_nodes[node]:
                    if not multi:
                        captured[id(t)] = (g, owned)
                    elif t._output_nr in g:
                        captured[id(t)] = (g[t._output_nr], False)
            if reach is not None and node not in reach:
                continue
            if node._freed:
                raise _freed_error(node)
            inputs = node.inputs
            for t, v in zip(inputs, node.versions):
                if t is not None and t._version_counter[0] != v:
                    raise _modified_error(node)
            if node._out_vc[0] != node._out_version:
                raise _modified_error(node)
            packed = node.__dict__.get(_PACKED) if node.__dict__ else None
            if packed is not None:  # saved under saved_tensors_hooks: unpacked for this backward only
                unpack_node(node, packed)
            if graph:
                bg = node.backward_graph
                if bg is not None:
                    grads_in = bg(g)
                else:
                    from .once_differentiable import once  # only here: it subclasses Function, which needs us

                    grads_in = once(node, g)
            elif _recorder[0] is not None:
                handle = _recorder[0].begin(node.name(), (g,))
                try:
                    grads_in = node.backward(g)
                finally:
                    _recorder[0].end(handle)
            else:
                grads_in = node.backward(g)
            if packed is not None:
                repack_node(node, packed)
            if type(grads_in) is not tuple:
                grads_in = (grads_in,)
            if len(grads_in) != len(inputs):
                _check_grad_count(node, grads_in)
                grads_in = grads_in[:len(inputs)]  # what is left past the inputs is None: torch drops it
            if node_hooks and node_hooks[1]:
                grads_in = run_post(node, node_hooks[1], grads_in, g, multi, graph)
            if _anomaly[0] and _anomaly[1]:
                check_grads(node, grads_in)
            fresh = node.fresh_grads
            for t, ig in zip(inputs, grads_in):
                if ig is None or t is None or not t._requires_grad:
                    continue
                shape, dtype = (t.shape, t.dtype) if type(t) is Edge else (t._data.shape, t._data.dtype)
                if ig.shape != shape:
                    raise _bad_grad(node, grads_in, ig)
                mine = fresh
                if ig.dtype is not dtype and ig.dtype != dtype:
                    ig = ig.to(dtype) if graph else ig.astype(dtype)
                    mine = True
                fn = t.grad_fn
                if fn is None:
                    entry = leaf_grads.get(id(t))
                    if entry is None:
                        leaf_grads[id(t)] = [t, ig, mine]
                    elif entry[2] and not graph:
                        entry[1] += ig
                    else:
                        entry[1], entry[2] = entry[1] + ig, True
                elif fn.multi_output:
                    _add_to_output(node_grads, fn, t._output_nr, ig)
                else:
                    prev = node_grads.get(fn)
                    if prev is None:
                        node_grads[fn] = ig
                        if mine:
                            owned_nodes.add(fn)
                    elif fn in owned_nodes and not graph:
                        # a residual block's input gets two gradients of its size: adding into the first saves
                        # an allocation (small ResNet: 1.46 ms of a step for two such sums, measured); stored again
                        # because a 0-d product comes back as a NumPy scalar, which ``+=`` replaces
                        prev += ig
                        node_grads[fn] = prev
                    else:
                        node_grads[fn] = prev + ig
                        owned_nodes.add(fn)
            if not retain_graph:
                node.release()
        for key, (leaf, g, owned) in leaf_grads.items():
            if key in target_leaves:
                captured[key] = (g, owned)
            if accumulate and (targets is None or key in target_leaves):
                _accumulate_leaf(leaf, g, owned, graph)
        if accumulate and targets is not None:
            for t in targets:
                if t.grad_fn is not None and id(t) in captured:
                    g, owned = captured[id(t)]
                    t.grad = (g if t.grad is None else t.grad + g) if graph else Tensor._wrap(
                        as_array(g.copy() if t.grad is None else t.grad._data + g))
    finally:
        _enabled[0] = prev_mode
    return captured


def _as_tuple(x: Any, what: str) -> tuple:
    t = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    for i, a in enumerate(t):
        if not isinstance(a, Tensor):
            raise TypeError(f"grad: {what} must be Tensors, got {type(a).__name__} at index {i}")
    return t


def root_grad(root: Tensor, gradient: Any, create_graph: bool, what: str) -> Any:
    """The upstream gradient for ``root``: ones for a one-element root when omitted, checked for shape; a Tensor
    with ``create_graph`` (so it may carry a graph itself), else a raw array."""
    data = root._data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: {what} has shape {tuple(root.shape)}; "
                "pass a gradient of that shape"
            )
        from .. import backend

        g = Tensor._wrap(backend.array_module(data).ones_like(data))
    else:
        g = gradient if isinstance(gradient, Tensor) else Tensor._wrap(gradient)
        if type(g._data) is not type(data) or g._data.dtype != data.dtype:
            from .. import backend

            g = Tensor._wrap(backend.array_module(data).asarray(g._data, dtype=data.dtype))
        if g.shape != data.shape:
            raise RuntimeError(
                f"{what}: gradient has shape {tuple(g.shape)} but the output has shape {tuple(root.shape)}"
            )
    return g if create_graph else g._data


def grad(
    outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
    create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple:
    """``torch.autograd.grad``: the sum over ``outputs`` of grad_output · d(output)/d(input), for each input.

    Leaves' ``.grad`` are untouched. With ``create_graph`` the results carry a graph (differentiate them again);
    ``retain_graph`` defaults to ``create_graph``. An input the outputs do not depend on raises unless
    ``allow_unused`` (then its gradient is None, or zeros with ``materialize_grads``).
    """
    if not only_inputs:  # torch's deprecated argument: ignored, with its warning
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.", FutureWarning,
                      stacklevel=2)
    outs = _as_tuple(outputs, "outputs")
    ins = _as_tuple(inputs, "inputs")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if grad_outputs is None:
        gouts: tuple = (None,) * len(outs)
    else:
        gouts = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
        if len(gouts) != len(outs):
            raise RuntimeError(f"grad_outputs has {len(gouts)} entries but there are {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    roots, seeds = [], []
    for i, (o, go) in enumerate(zip(outs, gouts)):
        if not o.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(o)
        seeds.append(root_grad(o, go, create_graph, f"grad: output {i}"))
    retain = create_graph if retain_graph is None else retain_graph
    captured = run_backward(roots, seeds, retain, create_graph, targets=ins, accumulate=False)
    result = []
    for i, t in enumerate(ins):
        got = captured.get(id(t))
        if got is None:
            if not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}, shape {tuple(t.shape)}) appears to not have "
                    "been used in the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                from .. import backend

                result.append(Tensor._wrap(backend.array_module(t._data).zeros_like(t._data)))
            else:
                result.append(None)
            continue
        g, owned = got
        if create_graph:
            result.append(g)
        else:
            result.append(Tensor._wrap(as_array(g if owned else g.copy())))
    return tuple(result)


def backward(
    self: Tensor, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False, inputs: Any = None
) -> None:
    """Accumulate d(self)/d(leaf) · gradient into every leaf's ``.grad`` (only ``inputs``' when given).

    ``gradient`` may be omitted only for a one-element tensor, as in torch. With ``create_graph`` the
    gradients carry a graph (differentiate them again) and ``retain_graph`` defaults to True.
    """
    if not self.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    g = root_grad(self, gradient, create_graph, "backward")
    targets = None
    if inputs is not None:
        targets = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
        if not targets:
            raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
        for t in targets:
            if not isinstance(t, Tensor) or not t.requires_grad:
                raise RuntimeError("backward: every tensor in inputs must be a Tensor that requires grad")
    retain = create_graph if retain_graph is None else retain_graph
    run_backward((self,), (g,), bool(retain), create_graph, targets=targets)


backward.__qualname__ = "Tensor.backward"
Tensor.backward = backward  # a Tensor method, defined here so that tensor.py need not import the engine
