"""``torch.autograd.graph``'s hooks for saved tensors: ``saved_tensors_hooks(pack_hook, unpack_hook)``,
``save_on_cpu``, ``disable_saved_tensors_hooks``, and a node's ``_saved_<name>`` / ``_raw_saved_<name>``.

What a node saves: our Functions keep raw arrays on their context (``self.a = a`` in forward, read by backward),
so the one place where every op's saved tensors can be packed is the end of ``Function.apply``, once the node is
linked: each array the context holds, directly or in a tuple/list attribute, is handed to ``pack_hook`` as a
Tensor (the input Tensor itself where the array is an input's, the output Tensor where it is the output, else a
new Tensor without grad) and replaced by what the hook returns, so the node no longer references the array. The
engine calls ``unpack_hook`` on each of them right before the node's backward and packs them back after it (a
retained graph unpacks again on the next backward, as torch). A custom Function (torch's API) packs what
``ctx.save_for_backward`` got, and ``ctx.saved_tensors`` unpacks on every access, as torch.

As torch: hooks run with grad mode off; only a node that is recorded packs; nested contexts apply the innermost
pair; ``unpack_hook`` must return a Tensor; what a hook returned is freed with the graph after backward; a saved
output written in place after packing is not an error (backward sees what ``unpack_hook`` gives; torch: undefined).

What differs from torch, visibly: which tensors a node saves is our op's choice, so the number and kind of packed
tensors can differ (one forward of a conv + batch-norm + ReLU + max-pool + two linears + cross-entropy packs 17
tensors here, 20 in torch: ours keeps a conv's input without its weight when the input needs no gradient, a
batch-norm's batch mean and variance instead of torch's running and saved statistics, a cross-entropy's softmax
and masks; tests/test_saved_tensors_hooks.py lists them all), and the order of one node's packs. Arrays kept inside
other objects on the context (the inner node of a GELU's double backward) are not packed. An input written in place
after the forward still raises at backward, as without hooks (torch skips that check for packed tensors). Values and
gradients are the same; the counts are not. ``_saved_<name>`` exists for the names ``ops/names.py`` declares
(``TORCH_SAVED``: ``_saved_self`` / ``_saved_other`` of a product, ``_saved_result`` of exp...), not for every node
torch has.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..backend.device import _cupy_array_type
from .grad_mode import _enabled
from .tensor import Tensor

__all__ = ["disable_saved_tensors_hooks", "save_on_cpu", "saved_tensors_hooks"]

_stack: list = []  # the (pack_hook, unpack_hook) pairs of the open contexts; the last one applies
_disabled: list = [None]  # the error message while disable_saved_tensors_hooks is open
PACKED = "_packed"  # in a node's __dict__: {attribute: its value with packed entries}, while the node is packed

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they have "
          "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
          "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
          "you need to access saved tensors after calling backward.")


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """Context manager: inside it, every tensor an op saves for backward is stored as ``pack_hook(tensor)`` and
    given back to backward as ``unpack_hook(packed)`` (see the module docstring for what our ops save).

    ``pack_hook(tensor: Tensor) -> Any``; ``unpack_hook(Any) -> Tensor``; ``unpack_hook(pack_hook(t))`` should
    equal ``t`` in value, size, dtype and device.
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        if _disabled[0] is not None:
            raise RuntimeError(_disabled[0])
        if not callable(self.pack_hook) or not callable(self.unpack_hook):
            raise TypeError(f"saved_tensors_hooks: pack_hook and unpack_hook must be callable, got "
                            f"{type(self.pack_hook).__name__} and {type(self.unpack_hook).__name__}")
        _stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *args: object) -> None:
        _stack.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name
    """Saved tensors are kept on the CPU and moved back to their device for backward (on CPU: no copy at all).
    ``pin_memory`` is accepted as torch's; there is no pinned memory here, so the copy is an ordinary one."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor: Tensor) -> tuple:
            return (tensor.device, tensor.cpu())

        def unpack_from_cpu(packed: tuple) -> Tensor:
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str) -> Iterator[None]:
    """Inside it, opening ``saved_tensors_hooks`` raises ``RuntimeError(error_message)``; so does entering it while
    such hooks are open."""
    prev = _disabled[0]
    try:
        if _stack:
            raise RuntimeError(error_message)
        _disabled[0] = error_message
        yield
    finally:
        _disabled[0] = prev


class _Packed:
    """One saved tensor as ``pack_hook`` returned it, with what unpacking needs to rebuild a Tensor in the graph
    where the original sat: the leaf itself (alive anyway as the node's input), or (grad_fn, output number,
    version counter, requires_grad), the node's own output's grad_fn kept as None (no cycle); never its data."""

    __slots__ = ("packed", "unpack", "leaf", "meta")

    def __init__(self, tensor: Tensor, hooks: tuple, owner: Any) -> None:
        pack, self.unpack = hooks
        prev = _enabled[0]
        _enabled[0] = False  # torch runs the hooks with grad mode off
        try:
            self.packed = pack(tensor)
        finally:
            _enabled[0] = prev
        fn = tensor.grad_fn
        self.leaf = tensor if tensor._requires_grad and fn is None else None
        self.meta = (None if fn is owner else fn, tensor._output_nr, tensor._version_counter, tensor._requires_grad)

    def _unpack(self) -> Tensor:
        prev = _enabled[0]
        _enabled[0] = False
        try:
            t = self.unpack(self.packed)
        finally:
            _enabled[0] = prev
        if not isinstance(t, Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                            f"{type(t).__name__}")
        return t

    def array(self) -> Any:
        return self._unpack()._data

    def tensor(self, node: Any) -> Tensor:
        """``unpack_hook(packed)`` as a Tensor standing where the saved one stood in ``node``'s graph: the leaf
        itself when the hook gave back its storage, else a new Tensor with the saved one's grad_fn."""
        t = self._unpack()
        leaf = self.leaf
        if leaf is not None and t._data is leaf._data:
            return leaf
        r = Tensor._wrap(t._data)
        fn, r._output_nr, r._version_counter, r._requires_grad = self.meta
        r.grad_fn = node if fn is None and r._requires_grad and leaf is None else fn
        return r


def _is_array(v: Any) -> bool:
    if type(v) is np.ndarray:
        return True
    cp_array = _cupy_array_type()
    return cp_array is not None and isinstance(v, cp_array)


def _as_saved_tensor(arr: Any, args: tuple, result: Tensor) -> Tensor:
    """The Tensor a pack hook sees for the array ``arr`` a node saved: the output, an input, or a new Tensor."""
    if arr is result._data:
        return result
    for a in args:
        if isinstance(a, Tensor) and a._data is arr:
            return a
    return Tensor._wrap(arr)


def pack_node(ctx: Any, args: tuple, result: Tensor) -> None:
    """Replace every array ``ctx`` saved (an attribute, or an item of a tuple/list attribute) by its packed form,
    with the innermost open hooks. Called by ``Function.apply`` for a recorded node while hooks are open."""
    hooks = _stack[-1]
    d = ctx.__dict__
    packed = {}
    for name, v in list(d.items()):
        if _is_array(v):
            packed[name] = _Packed(_as_saved_tensor(v, args, result), hooks, ctx)
        elif type(v) in (tuple, list) and any(_is_array(e) for e in v):
            packed[name] = type(v)(_Packed(_as_saved_tensor(e, args, result), hooks, ctx) if _is_array(e) else e
                                   for e in v)
    if packed:
        d.update(packed)
        d[PACKED] = packed


def _unpacked(value: Any) -> Any:
    if type(value) is _Packed:
        return value.array()
    return type(value)(e.array() if type(e) is _Packed else e for e in value)


def unpack_node(ctx: Any, packed: dict) -> None:
    """Before ``ctx``'s backward: each packed attribute back as arrays, through ``unpack_hook``."""
    d = ctx.__dict__
    for name, value in packed.items():
        d[name] = _unpacked(value)


def repack_node(ctx: Any, packed: dict) -> None:
    """After ``ctx``'s backward: the arrays dropped again, the packed forms kept (for a retained graph)."""
    ctx.__dict__.update(packed)


def pack_tensors(node: Any, tensors: tuple) -> tuple:
    """A custom Function's ``save_for_backward`` tensors, packed with the innermost open hooks (None stays)."""
    hooks = _stack[-1]
    return tuple(_Packed(t, hooks, node) if isinstance(t, Tensor) else t for t in tensors)


def is_packed(value: Any) -> bool:
    return type(value) is _Packed


class SavedTensor:
    """torch's ``SavedTensor`` (``grad_fn._raw_saved_<name>``): ``register_hooks(pack_hook, unpack_hook)`` packs
    this one saved tensor now (its data, without autograd history, as torch) and unpacks it wherever it is read."""

    def __init__(self, node: Any, attr: str, index: int | None) -> None:
        self._node, self._attr, self._index = node, attr, index

    def register_hooks(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        node, attr = self._node, self._attr
        if node._freed:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you "
                "need to backward through the graph a second time or if you need to access saved variables after "
                "calling backward.")
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError(f"register_hooks: pack_hook and unpack_hook must be callable, got "
                            f"{type(pack_hook).__name__} and {type(unpack_hook).__name__}")
        d = node.__dict__
        value = d.get(attr)
        if type(value) is _Packed:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have already been set. Hint: "
                               "only one pair of hooks is allowed at a time.")
        if not _is_array(value):
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is forbidden")
        p = _Packed(Tensor._wrap(value), (pack_hook, unpack_hook), node)
        p.leaf, p.meta = _input_leaf(node, self._index), _graph_meta(node, self._index)
        d[attr] = p
        d.setdefault(PACKED, {})[attr] = p

    def __repr__(self) -> str:
        return f"<SavedTensor object at {hex(id(self))}>"


def _input_leaf(node: Any, index: int | None) -> Tensor | None:
    t = None if index is None else node.inputs[index]
    return t if isinstance(t, Tensor) else None


def _graph_meta(node: Any, index: int | None) -> tuple:
    """(grad_fn, output number, version counter, requires_grad) of the saved tensor: the output for ``index``
    None, else input ``index``."""
    if index is None:
        return None, 0, node._out_vc, True
    t = node.inputs[index]
    if t is None:
        return None, 0, [0], False
    return t.grad_fn, t._output_nr, t._version_counter, t._requires_grad


def declare_saved(cls: type, table: dict) -> None:
    """Give the node class ``cls`` torch's ``_saved_<name>`` (the saved tensor, unpacked through its hooks on every
    read) and ``_raw_saved_<name>`` (a ``SavedTensor``) for each ``{name: (context attribute, input number, or None
    for the output)}`` of ``table``. Properties, so that other attribute reads of a node cost nothing more."""
    for key, (attr, index) in table.items():
        setattr(cls, f"_saved_{key}", property(functools.partial(_saved, attr=attr, index=index)))
        setattr(cls, f"_raw_saved_{key}", property(functools.partial(SavedTensor, attr=attr, index=index)))


def _saved(node: Any, attr: str, index: int | None) -> Any:
    if node._freed:
        raise RuntimeError(_FREED)
    value = node.__dict__.get(attr)
    if type(value) is _Packed:
        return value.tensor(node)
    if not _is_array(value):
        return value  # not saved (None: torch's undefined saved tensor)
    if index is None:
        return node.output_tensor(value)
    return node.input_tensor(index, value)
