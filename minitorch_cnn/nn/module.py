"""``Module``: the base of every layer and model, with torch's bookkeeping.

Attributes that are Parameters, Modules or registered buffers go into ``_parameters``,
``_modules`` and ``_buffers``; the rest (parameter traversal, ``state_dict`` keys, device and
dtype moves, train/eval, hooks, the nested ``repr``) follows from those three dicts exactly as in
torch, so a state_dict moves between a torch module and its twin here by name.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor, is_grad_enabled, no_grad
from ..ops.methods import parse_to
from ..utils.hooks import RemovableHandle
from .backward_hook import BackwardHookCall
from .buffer import Buffer
from .parameter import Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not know."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(s: str, num_spaces: int) -> str:
    """Indent every line but the first (torch's helper for nested reprs)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * num_spaces + line for line in lines[1:])


def _state_array(value: Any) -> Any:
    """The array inside a state_dict value: our Tensor, a torch tensor (duck-typed), or array-like."""
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "cpu") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _parse_to(args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """Tensor.to's argument forms, with Module.to's rule that the dtype must be floating."""
    dev, dtype = parse_to(args, kwargs)
    if dtype is not None:
        dtype = backend.to_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
    return (None if dev is None else backend.Device(dev)), dtype


def _half_error() -> NotImplementedError:
    return NotImplementedError(
        "float16 modules are not supported: the conv, pooling and BatchNorm kernels compute in float32 or float64; "
        "keep the model in float32 (model.float()), or float64 (model.double()) for exactness"
    )


class Module:
    """Base class of layers and models; subclasses set attributes in ``__init__`` and define ``forward``."""

    training: bool

    def __init__(self) -> None:
        # through object.__setattr__: our __setattr__ needs these dicts to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        own = self.__dict__  # modules unpickled from before backward hooks existed lack the two dicts
        call = None
        if (own.get("_backward_hooks") or own.get("_backward_pre_hooks")) and is_grad_enabled():
            call = BackwardHookCall(self, list(self._backward_hooks.values()),
                                    list(self._backward_pre_hooks.values()))
            args = call.setup_inputs(args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        if call is not None:
            out = call.setup_outputs(out)
        return out

    # ---- registration --------------------------------------------------------------------
    def _check_name(self, name: Any, kind: str, table: dict) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{kind} name must be non-empty and contain no ".", got "{name}"')
        if hasattr(self, name) and name not in table:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared slot) under ``name``."""
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not learned (running statistics); in state_dict unless not persistent."""
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (an attribute name, or an index string in containers)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, self._parameters)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, self._modules)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(nn.Module or None expected)")
            self._modules[name] = None
        elif isinstance(value, Buffer):  # torch's nn.Buffer: registered wherever it is assigned
            if params is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._forget(name, self._buffers)
            self.register_buffer(name, value, value.persistent)
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict) -> None:
        """Drop ``name`` from every table but ``keep`` (where it is about to be set, keeping its place)."""
        self.__dict__.pop(name, None)
        for table in (self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: the registered tables
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path such as ``"features.0"`` ("" is self)."""
        mod = self
        for item in target.split(".") if target else []:
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}` (looking up '{target}')")
            mod = mod._modules[item]
        return mod

    # ---- traversal -----------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True) -> Iterator:
        """(dotted name, module) for self and every descendant, each module once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator:
        seen: set = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, table: str, prefix: str, recurse: bool, remove_duplicate: bool) -> Iterator:
        seen: set = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, module in mods:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator:
        """(dotted name, Parameter) pairs, each shared parameter once, as torch."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients --------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (default, as torch) or to zeros."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0

    # ---- hooks -----------------------------------------------------------------------------
    @staticmethod
    def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """``hook(module, args) -> None | new args`` runs before ``forward`` (first of all when ``prepend``)."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False) -> RemovableHandle:
        """``hook(module, args, output) -> None | new output`` runs after ``forward`` (first when ``prepend``)."""
        return self._add_hook(self._forward_hooks, hook, prepend)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output) -> None | new grad_input`` runs when the gradients with respect
        to the module's Tensor inputs are computed (see ``nn/backward_hook.py`` for the rules)."""
        return self._add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output) -> None | new grad_output`` runs when the gradients with respect to the
        module's outputs are in, before they flow into the module."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    # ---- devices and dtypes: parameters keep their identity (optimizers stay valid) -------------
    def _apply(self, fn: Callable[[Any], Any]) -> Module:
        """Replace the array of every parameter, gradient and buffer by ``fn(array)``, in place."""
        for module in self.children():
            module._apply(fn)
        for p in self._parameters.values():
            if p is not None:
                p._data = fn(p._data)
                if p.grad is not None:
                    p.grad._data = fn(p.grad._data)
        for b in self._buffers.values():
            if b is not None:
                b._data = fn(b._data)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(device)``, ``to(dtype)`` (floating tensors only), ``to(device, dtype)`` or ``to(tensor)``;
        ``memory_format=`` lays out the 4-d parameters and buffers in it, as torch's."""
        dev, dtype = _parse_to(args, kwargs)
        if dtype is not None and dtype == backend.float16:
            raise _half_error()
        fmt = kwargs.get("memory_format")

        def convert(arr: Any) -> Any:
            if dev is not None:
                arr = backend.move_to(arr, dev)
            if dtype is not None and arr.dtype.kind == "f":
                arr = arr.astype(dtype, copy=False)
            if fmt is not None and arr.ndim == 4:
                arr = backend.memory_format.lay_out(arr, fmt, backend.array_module(arr))
            return arr

        return self._apply(convert)

    def cuda(self, device: Any = None) -> Module:
        return self.to(f"cuda:{device}" if isinstance(device, int) else device or "cuda")

    def cpu(self) -> Module:
        return self.to("cpu")

    def share_memory(self) -> Module:
        """Move every parameter, gradient and buffer to memory shared with processes forked later (Hogwild)."""
        return self._apply(backend.shared_memory.share)

    def _cast_floats(self, dtype: np.dtype) -> Module:
        return self._apply(lambda arr: arr.astype(dtype, copy=False) if arr.dtype.kind == "f" else arr)

    def float(self) -> Module:  # noqa: A003 - torch's name
        return self._cast_floats(backend.float32)

    def double(self) -> Module:
        return self._cast_floats(backend.float64)

    def half(self) -> Module:
        """Refused up front: the conv, pooling and BatchNorm kernels compute in float32/float64 only (Numba has no
        float16 type, NumPy's float16 GEMMs are emulated), so a half model would fail deep in its first forward."""
        raise _half_error()

    # ---- state_dict --------------------------------------------------------------------------
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False) -> dict:
        """An ordered dict name -> Tensor (detached, sharing memory) of parameters and persistent buffers.

        The keys are torch's for the same architecture (``features.0.weight``, ``bn.running_mean`` ...).
        """
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(
        self, state_dict: dict, prefix: str, expected: set, missing: list, errors: list, copies: list
    ) -> None:
        """Match this module's own parameters and persistent buffers against ``state_dict``."""
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        for name, t in itertools.chain(self._parameters.items(), persistent.items()):
            if t is None:
                continue
            key = prefix + name
            expected.add(key)
            if key not in state_dict:
                missing.append(key)
                continue
            arr = _state_array(state_dict[key])
            if tuple(arr.shape) != tuple(t.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {tuple(arr.shape)} from "
                              f"checkpoint, the shape in current model is {tuple(t.shape)}.")
            else:
                copies.append((t, arr))

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy values into the parameters and buffers by key; returns (missing_keys, unexpected_keys).

        Values may be our Tensors, torch tensors or NumPy arrays; they are cast to each tensor's dtype and
        moved to its device. Every problem is listed in one error (size mismatches always; missing and
        unexpected keys when ``strict``) and nothing is copied unless all is well.
        """
        state = dict(state_dict)
        expected: set = set()
        missing: list = []
        errors: list = []
        copies: list = []
        for prefix, module in self.named_modules(remove_duplicate=False):
            module._load_from_state_dict(state, prefix + "." if prefix else "", expected, missing, errors, copies)
        unexpected = [k for k in state if k not in expected]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(errors))
        with no_grad():
            for t, arr in copies:
                t._set_(backend.move_to(arr, t.device))
        return _IncompatibleKeys(missing, unexpected)

    # ---- repr -------------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The layer's own settings inside its repr's parentheses (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
