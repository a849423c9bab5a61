"""``RemovableHandle``, as ``torch.utils.hooks.RemovableHandle``: what every ``register_*_hook`` returns.

``handle.remove()`` takes the hook out of the registry it went into (a second call does nothing), and
``with handle: ...`` removes it when the block ends. Two kinds of registry use it:

- a dict keyed by ``handle.id`` (a Module's forward hooks; torch's form): the registry stores the hook under
  the new handle's id, so an ordered dict can also move it to the front (``prepend``);
- a list holding the hooks themselves (a Tensor's or a graph node's gradient hooks, whose position matters:
  ``retain_grad`` records the gradient after every other hook): pass ``hook=`` and the handle removes that
  entry, found by identity.

This module imports nothing from the package, so every floor from autograd up can use it.
"""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """A handle on one registered hook; ``id`` is unique among all handles made in this process."""

    __slots__ = ("_hooks", "_hook", "_removed", "id")
    _ids = itertools.count()

    def __init__(self, hooks: dict | list, *, hook: Any = None) -> None:
        if isinstance(hooks, list) and hook is None:
            raise TypeError("RemovableHandle: a list of hooks needs hook= (the entry to remove)")
        self._hooks = hooks
        self._hook = hook
        self._removed = False
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        """Unregister the hook (nothing happens when it is already gone)."""
        if self._removed:
            return
        self._removed = True
        if isinstance(self._hooks, list):
            for i, entry in enumerate(self._hooks):
                if entry is self._hook:
                    del self._hooks[i]
                    return
        else:
            self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()
