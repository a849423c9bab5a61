"""``mt.compile``: torch.compile's interface, compiling nothing.

There is no graph capture or code generation here: a compiled module is an ``OptimizedModule`` that holds the
original as ``_orig_mod`` (so its state_dict keys carry torch's ``_orig_mod.`` prefix and load back the same way),
runs the original's forward, and reads every other attribute from it; a compiled function is the function. So
what is computed is exactly what the uncompiled model computes, as torch guarantees of its compiled one (up to
rounding). The arguments are checked as torch checks them and otherwise have no effect.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .nn.module import Module

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


class OptimizedModule(Module):
    """A compiled module: ``_orig_mod`` is the module given; calls run its forward."""

    def __init__(self, mod: Module) -> None:
        super().__init__()
        self._orig_mod = mod
        self.training = mod.training

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            orig = self.__dict__.get("_modules", {}).get("_orig_mod")  # absent while an instance is being built
            if orig is None:
                raise
            return getattr(orig, name)


def compile(  # noqa: A001 - torch's name
    model: Callable | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable = "inductor",
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
) -> Any:
    """``mt.compile(model)`` -> an OptimizedModule (a Module) or the function; ``@mt.compile`` and
    ``@mt.compile(mode=...)`` as decorators."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    if isinstance(model, Module):
        return OptimizedModule(model)
    if not callable(model):
        raise RuntimeError(f"compile: expected a Module or a callable, got {type(model).__name__}")
    return model
