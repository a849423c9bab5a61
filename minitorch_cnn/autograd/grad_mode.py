"""``no_grad`` / ``enable_grad``: whether new ops record a graph."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_enabled = [True]


def is_grad_enabled() -> bool:
    """True while ops record the autograd graph."""
    return _enabled[0]


def set_grad_enabled(mode: bool) -> None:
    """Turn graph recording on or off globally."""
    _enabled[0] = bool(mode)


class _GradMode:
    """Context manager and decorator that sets grad mode to ``self.mode`` and restores it."""

    mode = True

    def __enter__(self) -> None:
        self._prev = _enabled[0]
        _enabled[0] = self.mode

    def __exit__(self, *exc: Any) -> None:
        _enabled[0] = self._prev

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - torch's name
    """Ops inside record no graph: ``with mt.no_grad(): ...`` or ``@mt.no_grad()``."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 - torch's name
    """Re-enable graph recording inside a ``no_grad`` block."""

    mode = True


class inference_mode(_GradMode):  # noqa: N801 - torch's name
    """torch's ``inference_mode``: here the same as ``no_grad`` (no graph is recorded); ``inference_mode(False)``
    records as usual. Also a decorator, with or without parentheses."""

    def __init__(self, mode: Any = True) -> None:
        if callable(mode):  # @mt.inference_mode without parentheses
            self._fn = functools.wraps(mode)(self.__class__()(mode))
            self.mode = False
            return
        self.mode = not mode

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = getattr(self, "_fn", None)
        if fn is not None:
            return fn(*args, **kwargs)
        (target,) = args
        mode = self.mode

        @functools.wraps(target)
        def wrapper(*a: Any, **kw: Any) -> Any:
            prev = _enabled[0]
            _enabled[0] = mode
            try:
                return target(*a, **kw)
            finally:
                _enabled[0] = prev

        return wrapper
