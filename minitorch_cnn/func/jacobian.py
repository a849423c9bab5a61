"""``torch.func.jacrev``, ``jacfwd`` and ``hessian``: whole Jacobians as functions of the inputs.

For an output leaf of shape O and a differentiated input leaf of shape I the block is shaped ``O + I``; the blocks
come in the outputs' structure, each holding the differentiated arguments' structure (a tuple when ``argnums`` is
a tuple). jacrev pulls back one basis cotangent per output element (one backward pass each); jacfwd pushes one
basis tangent per input element through the double-vjp linearization of ``jvp.py`` (one backward pass each after
a shared first one). Rows and columns are stacked with differentiable ops, so the results differentiate again:
``hessian(f) = jacfwd(jacrev(f))`` as torch defines it. ``chunk_size`` is validated and changes nothing (the
rows are already computed one at a time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import Tensor, enable_grad
from ..backend.random import refused
from ..ops.shape import stack
from . import _levels
from ._pytree import flatten, unflatten
from .grad import finish_tree, split_aux, track_args
from .jvp import Linearized
from .vjp import check_outputs, pull_back
from .vmap import RANDOM_REFUSAL, check_randomness


def _basis(like: Tensor, k: int) -> Tensor:
    """The k-th unit tensor shaped and typed as ``like``."""
    e = like.detach().new_zeros(like.numel())
    e[k] = 1
    return e.reshape(like.shape)


def _block(pieces: list, out: Tensor, inp: Tensor, dim: int) -> Tensor:
    shape = tuple(out.shape) + tuple(inp.shape)
    if not pieces:
        return inp.detach().new_zeros(shape)
    return stack(pieces, dim=dim).reshape(shape)


def _arrange(blocks: list, out_spec: Any, specs: list, is_tuple: bool) -> Any:
    """``blocks[i][j]`` (output leaf i, input leaf j) in the outputs' structure of the arguments' structures."""
    per_out = []
    for row in blocks:
        it = iter(row)
        per_arg = tuple(unflatten([next(it) for _ in range(_n(s))], s) for s in specs)
        per_out.append(per_arg if is_tuple else per_arg[0])
    return unflatten(per_out, out_spec)


def _n(spec: Any) -> int:
    return 1 if spec is None else sum(_n(s) for s in spec[2])


def _check_chunk(chunk_size: int | None, api: str) -> None:
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"{api}: `chunk_size` should be greater than 0.")


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """The Jacobian of ``func`` with respect to ``args[argnums]`` by reverse mode, one row per output element."""
    _check_chunk(chunk_size, "jacrev")

    def wrapper(*args: Any) -> Any:
        nums, is_tuple = _levels.argnums_tuple(argnums, len(args))
        keep = _levels.keep_graph(flatten(args)[0])
        with enable_grad(), _levels.level():
            new, tracked, specs = track_args(args, nums)
            out, aux = split_aux(func(*new), has_aux, "jacrev(f, ...)(*args)")
            out_leaves, out_spec = flatten(out)
            check_outputs(out_leaves, "jacrev(f, ...)(*args)", "f(*args)")
            inputs = [t for mine in tracked for t in mine]
            keep = keep or _levels.reaches_outside(out_leaves, inputs)
            blocks = []
            for i, o in enumerate(out_leaves):
                rows: list[list] = [[] for _ in inputs]
                for k in range(o.numel() if o.requires_grad else 0):
                    cts = [_basis(o, k) if m == i else u.detach().new_zeros(u.shape) for m, u in enumerate(out_leaves)]
                    for j, g in enumerate(pull_back(out_leaves, inputs, cts, keep)):
                        rows[j].append(g)
                blocks.append([_levels.finish(_block(r, o, t, 0), keep) for r, t in zip(rows, inputs)])
        result = _arrange(blocks, out_spec, specs, is_tuple)
        return (result, finish_tree(aux, keep)) if has_aux else result

    return wrapper


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian of ``func`` with respect to ``args[argnums]`` by forward mode, one column per input element.
    ``randomness`` as vmap's: "error" refuses random draws in ``func``, "same" draws once for all columns,
    "different" reruns ``func`` (fresh draws) for every column."""
    check_randomness(randomness)

    def wrapper(*args: Any) -> Any:
        nums, is_tuple = _levels.argnums_tuple(argnums, len(args))
        keep = _levels.keep_graph(flatten(args)[0])

        def linearize() -> tuple[Linearized, Any, Any, list, list]:
            new, tracked, specs = track_args(args, nums)
            if randomness == "error":
                with refused(RANDOM_REFUSAL):
                    called = func(*new)
            else:
                called = func(*new)
            out, aux = split_aux(called, has_aux, "jacfwd(f, ...)(*args)")
            out_leaves, _ = flatten(out)
            check_outputs(out_leaves, "jacfwd(f, ...)(*args)", "f(*args)")
            inputs = [t for mine in tracked for t in mine]
            return Linearized(out_leaves, inputs), out, aux, specs, inputs

        with enable_grad(), _levels.level():
            lin, out, aux, specs, inputs = linearize()
            keep = keep or _levels.reaches_outside(lin.outs, inputs)
            columns: list[list[list]] = [[[] for _ in inputs] for _ in lin.outs]
            for j, t in enumerate(inputs):
                for k in range(t.numel()):
                    now = linearize()[0] if randomness == "different" else lin
                    tangents = [_basis(t, k) if m == j else u.detach().new_zeros(u.shape) for m, u in enumerate(inputs)]
                    for i, jv in enumerate(now.push(tangents, keep)):
                        columns[i][j].append(jv)
            blocks = [[_levels.finish(_block(columns[i][j], o, t, o.ndim), keep) for j, t in enumerate(inputs)]
                      for i, o in enumerate(lin.outs)]
        result = _arrange(blocks, flatten(out)[1], specs, is_tuple)
        return (result, finish_tree(aux, keep)) if has_aux else result

    return wrapper


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of scalar ``func`` with respect to ``args[argnums]``: ``jacfwd(jacrev(func, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
