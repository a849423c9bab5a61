"""``no_grad`` / ``enable_grad``: whether new ops record a graph."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_enabled = [True]
_inference = [False]


def is_grad_enabled() -> bool:
    """True while ops record the autograd graph."""
    return _enabled[0]


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (and not inside an ``inference_mode(False)`` within it)."""
    return _inference[0]


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


class set_grad_enabled(_GradMode):  # noqa: N801 - torch's name
    """Turn graph recording on or off at once (``mt.set_grad_enabled(False)``); as torch's, also a context manager
    (``with mt.set_grad_enabled(phase == "train"):``) and a decorator that restore the previous mode after."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = _enabled[0]
        _enabled[0] = self.mode

    def __enter__(self) -> None:
        """The mode was set when the object was made; the block only restores it at the end."""

    def __call__(self, fn: Callable) -> Callable:
        _enabled[0] = self._prev  # as a decorator the mode applies inside the function only
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - torch's name
    """Ops inside record no graph: ``with mt.no_grad(): ...`` or ``@mt.no_grad()``."""

    mode = False


class enable_grad(_GradMode):  # noqa: N801 - torch's name
    """Re-enable graph recording inside a ``no_grad`` block."""

    mode = True


class inference_mode(_GradMode):  # noqa: N801 - torch's name
    """torch's ``inference_mode``: no graph is recorded, as ``no_grad``, and ``is_inference_mode_enabled()`` says
    so; ``inference_mode(False)`` records as usual. Also a decorator, with or without parentheses. Tensors made
    inside are marked (``Tensor.is_inference()``); torch's also refuse later autograd use, which is not done here."""

    def __init__(self, mode: Any = True) -> None:
        if callable(mode):  # @mt.inference_mode without parentheses
            self._fn = functools.wraps(mode)(self.__class__()(mode))
            self.mode, self.inference = False, True
            return
        self.mode, self.inference = not mode, bool(mode)

    def __enter__(self) -> None:
        self._prev = (_enabled[0], _inference[0])
        _enabled[0], _inference[0] = self.mode, self.inference

    def __exit__(self, *exc: Any) -> None:
        _enabled[0], _inference[0] = self._prev

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = getattr(self, "_fn", None)
        if fn is not None:
            return fn(*args, **kwargs)
        (target,) = args
        inference = self.inference

        @functools.wraps(target)
        def wrapper(*a: Any, **kw: Any) -> Any:
            with inference_mode(inference):
                return target(*a, **kw)

        return wrapper
