"""``mt.jit``: torch.jit's interface, compiling nothing (as ``mt.compile``, see ``compiler.py``).

TorchScript (a typed subset of Python compiled to a graph that runs without Python) has no counterpart here:
``script`` and ``trace`` run the module or function eagerly. A module comes back as a ``RecursiveScriptModule``
(a ``ScriptModule``) that shares the original's parameters, buffers and submodules (so its state_dict is the
original's, key for key, as torch's scripted or traced module's is) and runs the original's forward; a function
comes back as itself. ``trace`` runs the example inputs once and checks what torch checks: tensors (possibly
nested in lists, tuples and dicts) in and out. Nothing is frozen: a traced model here still follows Python control
flow on every call, where torch's replays the path the example took. ``save``/``load`` refuse: there is no
TorchScript archive to write; ``mt.save`` stores a state_dict or a whole model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .autograd import Tensor
from .nn.module import Module

F = TypeVar("F", bound=Callable)


class ScriptModule(Module):
    """The class of scripted and traced modules (``isinstance(m, mt.jit.ScriptModule)``). Subclassed in the old
    TorchScript style (``class M(mt.jit.ScriptModule)`` with ``@mt.jit.script_method``) it is an ordinary Module."""

    def save(self, f: Any, _extra_files: Any = None) -> None:
        """``scripted.save(path)`` (d2l's hybrid-programming chapter): refused as ``mt.jit.save``, saying why."""
        save(self, f, _extra_files)


class RecursiveScriptModule(ScriptModule):
    """A scripted or traced module: the original's tables, shared; calls run the original's forward."""

    def __init__(self, mod: Module) -> None:
        super().__init__()
        for table in ("_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"):
            object.__setattr__(self, table, mod.__dict__[table])  # shared, as torch's traced module shares them
        object.__setattr__(self, "_orig_mod", mod)  # not a child: the state_dict keys stay the original's
        self.training = mod.training

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        super().train(mode)
        self._orig_mod.training = mode  # its forward reads its own flag; its children are ours, set above
        return self

    def __getitem__(self, idx: Any) -> Any:  # a scripted Sequential or ModuleList indexes as the original
        return self._orig_mod[idx]

    def __len__(self) -> int:
        return len(self._orig_mod)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            orig = self.__dict__.get("_orig_mod")
            if orig is None:
                raise
            return getattr(orig, name)


def script(obj: Any, optimize: None = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """``mt.jit.script(module)`` -> a ScriptModule running it eagerly; a function or class comes back as is."""
    if isinstance(obj, Module):
        return RecursiveScriptModule(obj)
    if not callable(obj):
        raise RuntimeError(f"jit.script: expected a Module, a function or a class, got {type(obj).__name__}")
    return obj


def _check_traceable(value: Any, what: str) -> None:
    """Tensors, or lists, tuples and dicts of them (nested), as torch's tracer takes in and gives out."""
    if isinstance(value, Tensor):
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_traceable(v, what)
        return
    if isinstance(value, dict):
        for v in value.values():
            _check_traceable(v, what)
        return
    if what == "output":
        raise RuntimeError("Only tensors, lists, tuples of tensors, or dictionary of tensors can be output from "
                           "traced functions")
    raise RuntimeError(f"Type '{type(value).__name__}' cannot be traced. Only Tensors and (possibly nested) Lists, "
                       "Dicts, and Tuples of Tensors can be traced")


def trace(func: Any, example_inputs: Any = None, optimize: None = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-5, strict: bool = True,
          example_kwarg_inputs: dict | None = None, **_: Any) -> Any:
    """Run ``func`` once on ``example_inputs`` (a Tensor or a tuple of them) and return it ready to call again:
    a RecursiveScriptModule for a Module, the function itself otherwise. Inputs and outputs are checked as torch's
    tracer checks them."""
    if not callable(func):
        raise RuntimeError(f"jit.trace: expected a Module or a function, got {type(func).__name__}")
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("example_kwarg_inputs or example_inputs must be provided")
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise RuntimeError("example_kwarg_inputs should be a dict")
        args, kwargs = (), example_kwarg_inputs
    else:
        args, kwargs = (example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)), {}
    _check_traceable(args, "input")
    _check_traceable(kwargs, "input")
    _check_traceable(func(*args, **kwargs), "output")
    return RecursiveScriptModule(func) if isinstance(func, Module) else func


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """``@mt.jit.ignore`` / ``@mt.jit.ignore(drop=True)``: the function, unchanged (everything runs in Python)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: F) -> F:
    """``@mt.jit.unused``: the function, unchanged."""
    return fn


def export(fn: F) -> F:
    """``@mt.jit.export``: the method, unchanged."""
    return fn


def script_method(fn: F) -> F:
    """``@mt.jit.script_method`` (in a ScriptModule subclass): the method, unchanged."""
    return fn


def is_scripting() -> bool:
    """False: nothing here runs as TorchScript (torch's answer in eager code)."""
    return False


def is_tracing() -> bool:
    """False: tracing records no graph here, and code under trace runs as in eager mode."""
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """The value (a type hint for the TorchScript compiler, which does not exist here)."""
    return the_value


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """Refused: there is no TorchScript archive here."""
    raise RuntimeError("mt.jit.save: TorchScript archives do not exist in minitorch_cnn (jit.script/trace compile "
                       "nothing); save the weights with mt.save(model.state_dict(), f) or the model with "
                       "mt.save(model, f)")


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    """Refused: there is no TorchScript archive here."""
    raise RuntimeError("mt.jit.load: TorchScript archives do not exist in minitorch_cnn; load what mt.save wrote "
                       "with mt.load(f)")
