"""``torch.nn.utils.stateless``: call a module with other tensors in place of its parameters and buffers.

``torch.func.functional_call`` is this module's ``_functional_call``; ``functional_call`` here is torch's deprecated
spelling of it (same call, with torch's FutureWarning). ``functional_call(module, {name: tensor}, args, kwargs)``
runs ``module(*args, **kwargs)`` with each named parameter or buffer (dotted names, as ``named_parameters``)
replaced by the given tensor for the call only; the module's own tensors are back afterwards, also when the call
raises. ``tie_weights``: a parameter registered under two names (``b.weight = a.weight``) takes the given tensor
under both when one name is given. ``strict``: every parameter and buffer must be given and nothing else. Non-
strict, a name the module lacks is set as a plain attribute of its submodule for the call (as torch's).
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

from ..module import Module


def _merge(dicts: Any) -> dict:
    if isinstance(dicts, dict):
        return dict(dicts)
    dicts = list(dicts)
    seen: dict = {}
    repeated = []
    for d in dicts:
        for k, v in d.items():
            if k in seen:
                repeated.append(k)
            seen[k] = v
    if repeated:
        raise ValueError(f"{sorted(set(repeated))} appeared in multiple dictionaries; behavior of functional call is "
                         "ambiguous")
    return seen


def _tied_names(module: Module) -> dict:
    """id(tensor) -> every name it is registered under (parameters and buffers, duplicates included)."""
    names: dict = {}
    for name, t in itertools.chain(module.named_parameters(remove_duplicate=False),
                                   module.named_buffers(remove_duplicate=False)):
        names.setdefault(id(t), []).append(name)
    return names


def _untie(module: Module, given: dict) -> dict:
    """``given`` with each tied name that was left out taking the tensor given for its twin."""
    out = dict(given)
    for names in _tied_names(module).values():
        if len(names) < 2:
            continue
        present = [n for n in names if n in given]
        if len({id(given[n]) for n in present}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {present}, which are tied. Consider "
                             "using tie_weights=False")
        if present:
            for n in names:
                out.setdefault(n, given[present[0]])
    return out


def _check_strict(module: Module, given: dict) -> None:
    known = [n for n, _ in itertools.chain(module.named_parameters(remove_duplicate=False),
                                           module.named_buffers(remove_duplicate=False))]
    unexpected = [k for k in given if k not in known]
    missing = [k for k in known if k not in given]
    if unexpected or missing:
        msg = f"Error(s) in reparametrizing for {type(module).__name__}:"
        if unexpected:
            msg += "\n\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + "."
        if missing:
            msg += "\n\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + "."
        raise RuntimeError(msg)


_ABSENT = object()


def _swap(owner: Module, attr: str, value: Any) -> tuple:
    """Put ``value`` at ``owner.attr`` (its parameter, buffer or plain attribute); the record to put it back."""
    for table in (owner._parameters, owner._buffers):
        if attr in table:
            old = table[attr]
            table[attr] = value
            return owner, table, attr, old
    old = owner.__dict__.get(attr, _ABSENT)
    object.__setattr__(owner, attr, value)
    return owner, None, attr, old


def _restore(record: tuple) -> None:
    owner, table, attr, old = record
    if table is not None:
        table[attr] = old
    elif old is _ABSENT:
        object.__delattr__(owner, attr)
    else:
        object.__setattr__(owner, attr, old)


def _functional_call(module: Module, parameter_and_buffer_dicts: Any, args: Any = None, kwargs: dict | None = None,
                     *, tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the given ones for this call.
    ``parameter_and_buffer_dicts``: one dict or a tuple of dicts (no name in two of them); ``args``: a tuple, or
    one argument."""
    given = _merge(parameter_and_buffer_dicts)
    if tie_weights:
        given = _untie(module, given)
    if strict:
        _check_strict(module, given)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    records = []
    try:
        for name, value in given.items():
            path, _, attr = name.rpartition(".")
            records.append(_swap(module.get_submodule(path), attr, value))
        return module(*args, **(kwargs or {}))
    finally:
        for record in reversed(records):
            _restore(record)


def functional_call(module: Module, parameters_and_buffers: dict, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """torch's deprecated ``torch.nn.utils.stateless.functional_call``: ``torch.func.functional_call`` with a
    FutureWarning."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a "
                  "future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
