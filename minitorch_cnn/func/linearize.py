"""``torch.func.linearize``: the output at ``primals`` and a function of tangents giving J·tangents there.

The first pass of the double-vjp (``jvp.py``'s ``Linearized``: the graph of uᵀJ) is made once; each call of
``jvp_fn(*tangents)`` is one more backward pass through it, as torch's linearize replays one traced jvp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import enable_grad
from . import _levels
from ._pytree import describe, flatten, unflatten
from .grad import finish_tree
from .jvp import linearize_at


def linearize(func: Callable, *primals: Any) -> tuple[Any, Callable]:
    """``(func(*primals), jvp_fn)``; ``jvp_fn(*tangents)``, tangents shaped as ``primals``, returns J·tangents in
    the output's structure."""
    p_leaves, p_spec = flatten(primals)
    _levels.check_tensors(p_leaves)
    keep = _levels.keep_graph(p_leaves)
    with enable_grad(), _levels.level():
        lin, out, _, mine = linearize_at(func, primals, False, "linearize(f, *primals)")
    keep = keep or _levels.reaches_outside(lin.outs, mine)
    out_spec = flatten(out)[1]

    def jvp_fn(*tangents: Any) -> Any:
        t_leaves, t_spec = flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {describe(t_spec)} to have the same argspec as the primals "
                               f"{describe(p_spec)}")
        _levels.check_tensors(t_leaves)
        for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
            if tuple(t.shape) != tuple(p.shape):
                raise RuntimeError(f"tangent:{i} with shape {t.shape} in flattened pytree doesn't match the shape "
                                   f"{p.shape} of the corresponding primal.")
        now = keep or _levels.keep_graph(t_leaves)
        jv = lin.push(t_leaves, now)
        return unflatten([_levels.finish(x, now) for x in jv], out_spec)

    return finish_tree(out, keep), jvp_fn
