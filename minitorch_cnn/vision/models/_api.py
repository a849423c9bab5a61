"""torchvision.models' registry: ``list_models``, ``get_model``, ``get_model_builder``, ``get_model_weights`` and
``get_weight``, over the builders of ``mt.vision.models`` (every public function of a model file that takes
``weights=``, registered under its own name, as torchvision's ``@register_model()``)."""

from __future__ import annotations

import fnmatch
import inspect
import sys
import typing
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from ... import nn
from ._weights import WeightsEnum

BUILTIN_MODELS: dict[str, Callable[..., nn.Module]] = {}


def register_model(name: str | None = None) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: add a builder to the registry under ``name`` (default: the function's name)."""

    def wrapper(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


def register_builders(namespace: dict[str, Any]) -> None:
    """Register the builders found in a package namespace: functions of its model files taking ``weights=``."""
    package = namespace["__name__"]
    for key, fn in sorted(namespace.items()):
        if (inspect.isfunction(fn) and key == fn.__name__ and not key.startswith("_")
                and fn.__module__.startswith(package + ".") and "weights" in inspect.signature(fn).parameters):
            register_model()(fn)


def list_models(module: ModuleType | None = None, include: Iterable[str] | str | None = None,
                exclude: Iterable[str] | str | None = None) -> list[str]:
    """Sorted names of the registered builders (those of ``module`` only, when given), kept by the fnmatch
    patterns ``include`` (their union) and then dropped by those of ``exclude``."""
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        models: set[str] = set()
        for pattern in [include] if isinstance(include, str) else include:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        for pattern in [exclude] if isinstance(exclude, str) else exclude:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name: str) -> Callable[..., nn.Module]:
    """The builder registered under ``name`` (case-insensitive)."""
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name: str, **config: Any) -> nn.Module:
    """``get_model_builder(name)(**config)``."""
    return get_model_builder(name)(**config)


def get_model_weights(name: Callable | str) -> type[WeightsEnum]:
    """The ``*_Weights`` enum of a builder (given by name or as the function), read from its ``weights`` hint."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    hints = typing.get_type_hints(inspect.unwrap(fn))  # the builder under its legacy-interface wrapper
    if "weights" not in hints:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = hints["weights"]
    for t in (ann, *typing.get_args(ann)):
        if isinstance(t, type) and issubclass(t, WeightsEnum):
            return t
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. Make sure the typing "
                     "info is correct.")


def get_weight(name: str) -> WeightsEnum:
    """The weights member named "EnumName.MEMBER", e.g. "ResNet50_Weights.IMAGENET1K_V2" (the detection
    enums too)."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    base = __name__.rsplit(".", 1)[0]
    # the package's own names, then its loaded sub-packages' (``detection``), as torchvision searches them
    modules = [sys.modules[base]] + [m for k, m in sorted(sys.modules.items())
                                     if k.startswith(base + ".") and hasattr(m, "__path__")]
    for module in modules:
        enum_cls = getattr(module, enum_name, None)
        if isinstance(enum_cls, type) and issubclass(enum_cls, WeightsEnum):
            return enum_cls[value_name]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
