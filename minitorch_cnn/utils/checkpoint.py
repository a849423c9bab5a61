"""``torch.utils.checkpoint``: activation checkpointing, memory traded for a second forward.

``checkpoint(fn, *args)`` runs ``fn`` under ``no_grad``, so none of the tensors made inside it (its activations)
is kept; the result is linked into the graph by one node that holds only ``args`` (and, without reentrancy, the
tensors from outside that ``fn`` read: parameters, other graph tensors). Its backward

    restores the random state forward started from (``preserve_rng_state``: dropout draws the same mask),
    reruns ``fn`` on detached copies of ``args`` with grad on (the activations now live only during this backward),
    backpropagates the output gradients through that graph,

so every gradient is the one the plain run gives. ``use_reentrant=True`` (torch's default, with a warning when not
passed) backpropagates the rerun into the leaves' ``.grad`` itself and returns only the inputs' gradients, as
torch's ``CheckpointFunction``: parameters then get gradients only through ``backward()`` and only when some input
requires grad. ``use_reentrant=False`` makes the outside tensors ``fn`` read inputs of the node (found by watching
the ops ``fn`` runs), so ``autograd.grad`` reaches them and an input that needs no gradient is fine.

``checkpoint_sequential(functions, segments, input)`` cuts a Sequential (or list of modules) into ``segments``
runs of equal length, checkpoints every run but the last and runs the last one plainly, as torch.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ..autograd import Function, Tensor, enable_grad, engine, no_grad, profiling
from ..backend import as_array, random


class CheckpointError(RuntimeError):
    """The recomputation in backward did not give what the forward gave (``determinism_check="default"``)."""


def noop_context_fn() -> tuple[contextlib.AbstractContextManager, contextlib.AbstractContextManager]:
    """The default ``context_fn``: no context around the forward nor around its recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


class _OutsideTensors:
    """A profiling recorder that notes every tensor requiring grad that an op reads. Under ``no_grad`` nothing
    made inside the checkpointed function requires grad, so these are exactly the tensors from outside it."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.found: dict[int, Tensor] = {}

    def begin(self, name: str, args: Sequence) -> Any:
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                self.found.setdefault(id(a), a)
        return self.previous.begin(name, args) if self.previous is not None else None

    def end(self, handle: Any) -> None:
        if self.previous is not None:
            self.previous.end(handle)


def _as_tuple(out: Any) -> tuple:
    return out if isinstance(out, tuple) else (out,)


class _CheckpointFunction(Function):
    """The node standing for a checkpointed call: forward hands on the outputs already computed without a graph;
    backward recomputes them with one and backpropagates (see the module docstring)."""

    @staticmethod
    def forward(ctx: Any, run: Callable, outputs: Any, n_inputs: int, reentrant: bool, *tensors: Any) -> Any:
        ctx.run = run
        ctx.n_inputs = n_inputs
        ctx.reentrant = reentrant
        ctx.save_for_backward(*tensors)
        return outputs

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        saved = ctx.saved_tensors
        args = tuple(a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
                     for a in saved[:ctx.n_inputs])
        outside = saved[ctx.n_inputs:]
        with enable_grad():
            outputs = _as_tuple(ctx.run(args))
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad
                 and g is not None]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        roots = tuple(o for o, _ in pairs)
        seeds = tuple(engine.root_grad(o, g, False, "checkpoint") for o, g in pairs)
        if ctx.reentrant:  # as torch's CheckpointFunction: into the leaves' .grad, inputs' gradients returned
            engine.run_backward(roots, seeds, False)
            input_grads = tuple(a.grad if isinstance(a, Tensor) else None for a in args)
            return (None, None, None, None, *input_grads)
        wanted = [a for a in args if isinstance(a, Tensor) and a.requires_grad] + list(outside)
        captured = engine.run_backward(roots, seeds, False, targets=wanted, accumulate=False) if wanted else {}

        def grad_of(t: Any) -> Any:
            got = captured.get(id(t)) if isinstance(t, Tensor) and t.requires_grad else None
            if got is None:
                return None
            g, owned = got
            return Tensor._wrap(as_array(g if owned else g.copy()))  # a buffer the engine lent is copied

        return (None, None, None, None, *(grad_of(a) for a in args), *(grad_of(t) for t in outside))


_CheckpointFunction.torch_name = "CheckpointFunctionBackward"


def _recomputation(function: Callable, kwargs: dict, rng_state: Any, context: Any,
                   shapes: list) -> Callable:
    """The rerun of ``function`` that backward makes: from the saved random state (the current one restored
    after), under the recomputation context, checked against the forward's output shapes and dtypes."""

    def run(args: tuple) -> Any:
        current = random.get_rng_state() if rng_state is not None else None
        try:
            if rng_state is not None:
                random.set_rng_state(rng_state)
            with context:
                out = function(*args, **kwargs)
        finally:
            if current is not None:
                random.set_rng_state(current)
        got = [(tuple(o.shape), o.dtype) if isinstance(o, Tensor) else None for o in _as_tuple(out)]
        if shapes is not None and got != shapes:
            raise CheckpointError(f"torch.utils.checkpoint: Recomputed values for the following tensors have "
                                  f"different metadata than during the forward pass.\nforward outputs: {shapes}\n"
                                  f"recomputed outputs: {got}")
        return out

    return run


class _CheckpointedFunction:
    """``checkpoint(**options)(function)``: ``function`` that checkpoints every call (also as a method)."""

    def __init__(self, function: Callable, **options: Any) -> None:
        self.function = function
        self.options = options
        functools.update_wrapper(self, function, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return checkpoint(self.function, *args, **self.options, **kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        bind = getattr(self.function, "__get__", None)
        if instance is None or bind is None:
            return self
        return type(self)(bind(instance, owner), **self.options)


def checkpoint(function: Callable | None = None, *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, context_fn: Callable = noop_context_fn,
               determinism_check: str = "default", early_stop: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` without keeping its activations: they are recomputed in backward.

    Without ``function`` (and arguments), a decorator: ``@checkpoint(use_reentrant=False)``.

    ``early_stop`` is accepted for torch's signature; the recomputation here always reruns the whole function.
    ``determinism_check="default"`` compares the shapes and dtypes of the recomputed outputs with the forward's
    (torch compares those of the tensors its graph saved).
    """
    if function is None and not args:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
        return functools.partial(_CheckpointedFunction, use_reentrant=use_reentrant,
                                 preserve_rng_state=preserve_rng_state, context_fn=context_fn,
                                 determinism_check=determinism_check, early_stop=early_stop)
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch "
            "2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default behavior, you can pass "
            "use_reentrant=True. Refer to docs for more details on the differences between the two variants.",
            UserWarning, stacklevel=2)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant and context_fn is not noop_context_fn:
        raise ValueError("Passing `context_fn`, `debug`, or `respect_saved_tensors_hooks` is only supported when "
                         "use_reentrant=False.")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    if use_reentrant and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", UserWarning,
                      stacklevel=2)
    forward_context, recompute_context = context_fn()
    rng_state = random.get_rng_state() if preserve_rng_state else None
    watcher = _OutsideTensors(profiling.recorder[0])
    profiling.recorder[0] = watcher
    try:
        with no_grad(), forward_context:
            outputs = function(*args, **kwargs)
    finally:
        profiling.recorder[0] = watcher.previous
    inputs = {id(a) for a in args}
    outside = [] if use_reentrant else [t for i, t in watcher.found.items() if i not in inputs]
    shapes = [(tuple(o.shape), o.dtype) if isinstance(o, Tensor) else None for o in _as_tuple(outputs)]
    run = _recomputation(function, kwargs, rng_state, recompute_context,
                         None if use_reentrant or determinism_check == "none" else shapes)
    return _CheckpointFunction.apply(run, outputs, len(args), use_reentrant, *args, *outside)


def checkpoint_sequential(functions: Any, segments: int, input: Tensor,  # noqa: A002 - torch's name
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run the modules ``functions`` in order on ``input``, checkpointing all but the last of ``segments`` runs."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
            "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
            "use_reentrant=False is recommended, but if you need to preserve the current default behavior, you "
            "can pass use_reentrant=True. Refer to docs for more details on the differences between the two "
            "variants.", UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start: int, end: int, functions: Sequence) -> Callable:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input,  # noqa: A001
                           use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
