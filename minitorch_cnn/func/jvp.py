"""``torch.func.jvp``: forward mode, J·v, computed by the double-vjp trick (not dual numbers).

For the outputs' cotangent ``u``, ``g(u) = uᵀ J`` is linear in ``u``, so ``J v = d (g(u) · v) / d u``: one backward
pass with a graph (with respect to a zero ``u`` that requires grad), then one backward pass of that graph with
respect to ``u``. The result is J·v exactly as forward mode's, at the cost of two reverse passes instead of one
forward pass; it needs every op's double backward, which the ops have. ``linearize_at`` keeps the first pass so
``jacfwd`` takes one column per extra backward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import enable_grad
from ..autograd.engine import grad as autograd_grad
from . import _levels
from ._pytree import describe, flatten, unflatten
from .grad import finish_tree, split_aux
from .vjp import check_outputs


class Linearized:
    """The outputs of ``func`` at the (tracked) inputs and the graph of ``uᵀ J`` for computing J·v repeatedly."""

    def __init__(self, outs: list, inputs: list) -> None:
        self.outs = outs
        self.inputs = inputs
        self.live = [i for i, o in enumerate(outs) if o.requires_grad]
        self.dummies = [_levels.own_leaf(outs[i].detach().new_zeros(outs[i].shape).requires_grad_()) for i in self.live]
        with enable_grad():
            got = (autograd_grad([outs[i] for i in self.live], inputs, self.dummies, create_graph=True,
                                 allow_unused=True) if self.live else (None,) * len(inputs))
        self.ut_j = list(got)

    def push(self, tangents: list, create_graph: bool) -> list:
        """J·v for the tangent ``v`` (one per input), one tensor per output."""
        pairs = [(g, t) for g, t in zip(self.ut_j, tangents) if g is not None and g.requires_grad]
        result = [_levels.zeros_like(o) for o in self.outs]
        if pairs:
            with enable_grad():
                got = autograd_grad([g for g, _ in pairs], self.dummies, [t for _, t in pairs], retain_graph=True,
                                    create_graph=create_graph, allow_unused=True, materialize_grads=True)
            for i, jv in zip(self.live, got):
                result[i] = jv
        return result


def linearize_at(func: Callable, primals: tuple, has_aux: bool, api: str) -> tuple[Linearized, Any, Any, list]:
    """Run ``func`` on this level's nodes of ``primals``: the linearization, the output and aux trees, and the
    nodes (call inside a level with grad enabled)."""
    leaves, spec = flatten(primals)
    mine = [_levels.track(t) for t in leaves]
    out, aux = split_aux(func(*unflatten(mine, spec)), has_aux, api)
    out_leaves, _ = flatten(out)
    check_outputs(out_leaves, api, "f(*primals)")
    return Linearized(out_leaves, mine), out, aux, mine


def _check_tuple(x: Any, what: str) -> None:
    if not isinstance(x, tuple):
        raise RuntimeError(f"jvp(f, primals, tangents): Expected {what} to be a tuple. E.g. it should be valid to call "
                           "f(*primals).")


def jvp(func: Callable, primals: tuple, tangents: tuple, *, strict: bool = False,  # noqa: ARG001 - torch's
        has_aux: bool = False) -> tuple:
    """``(func(*primals), J·tangents)``, or ``(output, jvp_out, aux)`` with ``has_aux``; ``tangents`` shaped as
    ``primals``. ``strict`` is accepted and, as in torch, changes nothing."""
    api = "jvp(f, primals, tangents)"
    _check_tuple(primals, "primals")
    _check_tuple(tangents, "tangents")
    p_leaves, p_spec = flatten(primals)
    t_leaves, t_spec = flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python structure. For example, if "
                           "primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{describe(p_spec)} and tangents with structure {describe(t_spec)}")
    _levels.check_tensors(p_leaves)
    _levels.check_tensors(t_leaves)
    for p, t in zip(p_leaves, t_leaves):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")
    keep = _levels.keep_graph(p_leaves + t_leaves)
    with enable_grad(), _levels.level():
        lin, out, aux, mine = linearize_at(func, primals, has_aux, api)
        keep = keep or _levels.reaches_outside(lin.outs, mine)
        jv = lin.push(t_leaves, keep)
    _, out_spec = flatten(out)
    result = (finish_tree(out, keep), unflatten([_levels.finish(x, keep) for x in jv], out_spec))
    return result + (finish_tree(aux, keep),) if has_aux else result
