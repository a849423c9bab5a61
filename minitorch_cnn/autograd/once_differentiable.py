"""torch's ``once_differentiable``: what stands in a recorded graph where a Function has no ``backward_graph``."""

from __future__ import annotations

from typing import Any

from ..backend import as_array
from .function import Function
from .grad_mode import _enabled
from .tensor import Tensor

_new = object.__new__



class NotTwiceDifferentiable(Function):
    """Stands where a gradient of a Function without ``backward_graph`` entered a recorded graph: differentiating
    through it raises, naming that Function (torch's ``once_differentiable``), instead of a silent zero."""

    def backward(self, grad: Any) -> Any:
        raise RuntimeError(
            f"{self.op} is not differentiable twice: its backward runs on raw arrays (no backward_graph), so the "
            "gradient it produced with create_graph=True has no graph to differentiate again"
        )


def once(node: Any, g: Any) -> tuple:
    """``node``'s gradients from its raw ``backward``, each behind a NotTwiceDifferentiable node. ``g``: the
    output gradient (a Tensor), or for a node with several outputs a dict {output number: Tensor}."""
    many = type(g) is dict
    prev = _enabled[0]
    _enabled[0] = False
    try:
        grads = node.backward({k: v._data for k, v in g.items()} if many else g._data)
    finally:
        _enabled[0] = prev
    if type(grads) is not tuple:
        grads = (grads,)
    anchors = tuple(t for t in (*node.inputs, *(g.values() if many else (g,))) if t is not None and t.requires_grad)
    out = []
    for arr in grads:
        if arr is None:
            out.append(None)
            continue
        r = Tensor._wrap(as_array(arr))
        if anchors:
            ctx = _new(NotTwiceDifferentiable)
            ctx.op, ctx.inputs, ctx.versions = node.name(), anchors, tuple(t._version_counter[0] for t in anchors)
            ctx.needs_input_grad = (True,) * len(anchors)
            ctx._out_vc, ctx._out_version, ctx._hooks, ctx._freed = r._version_counter, 0, None, False
            ctx.out_meta = (r.shape, r.dtype)
            r._requires_grad, r.grad_fn = True, ctx
        out.append(r)
    return tuple(out)
