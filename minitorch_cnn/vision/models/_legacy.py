"""torchvision's pre-0.13 builder interface, kept as torchvision keeps it: ``resnet18(pretrained=True)`` and
positional ``resnet18(True)``.

Every torchvision classification builder is wrapped by ``handle_legacy_interface(weights=("pretrained",
X_Weights.IMAGENET1K_V1))``: ``pretrained=False`` means ``weights=None`` and ``pretrained=True`` means
``weights=X_Weights.IMAGENET1K_V1`` (here read from disk, never downloaded: see ``_weights``), each with torchvision's
deprecation warnings; keyword-only parameters passed positionally are mapped to their names with a warning
(``kwonly_to_pos_or_kw``).
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from ._weights import WeightsEnum

F = TypeVar("F", bound=Callable[..., Any])


def _names(names: tuple[str, ...]) -> str:
    """torchvision's ``sequence_to_str(..., separate_last="and ")``: 'a', 'a' and 'b', 'a', 'b', and 'c'."""
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    head = ", ".join(quoted[:-1])
    return f"{head}{',' if len(quoted) > 2 else ''} and {quoted[-1]}"


def kwonly_to_pos_or_kw(fn: F) -> F:
    """Let ``fn``'s keyword-only parameters be passed positionally too, with torchvision's deprecation warning."""
    params = tuple(inspect.signature(fn).parameters.values())
    start = next((i for i, p in enumerate(params) if p.kind == p.KEYWORD_ONLY), None)
    if start is None:
        raise TypeError(f"Found no keyword-only parameter on function '{fn.__name__}'")
    keyword_only = tuple(p.name for p in params[start:] if p.kind == p.KEYWORD_ONLY)
    if params[-1].kind == params[-1].VAR_KEYWORD:
        # torchvision's builders read (*, weights, progress, **kwargs); ours take ``progress`` through **kwargs
        keyword_only += ("progress",) * ("progress" not in keyword_only) + (params[-1].name,)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        args, extra = args[:start], args[start:]
        if extra:
            named = dict(zip(keyword_only, extra))
            warnings.warn(f"Using {_names(tuple(named))} as positional parameter(s) is deprecated since 0.13 and may "
                          f"be removed in the future. Please use keyword parameter(s) instead.", stacklevel=2)
            kwargs.update(named)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def handle_legacy_interface(**weights: tuple[str, WeightsEnum | None]) -> Callable[[F], F]:
    """Decorator: each ``weights_param=(pretrained_param, default)`` maps a boolean ``pretrained_param`` (or a bool
    passed positionally for ``weights_param``) to ``weights_param=default`` when true and ``None`` when false."""

    def outer(builder: F) -> F:
        @kwonly_to_pos_or_kw
        @functools.wraps(builder)
        def inner(*args: Any, **kwargs: Any) -> Any:
            for weights_param, (pretrained_param, default) in weights.items():
                missing = object()
                weights_arg = kwargs.get(weights_param, missing)
                if ((weights_param not in kwargs and pretrained_param not in kwargs)
                        or isinstance(weights_arg, WeightsEnum)
                        or (isinstance(weights_arg, str) and weights_arg != "legacy")
                        or weights_arg is None):
                    continue
                positional = weights_arg is not missing  # a bool given positionally lands under weights_param
                if positional:
                    kwargs[pretrained_param] = pretrained_arg = kwargs.pop(weights_param)
                else:
                    pretrained_arg = kwargs[pretrained_param]
                if pretrained_arg:
                    if not isinstance(default, WeightsEnum):
                        raise ValueError(f"No weights available for model {builder.__name__}")
                    chosen = default
                else:
                    chosen = None
                if not positional:
                    warnings.warn(f"The parameter '{pretrained_param}' is deprecated since 0.13 and may be removed in "
                                  f"the future, please use '{weights_param}' instead.", stacklevel=3)
                msg = (f"Arguments other than a weight enum or `None` for '{weights_param}' are deprecated since 0.13 "
                       f"and may be removed in the future. The current behavior is equivalent to passing "
                       f"`{weights_param}={chosen}`.")
                if pretrained_arg:
                    msg += (f" You can also use `{weights_param}={type(chosen).__name__}.DEFAULT` to get the most "
                            f"up-to-date weights.")
                warnings.warn(msg, stacklevel=3)
                del kwargs[pretrained_param]
                kwargs[weights_param] = chosen
            return builder(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return outer
