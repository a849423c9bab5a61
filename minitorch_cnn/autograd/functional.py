"""``torch.autograd.functional``: vjp, jvp, hvp, vhp, jacobian, hessian of a function of Tensors.

All are built on :func:`grad`; the forward-mode ones (jvp, hvp) use the double-vjp trick as torch's do: for
``g(v) = vᵀJ`` (linear in ``v``), ``J u = d(g(v)·u)/dv``, so they need the ops' double backward.
``create_graph`` keeps the results differentiable; ``strict`` raises when an output does not depend on an input
(instead of returning zeros).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from .engine import grad
from .function import Function
from .grad_mode import enable_grad
from .tensor import Tensor


class _Stack(Function):
    """The Jacobian's rows stacked along a new first axis: (k arrays of shape S) → (k, *S); backward slices."""

    def forward(self, *rows: Any) -> Any:
        return backend.array_module(rows[0]).stack(rows)

    def backward(self, g: Any) -> tuple:
        return tuple(g[i] for i in range(g.shape[0]))

    def backward_graph(self, g: Tensor) -> tuple:
        return tuple(g[i] for i in range(g.shape[0]))


def _tuple(x: Any, what: str, fn: str) -> tuple[tuple, bool]:
    is_tuple = isinstance(x, (tuple, list))
    t = tuple(x) if is_tuple else (x,)
    for i, a in enumerate(t):
        if not isinstance(a, Tensor):
            raise TypeError(f"{fn}: {what} must be a Tensor or a tuple of Tensors, got {type(a).__name__} at {i}")
    return t, is_tuple


def _grad_inputs(inputs: tuple, create_graph: bool) -> tuple:
    """The inputs as tensors to differentiate against: detached leaves that require grad, as torch's, except that
    with ``create_graph`` an input that requires grad stays in its graph (so the results differentiate through)."""
    return tuple(t if create_graph and t.requires_grad else t.detach().requires_grad_() for t in inputs)


def _zeros(t: Tensor) -> Tensor:
    return Tensor._wrap(backend.array_module(t._data).zeros_like(t._data))


def _grads(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool, strict: bool, fn: str,
           what: str) -> tuple:
    outs = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not outs:
        if strict:
            raise RuntimeError(f"{fn}: the output of the function does not require grad: {what} is independent of "
                               "the inputs (strict=True)")
        return tuple(_zeros(t) for t in inputs)
    got = grad(outs, inputs, grad_outputs=gos, create_graph=create_graph, allow_unused=True)
    result = []
    for i, (g, t) in enumerate(zip(got, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: {what} is independent of input {i} (strict=True)")
            g = _zeros(t)
        result.append(g if create_graph else g.detach())
    return tuple(result)


def _call(func: Callable, inputs: tuple, fn: str) -> tuple[tuple, bool]:
    with enable_grad():
        out = func(*inputs)
    return _tuple(out, "the function's output", fn)


def _check_v(v: Any, like: tuple, fn: str, what: str) -> tuple:
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{fn}: v can only be omitted when {what} is a single one-element Tensor")
        return (Tensor._wrap(backend.array_module(like[0]._data).ones_like(like[0]._data)),)
    vs, _ = _tuple(v, "v", fn)
    if len(vs) != len(like) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(vs, like)):
        raise RuntimeError(f"{fn}: v has shapes {[tuple(a.shape) for a in vs]} but {what} has "
                           f"{[tuple(b.shape) for b in like]}")
    return vs


def _out(t: tuple, is_tuple: bool) -> Any:
    return t if is_tuple else t[0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), vᵀ J): the vector-Jacobian product at ``inputs``."""
    ins, in_tuple = _tuple(inputs, "inputs", "vjp")
    ins = _grad_inputs(ins, create_graph)
    outs, out_tuple = _call(func, ins, "vjp")
    vs = _check_v(v, outs, "vjp", "the output")
    g = _grads(outs, ins, vs, create_graph, strict, "vjp", "the output")
    outs_ = tuple(o if create_graph else o.detach() for o in outs)
    return _out(outs_, out_tuple), _out(g, in_tuple)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), J v): the Jacobian-vector product, by differentiating a vjp with respect to its vector."""
    ins, in_tuple = _tuple(inputs, "inputs", "jvp")
    ins = _grad_inputs(ins, create_graph)
    vs = _check_v(v, ins, "jvp", "the input")
    outs, out_tuple = _call(func, ins, "jvp")
    dummies = tuple(_zeros(o).requires_grad_() for o in outs)
    with enable_grad():
        g = _grads(outs, ins, dummies, True, strict, "jvp", "the output")
        live = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        if live:
            jv = grad([gi for gi, _ in live], dummies, grad_outputs=[vi for _, vi in live], create_graph=create_graph,
                      allow_unused=True, materialize_grads=True)
        else:
            jv = tuple(_zeros(o) for o in outs)
    outs_ = tuple(o if create_graph else o.detach() for o in outs)
    jv = tuple(j if create_graph else j.detach() for j in jv)
    return _out(outs_, out_tuple), _out(jv, out_tuple)


def _scalar_output(func: Callable, ins: tuple, fn: str) -> Tensor:
    outs, _ = _call(func, ins, fn)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError(f"{fn}: the function must return a single one-element Tensor, got shapes "
                           f"{[tuple(o.shape) for o in outs]}")
    return outs[0]


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), vᵀ H): the vector-Hessian product of a scalar function."""
    ins, in_tuple = _tuple(inputs, "inputs", "vhp")
    ins = _grad_inputs(ins, create_graph)
    vs = _check_v(v, ins, "vhp", "the input")
    out = _scalar_output(func, ins, "vhp")
    with enable_grad():
        g = _grads((out,), ins, (None,), True, strict, "vhp", "the output")
        live = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
        if not live:
            if strict:
                raise RuntimeError("vhp: the gradient is independent of the inputs (strict=True)")
            h = tuple(_zeros(t) for t in ins)
        else:
            h = grad([gi for gi, _ in live], ins, grad_outputs=[vi for _, vi in live], create_graph=create_graph,
                     allow_unused=True, materialize_grads=True)
    h = tuple(x if create_graph else x.detach() for x in h)
    return (out if create_graph else out.detach()), _out(h, in_tuple)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    """(func(inputs), H v): the Hessian is symmetric, so this equals ``vhp`` (torch computes it the same way up to
    rounding)."""
    return vhp(func, inputs, v, create_graph, strict)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """J[i][j] = d output_i / d input_j, shaped output_i.shape + input_j.shape, one vjp per output element."""
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: only strategy='reverse-mode' is offered, got {strategy!r}")
    ins, in_tuple = _tuple(inputs, "inputs", "jacobian")
    ins = _grad_inputs(ins, create_graph)
    outs, out_tuple = _call(func, ins, "jacobian")
    rows = []
    for i, o in enumerate(outs):
        flat = o.reshape(-1)
        per_input: list[list] = [[] for _ in ins]
        xp = backend.array_module(o._data)
        for k in range(flat.shape[0]):
            e = xp.zeros(flat.shape, dtype=o._data.dtype)
            e[k] = 1
            if o.requires_grad:
                g = grad(flat, ins, grad_outputs=Tensor._wrap(e), retain_graph=True, create_graph=create_graph,
                         allow_unused=True)
            else:
                g = (None,) * len(ins)
            for j, (gj, t) in enumerate(zip(g, ins)):
                if gj is None:
                    if strict:
                        raise RuntimeError(f"jacobian: output {i} is independent of input {j} (strict=True)")
                    gj = _zeros(t)
                per_input[j].append(gj)
        blocks = []
        for j, t in enumerate(ins):
            if per_input[j]:
                block = _Stack.apply(*per_input[j]).reshape(tuple(o.shape) + tuple(t.shape))
            else:
                block = Tensor._wrap(xp.zeros(tuple(o.shape) + tuple(t.shape), dtype=t._data.dtype))
            blocks.append(block if create_graph else block.detach())
        rows.append(_out(tuple(blocks), in_tuple))
    return _out(tuple(rows), out_tuple)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """H[i][j] = d² func / d input_i d input_j, shaped input_i.shape + input_j.shape, for a scalar ``func``."""
    ins, in_tuple = _tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> Any:
        out = _scalar_output(func, xs, "hessian")
        return _out(_grads((out,), xs, (None,), True, strict, "hessian", "the output"), in_tuple)

    return jacobian(gradient, _out(ins, in_tuple), create_graph=create_graph, strict=strict,
                    strategy=outer_jacobian_strategy)
