"""``Function``: one node of the autograd graph.

A subclass writes ``forward(self, *arrays, **kw) -> array`` and ``backward(self, grad) -> grads``
on raw arrays (NumPy or CuPy); ``self`` is the context: whatever forward stores on it is what
backward reads. ``apply`` wraps the arrays of Tensor arguments, runs forward, and when any input
requires grad links the output into the graph.

Second order (``create_graph=True``): the engine calls ``backward_graph(self, grad: Tensor)`` instead, the
same derivative written in differentiable Tensor ops, so the gradients it returns carry a graph of their own.
``self.input_tensor(i, array)`` and ``self.output_tensor(array)`` turn what forward saved back into Tensors
that sit in the graph where input ``i`` / the output sat. A Function without ``backward_graph`` is
differentiable once: its gradients come from ``backward`` and differentiating them again raises, naming it
(torch's ``once_differentiable``). Composites of Functions that have one are differentiable twice for free.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

import numpy as np

from .anomaly_mode import _anomaly, forward_stack
from .edge import Edge
from .grad_mode import _enabled, no_grad
from .graph import _stack as _saved_hooks
from .graph import pack_node
from .profiling import recorder as _recorder
from .tensor import Tensor

_new = object.__new__
_wrap = Tensor._wrap
_ndarray = np.ndarray

# Called with every Function subclass whose forward is a staticmethod (torch's API): ctx_function registers its
# ``adopt`` here when the package loads, so that module depends on this one and not the other way round.
TORCH_STYLE_HOOKS: list = []
# ``views.refresh``, registered the same way: re-derives a view whose base's graph changed since it was made.
VIEW_HOOKS: list = []


def once_differentiable(fn: Any) -> Any:
    """torch's decorator for a custom Function's backward that is not itself differentiable: it runs with grad
    mode off, and under ``create_graph`` the gradients it gives raise when differentiated again."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            return fn(ctx, *args)

    wrapper.once_differentiable = True
    return wrapper


class Function:
    """Base class of every differentiable op.

    Engine fields live in slots; what a subclass saves lives in its ``__dict__``, which the
    engine clears after backward (unless ``retain_graph``) to free memory.
    """

    __slots__ = (
        "inputs", "versions", "needs_input_grad", "_out_vc", "_out_version", "_hooks", "_freed", "out_meta",
        "__dict__", "__weakref__",
    )

    # True when ``backward`` always returns newly allocated, writeable arrays, a distinct one per input: the engine
    # may then sum later gradients into them in place and hand them to ``.grad`` without a copy.
    fresh_grads = False

    # True for a node with several differentiable outputs (a custom Function returning a tuple): the engine then
    # hands ``backward`` a dict {output number: gradient} of the outputs that received one.
    multi_output = False

    # The positional arguments torch's node for this op lists in ``next_functions`` (a non-Tensor one, such as the
    # Python scalar of ``x * 2`` or a conv's absent bias, as ``(None, 0)``); None: the Tensor arguments.
    torch_edges: tuple | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):  # torch's API: forward(ctx, *tensors)
            for hook in TORCH_STYLE_HOOKS:
                hook(cls)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> Any:
        raise NotImplementedError

    backward_graph: Any = None  # (self, grad: Tensor) -> Tensor | tuple, in differentiable ops; see the docstring

    def input_tensor(self, i: int, array: Any) -> Tensor:
        """What forward saved of input ``i`` (its ``array``) as a Tensor in the graph where that input was: a leaf
        that requires grad is itself, an intermediate one a Tensor of the same node and version counter."""
        t = self.inputs[i]
        if t is not None and type(t) is not Edge:
            return t
        r = _wrap(np.asarray(array) if isinstance(array, np.generic) else array)
        if t is not None:
            r._version_counter, r._requires_grad, r.grad_fn = t._version_counter, t.requires_grad, t.grad_fn
            r._output_nr = t._output_nr
        return r

    def output_tensor(self, array: Any) -> Tensor:
        """This node's output (``array``, saved by forward) as a Tensor whose grad_fn is this node."""
        r = _wrap(array)
        r._version_counter, r._requires_grad, r.grad_fn = self._out_vc, True, self
        return r

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run the op on ``args`` (Tensors or anything else, passed through) and record it."""
        ctx = _new(cls)
        arrays = []
        requires = False
        for a in args:
            if isinstance(a, Tensor):
                if a._base is not None and a._base_fn is not a._base.grad_fn:
                    VIEW_HOOKS[0](a)
                arrays.append(a._data)
                if a._requires_grad:  # the slot: this loop runs for every op
                    requires = True
            else:
                arrays.append(a)
        if requires and _enabled[0]:
            ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        else:
            requires = False
            ctx.needs_input_grad = (False,) * len(args)
        rec = _recorder[0]
        if rec is not None:
            handle = rec.begin(f"mt::{cls.__name__}", args)
        try:
            out = ctx.forward(*arrays, **kwargs)
        except (ValueError, TypeError, IndexError) as exc:
            shapes = ", ".join(str(tuple(a.shape)) for a in args if isinstance(a, Tensor))
            kind = IndexError if isinstance(exc, IndexError) else RuntimeError
            raise kind(f"{cls.__name__}: {exc} (input shapes: {shapes})") from exc
        finally:
            if rec is not None:
                rec.end(handle)
        if type(out) is not _ndarray and isinstance(out, np.generic):  # NumPy turns 0-d results into scalars
            out = np.asarray(out)
        result = _wrap(out)
        if requires and out.dtype.kind not in "fc":  # integer and bool results never require grad, as torch's
            requires = False
        base = out.base
        if base is not None:
            # a view of an input shares its version counter, so in-place writes through either are seen, and
            # remembers the tensor that owns the storage, for writes into it inside a graph
            for a in args:
                if isinstance(a, Tensor) and (a._data is base or a._data.base is base):
                    result._version_counter = a._version_counter
                    root = a if a._base is None else a._base
                    result._base, result._base_fn = root, root.grad_fn
                    result._inference = a._inference
                    break
        if requires:
            inputs = []
            versions = []
            for a in args:
                if isinstance(a, Tensor):
                    inputs.append(a if a.grad_fn is None and a._requires_grad else Edge(a))
                    versions.append(a._version_counter[0])
                else:
                    inputs.append(None)
                    versions.append(0)
            ctx.inputs = tuple(inputs)
            ctx.versions = tuple(versions)
            ctx._out_vc = result._version_counter
            ctx._out_version = result._version_counter[0]
            ctx._hooks = None
            ctx._freed = False
            ctx.out_meta = (out.shape, out.dtype)  # (shape, dtype) of the output, for graph views (mt.viz)
            if _anomaly[0]:
                ctx._anomaly_stack = forward_stack()
            result._requires_grad = True
            result.grad_fn = ctx
            if _saved_hooks:  # saved_tensors_hooks are open: what the node saved is stored packed (autograd/graph)
                pack_node(ctx, args, result)
        return result

    def release(self) -> None:
        """Free what forward saved; a later backward through this node raises."""
        if self.__dict__:
            self.__dict__.clear()
            self._freed = True

    def _add_tensor_hook(self, hook: Any) -> None:
        """A hook of the tensor this node made (``Tensor.register_hook``, ``retain_grad``): ``hook(grad_tensor) ->
        Tensor | None`` runs on this node's summed output gradient."""
        if self._hooks is None:
            self._hooks = []
        if self._hooks and getattr(self._hooks[-1], "retains_grad", False):
            self._hooks.insert(len(self._hooks) - 1, hook)  # retain_grad() records the grad after every hook
        else:
            self._hooks.append(hook)

    def register_hook(self, hook: Any) -> Any:
        """torch's ``Node.register_hook``: ``hook(grad_inputs, grad_outputs) -> tuple | None`` runs after this
        node's backward (see ``autograd/node_hooks.py``); returns a ``RemovableHandle``."""
        from .node_hooks import register

        return register(self, hook, pre=False)

    def register_prehook(self, hook: Any) -> Any:
        """torch's ``Node.register_prehook``: ``hook(grad_outputs) -> tuple | None`` runs before this node's
        backward; returns a ``RemovableHandle``."""
        from .node_hooks import register

        return register(self, hook, pre=True)

    def name(self) -> str:
        """torch's node name (``MulBackward0``) where the op sets one (``torch_name``), else ``<Class>Backward0``."""
        cls = type(self)
        return cls.__dict__.get("torch_name") or cls.__name__ + "Backward0"

    @property
    def next_functions(self) -> tuple:
        """``(node, output number)`` per Tensor input, as torch: the node that made it, an ``AccumulateGrad`` for
        a leaf that requires grad, None for an input that needs no gradient."""
        out = []
        shown = type(self).torch_edges
        for i, t in enumerate(getattr(self, "inputs", ())):
            if shown is not None and i not in shown:
                continue
            if t is None:  # a non-Tensor argument: listed without a node where torch lists it, else not at all
                if shown is not None:
                    out.append((None, 0))
                continue
            if not t.requires_grad:
                out.append((None, 0))
            elif t.grad_fn is not None:
                out.append((t.grad_fn, t._output_nr))
            else:
                out.append((AccumulateGrad.of(t), 0))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"  # as torch prints a node


class FusedStep:
    """A step that torch's graph has as a node of its own and a fused node of ours does inside itself (the W.t()
    of a Linear, the log_softmax of a cross-entropy): shown in ``next_functions`` between that node and
    ``input`` (a Tensor or Edge) so that the graph reads as torch's. Backward never visits it."""

    next_functions = Function.next_functions
    torch_edges = None

    def __init__(self, torch_name: str, input: Any) -> None:  # noqa: A002 - the input it stands before
        self.torch_name, self.inputs = torch_name, (input,)

    def name(self) -> str:
        return self.torch_name

    def __repr__(self) -> str:
        return f"<{self.torch_name} object at {hex(id(self))}>"


class AccumulateGrad:
    """The graph's end for a leaf that requires grad, as torch's: ``.variable`` is the leaf; one per leaf."""

    _live: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @classmethod
    def of(cls, variable: Tensor) -> AccumulateGrad:
        node = cls._live.get(id(variable))
        if node is None or node.variable is not variable:
            node = cls._live[id(variable)] = cls(variable)
        return node

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"
