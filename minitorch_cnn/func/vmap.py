"""``torch.func.vmap`` (also ``mt.vmap``): map a function over one dimension of its inputs.

``vmap(f, in_dims=0, out_dims=0)(*args)`` equals stacking ``f`` applied to each slice of ``args`` along their
``in_dims`` (None: the argument is passed whole to every call), with the results stacked along ``out_dims``.

This vmap IS that loop: it calls ``f`` once per index of the mapped dimension on the sliced inputs and stacks the
results with differentiable ops, so it composes with every transform (nested vmap, vmap of grad, grad of vmap) and
gives exactly the per-sample results, but it costs B calls of ``f`` instead of one batched call as torch's does.
Because ``f`` sees real per-sample tensors, a few things torch's vmap refuses work here (``.item()``, data-dependent
control flow, an output under ``out_dims=None`` that is equal for every sample, which torch refuses when it derives
from a mapped input); everything torch's accepts gives torch's result. ``chunk_size`` is validated and changes
nothing (the loop already runs one sample at a time). A mapped dimension of size 0 is refused: with no call of ``f``
there is no output shape to stack. ``randomness``: "error" makes any random draw inside ``f`` raise, "different"
draws afresh for each sample, "same" replays the generator's state so each sample draws the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import backend
from ..autograd import Tensor
from ..backend.random import refused
from ..ops.shape import select, stack
from ._pytree import broadcast_prefix, describe, flatten, unflatten

RANDOM_REFUSAL = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
                  "'different' randomness flags on vmap or perform the randomness operation out of vmap")


def check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def _name(func: Callable) -> str:
    return getattr(func, "__name__", repr(func))


def _is_dim(d: Any) -> bool:
    return d is None or (isinstance(d, int) and not isinstance(d, bool))


def _valid_dims(dims: Any) -> bool:
    if isinstance(dims, (tuple, list)):
        return all(_valid_dims(d) for d in dims)
    if isinstance(dims, dict):
        return all(_valid_dims(d) for d in dims.values())
    return _is_dim(dims)


def _in_dims(func: Callable, in_dims: Any, args: tuple) -> tuple[list, Any, list, int]:
    """The leaves of ``args``, their structure, each leaf's mapped dim (non-negative or None), the batch size."""
    head = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not (isinstance(in_dims, int) and not isinstance(in_dims, bool)) and not isinstance(in_dims, tuple):
        raise ValueError(f"{head}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                         "trying to vmap over a function with no inputs. The latter is unsupported.")
    leaves, spec = flatten(args)
    dims = broadcast_prefix(in_dims, spec) if _valid_dims(in_dims) else None
    if dims is None:
        raise ValueError(f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{describe(flatten(in_dims)[1])} but inputs has structure {describe(spec)}.")
    sizes = []
    for i, (x, d) in enumerate(zip(leaves, dims)):
        if d is None:
            continue
        if not isinstance(x, Tensor):
            raise ValueError(f"{head}: Got in_dim={d} for an input but the input is of type {type(x)}. We cannot vmap "
                             "over non-Tensor arguments, please use None as the respective in_dim")
        if not -x.ndim <= d < x.ndim:
            raise ValueError(f"{head}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                             f"{x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}.")
        dims[i] = d % x.ndim
        sizes.append(x.shape[dims[i]])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    if sizes[0] == 0:
        raise ValueError("vmap: the mapped dimension has size 0; this vmap calls the function once per index, so "
                         "with no index there is no output to learn the result's shape from")
    return leaves, spec, dims, sizes[0]


def _stack_outputs(func: Callable, results: list, out_dims: Any) -> Any:
    """The per-sample outputs stacked leaf by leaf along ``out_dims`` (None: the leaf is not mapped)."""
    first, spec = flatten(results[0])
    per_sample = [flatten(r)[0] for r in results]
    if not _valid_dims(out_dims) or (dims := broadcast_prefix(out_dims, spec)) is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
                         f"the structure of `outputs`. out_dims has structure {describe(flatten(out_dims)[1])} but "
                         f"outputs has structure {describe(spec)}.")
    stacked = []
    for j, d in enumerate(dims):
        column = [leaves[j] for leaves in per_sample]
        if d is None:
            if isinstance(column[0], Tensor) and any(not bool((c == column[0]).all()) for c in column[1:]):
                raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return a BatchedTensor when "
                                 "out_dim is None")
            stacked.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                             f"{type(column[0])}. Did you mean to set out_dims= to None for output?")
        stacked.append(stack(column, dim=d))
    return unflatten(stacked, spec)


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over dimension ``in_dims`` of its inputs, its outputs stacked along ``out_dims`` (a loop;
    see the module docstring). ``in_dims``/``out_dims``: an int, or a tuple matching the structure of the
    arguments/outputs, with None for an argument passed whole; keyword arguments are passed whole."""
    check_randomness(randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        leaves, spec, dims, size = _in_dims(func, in_dims, args)
        state = backend.get_rng_state() if randomness == "same" else None
        results = []
        for b in range(size):
            sliced = [x if d is None else select(x, d, b) for x, d in zip(leaves, dims)]
            if state is not None:
                backend.set_rng_state(state)
            if randomness == "error":
                with refused(RANDOM_REFUSAL):
                    results.append(func(*unflatten(sliced, spec), **kwargs))
            else:
                results.append(func(*unflatten(sliced, spec), **kwargs))
        return _stack_outputs(func, results, out_dims)

    return wrapped
