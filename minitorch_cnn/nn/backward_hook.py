"""Module backward hooks: ``register_full_backward_hook`` and ``register_full_backward_pre_hook``, torch's way.

A module with such hooks has its Tensor inputs and outputs passed through identity nodes (y = x forward, dx = dy
backward) for the length of one call, as torch's ``BackwardHook`` does:

- an output's node, reached first in backward, records that output's gradient in ``grad_output``, after the
  pre-hooks ``hook(module, grad_output) -> None | new grad_output`` have seen (and may have replaced) it;
- an input's node records that input's gradient; once every input that requires grad has its gradient, the hooks
  ``hook(module, grad_input, grad_output) -> None | new grad_input`` run and what they return flows on.

When no input requires grad, the hooks run with ``grad_input = (None, ...)`` as soon as the outputs' gradients
are in (with torch's UserWarning saying so), and may only return None (torch's rule and message). ``grad_output``
holds None for an output that got no gradient. The hooks see Tensors (with ``create_graph``, Tensors in the graph).

Where this differs from torch: torch wraps all inputs (and all outputs) in one multi-output node; here each Tensor
has its own node. So a hook waits for every input that requires grad (an input the outputs do not depend on leaves
it unfired, where torch fires it), and with several inputs (outputs) only the gradient reached last can be
replaced by a hook (pre-hook): the others have flowed on already, and replacing one raises. One input and one
output, the common case (a layer, a block, Grad-CAM's target), behave as torch's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..autograd import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _enabled


class _Identity(Function):
    """y = x (a view, so the two share a version counter); dx = ``sink(dy)``, which may replace it."""

    def forward(self, x: Any, sink: Callable) -> Any:
        self.sink = sink
        return x.view()

    def backward(self, grad: Any) -> Any:
        return self.sink(grad, False), None

    def backward_graph(self, grad: Tensor) -> Any:
        return self.sink(grad, True), None


def _tensor(g: Any, graph: bool) -> Any:
    return g if graph or g is None else Tensor._wrap(g)


def _array(g: Any, graph: bool) -> Any:
    return g if graph or g is None or not isinstance(g, Tensor) else g._data


class BackwardHookCall:
    """The state of one call of a module with backward hooks: the gradients gathered so far."""

    def __init__(self, module: Any, hooks: list, pre_hooks: list) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs = 0
        self.waiting_inputs: set[int] = set()
        self.grad_inputs: list = []
        self.grad_outputs: list = []
        self.waiting_outputs: set[int] = set()

    # ---- forward: the identity nodes --------------------------------------------------------------------
    def setup_inputs(self, args: tuple) -> tuple:
        """``args`` with each Tensor that requires grad behind an input node."""
        out = list(args)
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        self.grad_inputs = [None] * len(tensors)
        for k, i in enumerate(tensors):
            if args[i].requires_grad and _enabled[0]:
                self.waiting_inputs.add(k)
                out[i] = _Identity.apply(args[i], lambda g, graph, k=k: self._input_grad(k, g, graph))
        return tuple(out)

    def setup_outputs(self, result: Any) -> Any:
        """``result`` (a Tensor, or a tuple/list of them) with each Tensor that requires grad behind a node."""
        single = isinstance(result, Tensor)
        items = [result] if single else list(result) if isinstance(result, (tuple, list)) else []
        positions = [i for i, r in enumerate(items) if isinstance(r, Tensor)]
        self.grad_outputs = [None] * len(positions)
        for k, i in enumerate(positions):
            if items[i].requires_grad:
                self.waiting_outputs.add(k)
                items[i] = _Identity.apply(items[i], lambda g, graph, k=k: self._output_grad(k, g, graph))
        if single:
            return items[0]
        return type(result)(items) if isinstance(result, (tuple, list)) else result

    # ---- backward -------------------------------------------------------------------------------------------
    def _output_grad(self, k: int, g: Any, graph: bool) -> Any:
        self.grad_outputs[k] = _tensor(g, graph)
        self.waiting_outputs.discard(k)
        if self.waiting_outputs:
            return g
        for hook in self.pre_hooks:
            new = hook(self.module, tuple(self.grad_outputs))
            if new is not None:
                new = (new,) if isinstance(new, Tensor) else tuple(new)
                if len(new) != len(self.grad_outputs):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                       f"{len(new)}, but expected {len(self.grad_outputs)}")
                self._check_only_last(self.grad_outputs, new, k, "output")
                self.grad_outputs = list(new)
        if not self.waiting_inputs and self.hooks:  # no input requires grad: the hooks run now, grad_input None
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/torch."
                          "nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            for hook in self.hooks:
                res = hook(self.module, (None,) * self.n_inputs, tuple(self.grad_outputs))
                if res is not None and not all(r is None for r in res):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
        return _array(self.grad_outputs[k], graph)

    def _input_grad(self, k: int, g: Any, graph: bool) -> Any:
        self.grad_inputs[k] = _tensor(g, graph)
        self.waiting_inputs.discard(k)
        if self.waiting_inputs:
            return g
        for hook in self.hooks:
            new = hook(self.module, tuple(self.grad_inputs), tuple(self.grad_outputs))
            if new is not None:
                new = (new,) if isinstance(new, Tensor) else tuple(new)
                if len(new) != self.n_inputs:
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(new)}, "
                                       f"but expected {self.n_inputs}")
                self._check_only_last(self.grad_inputs, new, k, "input")
                self.grad_inputs = list(new)
        return _array(self.grad_inputs[k], graph)

    def _check_only_last(self, old: list, new: tuple, k: int, what: str) -> None:
        for j, (was, now) in enumerate(zip(old, new)):
            if j != k and now is not was:
                raise RuntimeError(f"{type(self.module).__name__}: a backward hook replaced the gradient of {what} "
                                   f"{j}, which has flowed on already (each {what} has its own node here); only "
                                   f"{what} {k}, reached last, can be replaced")
