"""``Optimizer``: the parameter-group and state bookkeeping every optimizer shares, as ``torch.optim.Optimizer``.

Subclasses implement ``step``; the update math runs on the raw arrays (``p._data``, ``p.grad._data``) with the
parameter's own array module, so one implementation serves NumPy and CuPy.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

import numpy as np

from .. import backend
from ..autograd import Tensor, enable_grad

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


def _step_dtype() -> np.dtype:
    """The dtype of ``state["step"]``: float64 when that is the default dtype, else float32 (torch's rule)."""
    return backend.float64 if backend.get_default_dtype() == backend.float64 else backend.float32


def _copy_value(value: Any) -> Any:
    """A deep copy in which Tensors get fresh arrays on the same device."""
    if isinstance(value, Tensor):
        return Tensor._wrap(value._data.copy())
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return copy.deepcopy(value)


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray, np.generic)) or hasattr(value, "__cuda_array_interface__") or (
        hasattr(value, "__array__") and hasattr(value, "shape")
    )


def _cast_to_param(param: Tensor, value: Any, key: Any = None) -> Any:
    """A copy of a loaded state value, as a Tensor on ``param``'s device (and dtype when floating).

    ``step`` keeps its own dtype and stays on the CPU, as in torch. Accepts our Tensors, NumPy/CuPy arrays and
    anything NumPy can read (e.g. a CPU ``torch.Tensor``), so a torch optimizer's state_dict loads too.
    """
    if isinstance(value, dict):
        return {k: _cast_to_param(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_to_param(param, v) for v in value)
    if not _is_array_like(value):
        return copy.deepcopy(value)
    arr = value._data if isinstance(value, Tensor) else value
    if not hasattr(arr, "__cuda_array_interface__"):
        arr = np.asarray(arr)
    if key == "step":
        return Tensor._wrap(np.array(backend.move_to(arr, "cpu")))
    arr = backend.move_to(arr, param.device)
    xp = backend.array_module(arr)
    dtype = param.dtype if param.is_floating_point() and arr.dtype.kind == "f" else arr.dtype
    return Tensor._wrap(xp.array(arr, dtype=dtype, copy=True))


def _check_state_shapes(key: Any, param: Tensor, value: dict[str, Any], expected: tuple[int, ...]) -> None:
    """Every per-element buffer of a loaded state (momentum, exp_avg...) has the ``expected`` shape (its
    parameter's, for most optimizers); a wrong one is refused here, naming the parameter, rather than failing
    inside the next step()."""
    for name, buf in value.items():
        shape = tuple(getattr(buf, "shape", ()))
        if name != "step" and shape != () and shape != expected:
            raise ValueError(f"loaded optimizer state for parameter {key} (shape {tuple(param.shape)}) has "
                             f"'{name}' of shape {shape}: the state dict belongs to another model")


def implementation_flags(**flags: Any) -> dict[str, Any]:
    """torch's implementation switches (``foreach``, ``fused``, ``capturable``, ``differentiable``: whichever the
    optimizer has), checked as torch checks them and kept in every param group, so ``print(optimizer)`` and
    ``state_dict()`` show the keys torch's do.

    One single-tensor implementation serves them all: torch's ``foreach`` and ``fused`` paths compute the same
    update formulas over lists of tensors, so either value gives torch's result. ``capturable`` is for CUDA-graph
    capture, which torch refuses for CPU parameters at ``step()``; so does ``_with_grad``. ``differentiable=True``
    (a step that autograd records) cannot exist here, since steps update raw arrays: refused at construction.
    """
    if flags.get("fused"):
        if flags.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if flags.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if flags.get("differentiable"):
        raise RuntimeError("differentiable=True is not supported: minitorch_cnn's optimizers update the parameters' "
                           "arrays outside autograd, so a step cannot be differentiated")
    return flags


class Optimizer:
    """Base class of the optimizers: ``param_groups`` (dicts with every default filled) and per-parameter ``state``.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts (param groups) whose entries
    override ``defaults`` for their parameters.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got a Tensor"
            )
        if isinstance(params, set):
            warnings.warn(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in "
                "sets will change between runs. Please use a list instead.",
                FutureWarning,
                stacklevel=2,
            )
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ---- parameter groups -------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with ``"params"`` and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in "
                "sets will change between runs. Please use a list instead."
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            group["param_names"] = names
        group["params"] = params

        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            group.setdefault(name, default)

        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error",
                stacklevel=3,
            )
        seen: set[int] = set()
        for other in self.param_groups:
            seen.update(id(p) for p in other["params"])
            if ("param_names" in group) != ("param_names" in other):
                kind = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    f"all optimizer param groups should be with/without names. cannot add param group {kind} "
                    "to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ---- stepping ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's ``.grad`` (``set_to_none``) or zero it in place."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    grad.grad_fn = None
                    grad.requires_grad = False
                    grad._data.fill(0)
                    grad._version += 1

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        """The closure's loss, computed with grad recording on (None without a closure)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _state_shape(self, param: Tensor) -> tuple[int, ...]:
        """The shape of ``param``'s per-element state buffers (its own; LBFGS keeps flat ones)."""
        return tuple(param.shape)

    @staticmethod
    def _with_grad(group: dict[str, Any]) -> Iterator[Tensor]:
        """The group's parameters that have a gradient (the others are skipped, as in torch)."""
        params = [p for p in group["params"] if p.grad is not None]
        if group.get("capturable") and any(p.device.type == "cpu" for p in params):
            raise AssertionError("If capturable=True, params and state_steps must be on supported devices: "
                                 "['cuda'].")
        return iter(params)

    # ---- checkpoints ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}`` in torch's format.

        Parameters are named by their position across the groups; every value is a deep copy, so later steps
        never change a saved state_dict.
        """
        index: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            index.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in index})
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): _copy_value(v) for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict from ``state_dict()`` (ours, or a torch optimizer's of the same kind).

        Floating state is cast to each parameter's device and dtype (``step`` stays as saved, on the CPU).
        """
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups: {len(saved_groups)} saved, "
                f"{len(groups)} in this optimizer"
            )
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        saved_ids = chain.from_iterable(s["params"] for s in saved_groups)
        id_map = dict(zip(saved_ids, chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                _check_state_shapes(key, id_map[key], value, self._state_shape(id_map[key]))
                state[id_map[key]] = _cast_to_param(id_map[key], value)
            else:
                state[key] = _copy_value(value)
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                new.setdefault(name, default)
            new_groups.append(new)
        self.state = state
        self.param_groups = new_groups
