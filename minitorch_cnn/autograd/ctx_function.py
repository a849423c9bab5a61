"""torch's custom-Function API beside ours: ``forward(ctx, *tensors)`` / ``backward(ctx, *grads)`` as
staticmethods, on Tensors, or torch 2's split form (``forward(*args)`` without ctx, then ``setup_context(ctx,
inputs, output)``, inputs being the arguments bound to forward's signature with its defaults filled in, as
torch), with ``ctx.save_for_backward`` (packed by open ``saved_tensors_hooks``, unpacked by every read of
``ctx.saved_tensors``, as torch), ``ctx.saved_tensors``, ``ctx.needs_input_grad``, ``ctx.mark_non_differentiable``,
``ctx.set_materialize_grads``, and ``once_differentiable`` (defined in ``function``, where torch has it). forward
may return a tuple: every float Tensor in it not marked non-differentiable is an output of the node, and backward
receives one gradient per returned item.

A ``Function`` subclass whose ``forward`` is a staticmethod is adopted at class creation (``adopt``): its
``apply`` runs the user's forward with grad mode off (ops inside record nothing), wraps the result in a new
Tensor and links it into the graph with the node itself as the ctx; the engine then calls the node's
``backward({output number: grad_array})``, which hands the user's backward one Tensor per output (zeros or None
where an output got none) and returns its gradients as arrays. Our own array-level API (``forward(self,
*arrays)``) is untouched.
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import backend
from .edge import Edge
from .function import TORCH_STYLE_HOOKS, VIEW_HOOKS
from .grad_mode import _enabled, no_grad
from .graph import _stack as _saved_hooks
from .graph import is_packed, pack_tensors
from .tensor import Tensor


class _Ctx:
    """What torch's ctx offers; mixed into an adopted class."""

    def save_for_backward(self, *tensors: Any) -> None:
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        if "_released" in self.__dict__:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors after they "
                "have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved tensors after calling backward."
            )
        saved = tuple(t.tensor(self) if is_packed(t) else t for t in self.__dict__.get("to_save", ()))
        for t, v in zip(self.__dict__.get("to_save", ()), self.__dict__.get("saved_versions", ())):
            if isinstance(t, Tensor) and t._version_counter[0] != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.type()} {list(t.shape)}], which is saved by {self.name()}, is at version "
                    f"{t._version_counter[0]}; expected version {v} instead."
                )
        return saved

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self.__dict__.setdefault("non_differentiable", []).extend(tensors)

    def mark_dirty(self, *tensors: Any) -> None:
        """torch needs to be told which inputs forward changed in place; here the version counters already
        track that (forward's writes bump them), so nothing more is needed."""

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    def release(self) -> None:
        """After backward, as torch: only the saved tensors are freed, and ``saved_tensors`` then raises (so does a
        second backward whose backward reads them); what else forward stored on ctx stays."""
        self.__dict__.pop("to_save", None)
        self.__dict__.pop("saved_versions", None)
        self._released = True


def _apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    if cls._setup_context is not None:  # torch >= 2.0 style: forward(*args), then setup_context(ctx, inputs, output)
        bound = inspect.signature(cls._user_forward).bind(*args, **kwargs)
        bound.apply_defaults()
        args, kwargs = tuple(bound.args), bound.kwargs
    node = object.__new__(cls.__dict__.get("_backward_cls", cls))
    node._freed = False
    for a in args:
        if isinstance(a, Tensor) and a._base is not None and a._base_fn is not a._base.grad_fn:
            VIEW_HOOKS[0](a)
    grads = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    recording = _enabled[0] and any(grads)
    node.needs_input_grad = grads if recording else (False,) * len(args)
    with no_grad():
        if cls._setup_context is None:
            out = cls._user_forward(node, *args, **kwargs)
        else:
            out = cls._user_forward(*args, **kwargs)
            cls._setup_context(node, args, out)
    many = isinstance(out, tuple)
    originals = out if many else (out,)
    outs = tuple(Tensor._wrap(o._data) if isinstance(o, Tensor) else o for o in originals)
    if recording:
        skip = {id(t) for t in node.__dict__.get("non_differentiable", ())}
        # the outputs that take a gradient: float Tensors not marked non-differentiable, numbered in order
        linked = [i for i, (o, orig) in enumerate(zip(outs, originals))
                  if isinstance(o, Tensor) and id(orig) not in skip and o._data.dtype.kind == "f"]
        if linked:
            node.inputs = tuple((a if a.grad_fn is None and a.requires_grad else Edge(a)) if isinstance(a, Tensor)
                                else None for a in args)
            node.versions = tuple(a._version_counter[0] if isinstance(a, Tensor) else 0 for a in args)
            # the outputs' versions matter only where saved, and saved_tensors checks those, as torch
            node._out_vc, node._out_version = [0], 0
            node._hooks = None
            first = outs[linked[0]]
            node.out_meta = (first._data.shape, first._data.dtype)
            node.linked = linked
            # what backward gets for an output without a gradient: zeros of its shape and dtype (torch materializes
            # them unless ctx.set_materialize_grads(False)), None for a non-Tensor output
            node.others = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs]
            for nr, i in enumerate(linked):
                outs[i]._requires_grad, outs[i].grad_fn, outs[i]._output_nr = True, node, nr
            saved = node.__dict__.get("to_save")
            if saved:  # a saved output is the linked result, so a second derivative flows through it as in torch
                mine = {id(originals[i]): outs[i] for i in linked}
                node.to_save = tuple(mine.get(id(t), t) for t in saved)
                node.saved_versions = tuple(t._version_counter[0] if isinstance(t, Tensor) else 0
                                            for t in node.to_save)
                if _saved_hooks:  # stored packed, unpacked by every read of saved_tensors (autograd/graph)
                    node.to_save = pack_tensors(node, node.to_save)
    return outs if many else outs[0]


def _user_grads(self: Any, g: dict) -> tuple:
    """The user's backward for the output gradients ``g`` ({output number: Tensor}), with one gradient per output
    of forward as torch passes them."""
    materialize = self.__dict__.get("materialize_grads", True)
    number = {i: nr for nr, i in enumerate(self.linked)}
    xp = backend.array_module(next(iter(g.values()))._data)
    gs = []
    for i, meta in enumerate(self.others):
        got = g.get(number[i]) if i in number else None
        if got is None and meta is not None and materialize:
            got = Tensor._wrap(xp.zeros(meta[0], dtype=meta[1]))
        gs.append(got)
    out = type(self)._user_backward(self, *gs)
    return out if isinstance(out, tuple) else (out,)


def _backward(self: Any, grad: dict) -> Any:
    """The engine's first-order call: the user's backward on Tensors, its gradients back as arrays."""
    return tuple(o._data if isinstance(o, Tensor) else o
                 for o in _user_grads(self, {k: Tensor._wrap(v) for k, v in grad.items()}))


def _backward_graph(self: Any, grad: dict) -> tuple:
    """``create_graph``: the user's backward with grad mode on, so its Tensor ops record a graph (torch's double
    backward through a custom Function whose backward is written in differentiable ops)."""
    return _user_grads(self, grad)


def adopt(cls: type) -> None:
    """Turn ``cls`` (forward/backward as staticmethods on Tensors) into a graph node class."""
    cls._user_forward = cls.__dict__["forward"]
    setup = next((c.__dict__["setup_context"] for c in cls.__mro__ if "setup_context" in c.__dict__), None)
    cls._setup_context = None if setup is None else getattr(setup, "__func__", setup)
    cls._user_backward = cls.__dict__.get("backward", staticmethod(_no_backward))
    cls.apply = classmethod(_apply)
    cls.multi_output = True  # one gradient per output, as a dict (a single output is number 0)
    cls.torch_name = cls.__name__ + "Backward"  # torch names a custom Function's node so, without the 0
    cls.backward = _backward
    # a backward marked once_differentiable runs without grad: the engine's first-order fallback then stands in
    # the graph and raises on a second differentiation, as torch
    user = getattr(cls._user_backward, "__func__", cls._user_backward)
    cls.backward_graph = None if getattr(user, "once_differentiable", False) else _backward_graph
    for name, value in vars(_Ctx).items():
        if not name.startswith("__"):
            setattr(cls, name, value)
    # the nodes are instances of ``<Name>Backward``, a subclass, so ``type(y.grad_fn).__name__`` reads as torch's;
    # their name() is the Function's torch_name (which a class may set after this)
    cls._backward_cls = type(cls)(cls.__name__ + "Backward", (cls,), {
        "_forward_cls": cls, "name": _node_name, "__module__": cls.__module__,
        "__qualname__": cls.__qualname__ + "Backward"})


def _node_name(self: Any) -> str:
    return self._forward_cls.torch_name


def _no_backward(ctx: Any, *grads: Any) -> Any:
    raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                              "autograd.Function to use it with backward mode AD.")


TORCH_STYLE_HOOKS.append(adopt)
